"""`DemoServer`: the demo site over HTTP/1.1 on loopback, in a daemon thread.

Keep-alive with exact Content-Length; ETag and Last-Modified on every 200; 304 on a
matching If-None-Match (or, without one, If-Modified-Since); the flaky pages answer
500 to their first request on this server; every request is logged.
"""

from __future__ import annotations

import json
import logging
import threading
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from email.message import Message
from email.utils import format_datetime, parsedate_to_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import TracebackType
from typing import IO

from demosite.site import DemoSite, Response, error_response

logger = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class LoggedRequest:
    method: str
    path: str
    headers: dict[str, str]  # names lower-cased
    status: int
    bytes_sent: int  # body bytes


def not_modified(response: Response, headers: Message) -> bool:
    """RFC 9110 §13.2.2: If-None-Match wins; If-Modified-Since only without it."""
    if_none_match = headers.get("If-None-Match")
    if if_none_match is not None:
        tags = {tag.strip().removeprefix("W/") for tag in if_none_match.split(",")}
        return "*" in tags or response.etag in tags
    since = _http_date(headers.get("If-Modified-Since"))
    if since is None or response.last_modified is None:
        return False
    return response.last_modified.replace(microsecond=0) <= since


def _http_date(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        parsed = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # headers and body go out as two writes
    timeout = 60  # an idle keep-alive connection is closed after this
    server: _HTTPServer

    def do_GET(self) -> None:
        self._serve(send_body=True)

    def do_HEAD(self) -> None:
        self._serve(send_body=False)

    def log_message(self, format: str, *args: object) -> None:
        """Requests go to `DemoServer.request_log`, not to stderr."""

    def _serve(self, send_body: bool) -> None:
        owner = self.server.owner
        response = owner.respond(self.path)
        status = response.status
        if status == 200 and not_modified(response, self.headers):
            status = 304
        body = response.body if send_body and status != 304 else b""
        headers = {name.lower(): value for name, value in self.headers.items()}
        # logged before the answer goes out, so a client that has it finds it logged
        owner.record(LoggedRequest(self.command, self.path, headers, status, len(body)))
        self._write(response, status, body)

    def _write(self, response: Response, status: int, body: bytes) -> None:
        self.send_response(status)
        if response.status == 200:
            self.send_header("ETag", response.etag or "")
            if response.last_modified:
                modified = response.last_modified.astimezone(UTC)
                self.send_header("Last-Modified", format_datetime(modified, usegmt=True))
        if response.location:
            self.send_header("Location", response.location)
        if status != 304:
            self.send_header("Content-Type", response.content_type)
            self.send_header("Content-Length", str(len(response.body)))
        self.end_headers()
        if body:
            self.wfile.write(body)


class _HTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False
    request_queue_size = 128
    owner: DemoServer


class DemoServer:
    """`with DemoServer(pages=200, seed=7, night=1) as srv:` serves on `srv.url`."""

    def __init__(
        self,
        pages: int = 200,
        seed: int = 7,
        night: int = 1,
        host: str = "127.0.0.1",
        port: int = 0,
        log_path: str | Path | None = None,
    ) -> None:
        self.site = DemoSite.build(pages, seed, night)
        self.request_log: list[LoggedRequest] = []
        self._lock = threading.Lock()
        self._flaky_served: set[str] = set()
        self._log_file: IO[str] | None = open(log_path, "a", encoding="utf-8") if log_path else None  # noqa: SIM115
        self._httpd = _HTTPServer((host, port), _Handler)
        self._httpd.owner = self
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        host, port = self._httpd.server_address[:2]
        return f"http://{host!s}:{port}"

    def respond(self, target: str) -> Response:
        site = self.site
        path = site.resolve(target)
        if site.is_flaky(path) and self._first_request(path):
            return error_response(500)
        try:
            return site.render(path, self.url)
        except Exception:
            logger.exception("demo site failed to render %s", path)
            return error_response(500)

    def _first_request(self, path: str) -> bool:
        with self._lock:
            first = path not in self._flaky_served
            self._flaky_served.add(path)
        return first

    def record(self, entry: LoggedRequest) -> None:
        with self._lock:
            self.request_log.append(entry)
            if self._log_file:
                stamp = datetime.now(UTC).isoformat()
                self._log_file.write(json.dumps({"time": stamp, **asdict(entry)}) + "\n")
                self._log_file.flush()

    def set_night(self, night: int) -> None:
        """Switch the content to another night of the same site, on the same port."""
        current = self.site
        fresh = DemoSite.build(current.plan.pages, current.seed, night)
        if current.night == 1:
            fresh.share_night_one(current)
        self.site = fresh

    def start(self) -> DemoServer:
        if self._thread is None:
            self._thread = threading.Thread(
                target=self._httpd.serve_forever, kwargs={"poll_interval": 0.1}, daemon=True
            )
            self._thread.start()
        return self

    def stop(self) -> None:
        if self._thread is not None:
            self._httpd.shutdown()
            self._thread.join()
            self._thread = None
        self._httpd.server_close()
        if self._log_file:
            self._log_file.close()
            self._log_file = None

    def __enter__(self) -> DemoServer:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

"""A hostile loopback HTTP server for fault tests: each path answers as its test says.

A route is a function that writes the whole response itself (status line, headers, body)
through `Reply`, so it can lie, stall or bomb; every request is logged, so a test can
compare the captures in the archive with what the server actually answered.
"""

from __future__ import annotations

import gzip
import threading
from collections.abc import Callable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass(frozen=True, slots=True)
class Reply:
    status: int
    body: bytes = b""
    headers: tuple[tuple[str, str], ...] = (("Content-Type", "text/html; charset=utf-8"),)


Route = Callable[[int], Reply]  # called with how many times this path was asked for before


def page(
    body: str | bytes, status: int = 200, content_type: str = "text/html; charset=utf-8"
) -> Route:
    data = body.encode("utf-8") if isinstance(body, str) else body
    return lambda _: Reply(status, data, (("Content-Type", content_type),))


def gzip_bomb(decompressed_bytes: int) -> Route:
    """A small gzip body that inflates to `decompressed_bytes` of spaces."""
    body = gzip.compress(b" " * decompressed_bytes, compresslevel=9)
    headers = (("Content-Type", "text/html; charset=utf-8"), ("Content-Encoding", "gzip"))
    return lambda _: Reply(200, body, headers)


class HostileServer:
    def __init__(self, routes: dict[str, Route] | None = None):
        self.routes: dict[str, Route] = dict(routes or {})
        self.log: list[str] = []  # the paths asked for, in order
        self._lock = threading.Lock()
        self._released = threading.Event()
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self))
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def stall(self) -> Route:
        """A path that answers only once the server closes (a crawl stuck on it)."""

        def stalled(_: int) -> Reply:
            self._released.wait(600)
            return Reply(503, b"closing")

        return stalled

    def requests_for(self, path: str) -> int:
        with self._lock:
            return self.log.count(path)

    def answer(self, path: str) -> Reply:
        with self._lock:
            seen = self.log.count(path)
            self.log.append(path)
        route = self.routes.get(path)
        return route(seen) if route else Reply(404, b"not found", (("Content-Type", "text/plain"),))

    def __enter__(self) -> HostileServer:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._released.set()
        self.server.shutdown()
        self.server.server_close()


def _handler(site: HostileServer) -> Any:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_GET(self) -> None:
            reply = site.answer(self.path)
            self.send_response(reply.status)
            for name, value in reply.headers:
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(reply.body)))
            self.end_headers()
            self.wfile.write(reply.body)

        def log_message(self, *args: object) -> None:
            pass

    return Handler

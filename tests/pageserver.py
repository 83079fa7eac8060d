"""A tiny loopback HTTP server whose pages a test sets and changes (no ETag, no 304), and
whose answer for a path a test can hold back (`hold`)."""

from __future__ import annotations

import contextlib
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


class PageServer:
    def __init__(self, pages: dict[str, tuple[bytes, str]] | None = None):
        self.pages: dict[str, tuple[bytes, str]] = dict(pages or {})
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self))
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.held: dict[str, tuple[threading.Event, threading.Event]] = {}

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def set(self, path: str, body: bytes, content_type: str = "text/html; charset=gbk") -> None:
        self.pages[path] = (body, content_type)

    def hold(self, path: str) -> tuple[threading.Event, threading.Event]:
        """(asked, release): `asked` is set when `path` is requested, which is answered only
        once the test sets `release`."""
        self.held[path] = (threading.Event(), threading.Event())
        return self.held[path]

    def __enter__(self) -> PageServer:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        for _, release in self.held.values():
            release.set()
        self.server.shutdown()
        self.server.server_close()


def _handler(site: PageServer) -> Any:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            if self.path in site.held:
                asked, release = site.held[self.path]
                asked.set()
                release.wait(60)
            body, content_type = site.pages.get(self.path, (b"not found", "text/plain"))
            self.send_response(200 if self.path in site.pages else 404)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            with contextlib.suppress(BrokenPipeError, ConnectionResetError):  # a killed client
                self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    return Handler

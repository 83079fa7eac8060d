"""Downloader middlewares."""

from __future__ import annotations

from typing import Any

from scrapy import Request
from scrapy.crawler import Crawler


class ConditionalGetMiddleware:
    """Ask for known documents conditionally, with the ETag and Last-Modified stored for them.

    List and home pages are always fetched whole: their links are how new pages are found.
    """

    def __init__(self, crawler: Crawler):
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> ConditionalGetMiddleware:
        return cls(crawler)

    def process_request(self, request: Request, spider: Any = None) -> None:
        known = getattr(self.crawler.spider, "known", {})
        page = known.get(request.url)
        if page is None or not page.has_document:
            return
        if page.etag:
            request.headers.setdefault(b"If-None-Match", page.etag.encode("latin-1"))
        if page.last_modified:
            request.headers.setdefault(b"If-Modified-Since", page.last_modified.encode("latin-1"))
        assert self.crawler.stats is not None
        self.crawler.stats.inc_value("wenku/conditional_requests")

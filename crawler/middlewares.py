"""Downloader middlewares."""

from __future__ import annotations

from typing import Any

from scrapy import Request
from scrapy.crawler import Crawler
from scrapy.downloadermiddlewares import robotstxt
from scrapy.robotstxt import RobotParser
from scrapy.utils.httpobj import urlparse_cached


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


class RobotsTxtMiddleware(robotstxt.RobotsTxtMiddleware):
    """Scrapy's, with every request that waits for a site's robots.txt given the parser.

    Since scrapy/scrapy#6802 the waiters share one Deferred through
    `maybe_deferred_to_future`, whose callback returns None: only the first waiter gets
    the parser, the others get None and are let through, disallowed or not. A crawl that
    starts with many requests to one new host (known pages, a resumed frontier) hits it.
    """

    async def robot_parser(self, request: Request) -> RobotParser | None:
        parser = await super().robot_parser(request)
        stored = self._parsers.get(urlparse_cached(request).netloc)
        return stored if isinstance(stored, RobotParser) else parser

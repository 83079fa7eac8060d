"""Downloader middlewares."""

from __future__ import annotations

import time
from typing import Any

from scrapy import Request
from scrapy.crawler import Crawler
from scrapy.downloadermiddlewares import robotstxt
from scrapy.downloadermiddlewares.httpcompression import HttpCompressionMiddleware
from scrapy.exceptions import IgnoreRequest
from scrapy.http import Response
from scrapy.http.request import NO_CALLBACK
from scrapy.robotstxt import RobotParser
from scrapy.utils.asyncio import sleep
from scrapy.utils.httpobj import urlparse_cached

# Set in a request's meta when its response came back but its body could not be kept.
BODY_REFUSED = "wenku_body_refused"


class CompressionMiddleware(HttpCompressionMiddleware):
    """Scrapy's, except that a body that decompresses past DOWNLOAD_MAXSIZE (a gzip bomb)
    is a response whose capture failed, not one dropped without a trace: the response
    goes on to the spider with an empty body and the reason in `meta[BODY_REFUSED]`."""

    def process_response(
        self, request: Request, response: Response, spider: Any = None
    ) -> Request | Response:
        try:
            return super().process_response(request, response)
        except IgnoreRequest as refused:  # raised only for a body past DOWNLOAD_MAXSIZE
            request.meta[BODY_REFUSED] = str(refused)
            assert self.stats is not None
            self.stats.inc_value("wenku/body_refused")
            return response.replace(body=b"")


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


class RobotsUnavailable(RobotParser):
    """A robots.txt that answered a server error: complete disallow (RFC 9309 §2.3.1.4)
    until `retry_at` (time.monotonic()), when the next request fetches it again."""

    def __init__(self, status: int, retry_at: float):
        self.status = status
        self.retry_at = retry_at

    @classmethod
    def from_crawler(cls, crawler: Crawler, robotstxt_body: bytes) -> RobotsUnavailable:
        raise NotImplementedError("made by RobotsTxtMiddleware, not parsed")

    def allowed(self, url: str | bytes, user_agent: str | bytes) -> bool:
        return False


class RobotsTxtMiddleware(robotstxt.RobotsTxtMiddleware):
    """Scrapy's, with RFC 9309's reading of error answers and a Scrapy bug worked around.

    - A 5xx robots.txt means complete disallow, not (as Scrapy reads its error page) allow
      all: the requests waiting for it wait while it is fetched again
      (WENKU_ROBOTSTXT_RETRIES times, WENKU_ROBOTSTXT_RETRY_DELAY seconds apart, doubling);
      if it still fails, the host's requests are refused (counted in
      `wenku/robotstxt_unavailable`) for WENKU_ROBOTSTXT_RETRY_AFTER seconds, after which
      the next one fetches robots.txt again. A 4xx means allow all, whatever its body says.
    - Since scrapy/scrapy#6802 the waiters share one Deferred through
      `maybe_deferred_to_future`, whose callback returns None: only the first waiter gets
      the parser, the others get None and are let through, disallowed or not. A crawl that
      starts with many requests to one new host (known pages, a resumed frontier) hits it.
    """

    def __init__(self, crawler: Crawler):
        super().__init__(crawler)
        settings = crawler.settings
        self._retries = settings.getint("WENKU_ROBOTSTXT_RETRIES", 2)
        self._retry_delay = settings.getfloat("WENKU_ROBOTSTXT_RETRY_DELAY", 10.0)
        self._retry_after = settings.getfloat("WENKU_ROBOTSTXT_RETRY_AFTER", 600.0)

    async def robot_parser(self, request: Request) -> RobotParser | None:
        netloc = urlparse_cached(request).netloc
        stored = self._parsers.get(netloc)
        if isinstance(stored, RobotsUnavailable) and time.monotonic() >= stored.retry_at:
            del self._parsers[netloc]  # time to ask again
        parser = await super().robot_parser(request)
        stored = self._parsers.get(netloc)
        return stored if isinstance(stored, RobotParser) else parser

    def process_request_2(self, rp: RobotParser | None, request: Request) -> None:
        if isinstance(rp, RobotsUnavailable):
            self._stats.inc_value("wenku/robotstxt_unavailable")
            raise IgnoreRequest(f"robots.txt answered HTTP {rp.status}: complete disallow")
        super().process_request_2(rp, request)

    async def _parse_robots(self, response: Response, netloc: str, request: Request) -> None:
        delay = self._retry_delay
        for _ in range(self._retries):
            if response.status < 500:
                break
            self._stats.inc_value("wenku/robotstxt_retries")
            await sleep(delay)
            delay *= 2
            again = Request(response.url, meta={"dont_obey_robotstxt": True}, callback=NO_CALLBACK)
            response = await self.crawler.engine.download_async(again)
        if response.status >= 500:
            self._give_up(response.status, netloc)
            return
        if response.status >= 400:  # no robots.txt (RFC 9309 §2.3.1.3): allow all
            response = response.replace(body=b"")
        await super()._parse_robots(response, netloc, request)

    def _give_up(self, status: int, netloc: str) -> None:
        self._stats.inc_value("robotstxt/response_count")
        self._stats.inc_value(f"robotstxt/response_status_count/{status}")
        waiting = self._parsers[netloc]
        unavailable = RobotsUnavailable(status, time.monotonic() + self._retry_after)
        self._parsers[netloc] = unavailable
        if not isinstance(waiting, RobotParser) and waiting is not None:
            waiting.callback(unavailable)

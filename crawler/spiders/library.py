"""The document-library spider: follows a site's links, yields every response as a Fetch."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

from scrapy import Request, Spider
from scrapy.downloadermiddlewares.retry import get_retry_request
from scrapy.exceptions import IgnoreRequest
from scrapy.http import Response, TextResponse
from scrapy.linkextractors import IGNORED_EXTENSIONS, LinkExtractor
from twisted.python.failure import Failure

from crawler.profiles import SiteProfile, profile_for_urls
from pipeline.provenance import Discovered, Fetch
from storage.repository import KnownPage

# Retried here rather than in RetryMiddleware, so that the failed response is a capture too.
RETRY_STATUSES = frozenset({500, 502, 503, 504, 522, 524, 408, 429})
# PDFs are fetched and recorded (not parsed); other binaries are not followed.
_SKIPPED_EXTENSIONS = [ext for ext in IGNORED_EXTENSIONS if ext != "pdf"]
# New links a crawl remembers in `pages` at most (the frontier a later crawl starts from);
# past it they are still followed, and counted in stats as wenku/frontier_not_remembered.
FRONTIER_LIMIT = 200_000


class LibrarySpider(Spider):
    name = "library"

    def __init__(
        self,
        profile: SiteProfile | None = None,
        known: dict[str, KnownPage] | None = None,
        due_only: bool = False,
        follow_links: bool = True,
        url: str | None = None,  # `scrapy crawl library -a url=A,B`: the default profile
        **kwargs: Any,
    ):
        super().__init__(**kwargs)
        if profile is None:
            profile = profile_for_urls((url or "").split(",") if url else [])
        self.profile = profile
        # Scrapy's offsite filter compares host names, its link extractor host:port.
        self.allowed_domains = sorted({_hostname(domain) for domain in profile.allowed_domains})
        self.known = known or {}
        self.due_only = due_only
        self.follow_links = follow_links
        self.reported: set[str] = set()  # links already sent as Discovered
        self.started_at = datetime.now(UTC)
        self.links = LinkExtractor(
            allow_domains=profile.allowed_domains,
            deny=profile.deny_patterns,
            deny_extensions=_SKIPPED_EXTENSIONS,
        )

    async def start(self) -> AsyncIterator[Request]:
        for url in self.profile.start_urls:
            yield self._request(url, dont_filter=True)
        # Known documents, and document links found before but never fetched, are visited
        # directly: an unchanged page answers 304 with no body, and a page that is not due
        # is skipped, so the links on them (a mobile mirror, say) would not be seen again.
        if not self.follow_links:  # a recrawl of its start URLs only
            return
        starts = set(self.profile.start_urls)
        for page in self.known.values():
            pending = page.has_document or not page.fetched  # never fetched: a link found earlier
            if pending and page.url not in starts and self._revisit(page.url):
                yield self._request(page.url)

    def parse(self, response: Response) -> Iterator[Fetch | Discovered | Request]:
        fetch = fetch_from_response(response, self.profile.name)
        fetch.detail = self.profile.may_be_document(response.url)
        yield fetch
        if response.status in RETRY_STATUSES and response.request is not None:  # tried again
            retry = get_retry_request(
                response.request, spider=self, reason=f"HTTP {response.status}"
            )
            if retry is not None:
                yield retry
            return
        if not self.follow_links:
            return
        if 300 <= response.status < 400 and response.status != 304:
            yield from self._follow_redirect(response)
        elif 200 <= response.status < 300 and isinstance(response, TextResponse):
            remember = self._below_depth_limit(response)
            for link in self.links.extract_links(response):
                if remember:
                    yield from self._discovered(link.url)
                if self._wanted(link.url):
                    yield self._request(link.url)

    def failed(self, failure: Failure) -> Iterator[Fetch]:
        if failure.check(IgnoreRequest):  # robots.txt or an offsite filter: nothing was fetched
            return
        request = failure.request  # type: ignore[attr-defined]
        kind = failure.type.__name__ if failure.type else "Error"
        error = f"{kind}: {failure.getErrorMessage()}"
        yield Fetch(request.url, self.profile.name, datetime.now(UTC), None, error=error)

    def _follow_redirect(self, response: Response) -> Iterator[Request]:
        location = response.headers.get("Location")
        if location:
            url = response.urljoin(location.decode("latin-1"))
            if self._wanted(url):
                yield self._request(url)

    def _discovered(self, url: str) -> Iterator[Discovered]:
        """Every in-scope link the crawl will request is remembered as frontier, whatever
        its URL looks like: the page's content, not its URL, says whether it is a document."""
        if url in self.known or url in self.reported:
            return
        if len(self.reported) >= FRONTIER_LIMIT:
            self._count("wenku/frontier_not_remembered")
            return
        self.reported.add(url)
        yield Discovered(url, self.profile.name, datetime.now(UTC))

    def _below_depth_limit(self, response: Response) -> bool:
        """Whether the links on `response` are requested (DepthMiddleware drops deeper ones)."""
        limit = self.settings.getint("DEPTH_LIMIT") if hasattr(self, "crawler") else 0
        return not limit or response.meta.get("depth", 0) < limit

    def _count(self, key: str) -> None:
        if self.crawler.stats is not None:
            self.crawler.stats.inc_value(key)

    def _revisit(self, url: str) -> bool:
        return (urlsplit(url).hostname or "") in self.allowed_domains and self._wanted(url)

    def _wanted(self, url: str) -> bool:
        page = self.known.get(url)
        return not (self.due_only and page and page.has_document and not self._is_due(page))

    def _is_due(self, page: KnownPage) -> bool:
        return page.next_fetch_at is None or page.next_fetch_at <= self.started_at

    def _request(self, url: str, dont_filter: bool = False) -> Request:
        return Request(
            url,
            callback=self.parse,
            errback=self.failed,
            dont_filter=dont_filter,
            priority=self.profile.priority(url),
        )


def _hostname(domain: str) -> str:
    return urlsplit(f"//{domain}").hostname or domain


def fetch_from_response(response: Response, site: str) -> Fetch:
    headers = {
        key.decode("latin-1").lower(): b", ".join(values).decode("latin-1")
        for key, values in response.headers.items()
    }
    return Fetch(
        url=response.url,
        site=site,
        fetched_at=datetime.now(UTC),
        status=response.status,
        headers=headers,
        body=response.body,
    )

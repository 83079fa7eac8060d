"""The document-library spider: follows a site's links, yields every response as a Fetch."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urldefrag, urlsplit

from scrapy import Request, Spider
from scrapy.downloadermiddlewares.retry import get_retry_request
from scrapy.exceptions import IgnoreRequest
from scrapy.http import Response, TextResponse
from scrapy.linkextractors import IGNORED_EXTENSIONS, LinkExtractor
from scrapy.utils.response import get_meta_refresh
from twisted.python.failure import Failure

from crawler.articles import ARTICLE, PART_PRIORITY, ArticleChain
from crawler.middlewares import BODY_REFUSED
from crawler.profiles import SiteProfile, profile_for_urls
from pipeline.pagination import Pager, find_pager
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
        self.articles: set[str] = set()  # first pages of articles split over pages, fetched
        # URLs requested with dont_filter (start URLs, an article's pages), which Scrapy's
        # dupefilter does not record: a link to one of them is not followed again.
        self.forced: set[str] = set()
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

    def parse(self, response: Response) -> Iterator[Fetch | tuple[Discovered, ...] | Request]:
        fetch = fetch_from_response(response, self.profile.name)
        fetch.detail = self.profile.may_be_document(response.url)
        fetch.error = response.meta.get(BODY_REFUSED)  # a gzip bomb: fetched, not kept
        chain: ArticleChain | None = response.meta.get(ARTICLE)
        if fetch.error:  # no body to read links from
            yield from self._failed_part(chain, fetch, ended=True)
            return
        if response.status in RETRY_STATUSES and response.request is not None:  # tried again
            retry = get_retry_request(
                response.request, spider=self, reason=f"HTTP {response.status}"
            )
            yield from self._failed_part(chain, fetch, ended=retry is None)
            if retry is not None:
                retry.meta.pop("download_latency", None)  # the failed download's, not this one's
                yield retry
            return
        page = _readable(response)
        links = self._page_links(page)
        pager = find_pager(response.url, links)
        # The page goes on after its links: once it is archived (and no longer in flight on
        # a shared frontier) its links must be queued and remembered already, or a crash
        # between the two loses them (a resumed crawl skips the page, so never sees them).
        kept = list(self._keep(fetch, chain, pager))
        if self.follow_links:
            yield from self._follow(response, chain, pager, links)
            yield from self._follow_refresh(page)
        yield from kept

    def _follow(
        self,
        response: Response,
        chain: ArticleChain | None,
        pager: Pager | None,
        links: list[tuple[str, str]],
    ) -> Iterator[tuple[Discovered, ...] | Request]:
        if 300 <= response.status < 400 and response.status != 304:
            yield from self._follow_redirect(response)
        skipped = self._fetched_as_parts(chain, pager)
        urls = list(dict.fromkeys(url for url, _ in links if url != response.url))
        if self._below_depth_limit(response):
            yield from self._discovered(urls)
        for url in urls:
            if url not in skipped and self._wanted(url):
                yield self._request(url)

    def failed(self, failure: Failure) -> Iterator[Fetch]:
        request = failure.request  # type: ignore[attr-defined]
        if failure.check(IgnoreRequest):  # robots.txt or an offsite filter: nothing was fetched
            chain = request.meta.get(ARTICLE)
            if chain is not None:  # the article is kept without that part
                yield chain.finish(missing=True)
            return
        kind = failure.type.__name__ if failure.type else "Error"
        error = f"{kind}: {failure.getErrorMessage()}"
        fetch = Fetch(request.url, self.profile.name, datetime.now(UTC), None, error=error)
        yield from self._failed_part(request.meta.get(ARTICLE), fetch, ended=True)

    def _page_links(self, response: TextResponse | None) -> list[tuple[str, str]]:
        """(URL without its #fragment, text) of the page's in-scope links."""
        if response is not None:
            return [
                (urldefrag(link.url).url, link.text) for link in self.links.extract_links(response)
            ]
        return []

    def _keep(
        self, fetch: Fetch, chain: ArticleChain | None, pager: Pager | None
    ) -> Iterator[Fetch | Request]:
        """Hand the fetch on, or hold it as a part of an article split over pages."""
        if chain is not None:
            chain.add(fetch)
            ok = fetch.status is not None and 200 <= fetch.status < 300
            yield from self._next_part(chain, pager if ok else None)
        elif pager is not None and pager.part == 1 and pager.next_url:
            yield from self._first_part(fetch, pager)
        elif pager is not None and pager.part > 1:  # reached on its own, not from its first page
            fetch.detail = False  # no document of its own: its article's is made from all parts
            yield fetch
            if pager.first_url:  # else a page that links to it will lead there
                yield from self._whole_article(pager.first_url)
        else:
            yield fetch

    def _first_part(self, fetch: Fetch, pager: Pager) -> Iterator[Fetch | Request]:
        if fetch.url in self.articles:  # this article is being fetched already
            fetch.detail = False
            yield fetch
            return
        self.articles.add(fetch.url)
        yield from self._next_part(ArticleChain.start(fetch), pager)

    def _next_part(self, chain: ArticleChain, pager: Pager | None) -> Iterator[Fetch | Request]:
        url = chain.next_part(pager)
        if url is None:
            yield chain.finish()
            return
        self.forced.add(url)
        yield Request(
            url,
            callback=self.parse,
            errback=self.failed,
            dont_filter=True,  # a part is fetched with its article, seen before or not
            priority=PART_PRIORITY,
            meta={ARTICLE: chain, "depth_reset": True},  # a chain is bounded by MAX_PARTS
        )

    def _failed_part(
        self, chain: ArticleChain | None, fetch: Fetch, ended: bool
    ) -> Iterator[Fetch]:
        if chain is None:
            yield fetch
            return
        chain.add(fetch)
        if ended:  # the article is kept without this part (and flagged so)
            yield chain.finish()

    def _whole_article(self, first_url: str) -> Iterator[Request]:
        """Fetch an article from its first page, once a crawl: a later part alone is no text."""
        asked = first_url in self.articles or first_url in self.forced
        if not asked and self._in_scope(first_url):
            self.forced.add(first_url)
            yield Request(
                first_url,
                callback=self.parse,
                errback=self.failed,
                dont_filter=True,
                priority=PART_PRIORITY,
            )

    def _fetched_as_parts(self, chain: ArticleChain | None, pager: Pager | None) -> frozenset[str]:
        """Pager links not to follow as pages: an article's parts come with its first page."""
        if pager is None or (chain is None and pager.part == 1 and pager.next_url is None):
            return frozenset()
        if chain is None and pager.part > 1:  # its first page is requested as a whole article
            return frozenset({pager.first_url}) if pager.first_url else frozenset()
        if chain is not None and pager.next_url and pager.next_url not in chain.numbers:
            return pager.part_urls - {pager.next_url}  # capped: the rest is crawled page by page
        return pager.part_urls

    def _follow_redirect(self, response: Response) -> Iterator[Request]:
        location = response.headers.get("Location")
        if location:
            url = response.urljoin(location.decode("latin-1"))
            if self._wanted(url):
                yield self._request(url)

    def _follow_refresh(self, response: TextResponse | None) -> Iterator[Request]:
        """A browser follows `<meta http-equiv=refresh>` to its URL; so does the crawl, once
        the page itself is a capture (METAREFRESH_MAXDELAY: a longer one only reloads)."""
        if response is None:
            return
        delay, url = get_meta_refresh(response, ignore_tags=("noscript",))
        max_delay = self.settings.getfloat("METAREFRESH_MAXDELAY", 100)
        if url and delay is not None and delay < max_delay and self._wanted(url):
            yield self._request(url)

    def _discovered(self, urls: list[str]) -> Iterator[tuple[Discovered, ...]]:
        """Every in-scope link the crawl will request is remembered as frontier, whatever
        its URL looks like: the page's content, not its URL, says whether it is a document.
        A page's new links are one item (a tuple), not one each: every item goes through
        Scrapy's item machinery."""
        new = [url for url in urls if url not in self.known and url not in self.reported]
        room = max(0, FRONTIER_LIMIT - len(self.reported))
        if len(new) > room:
            self._count("wenku/frontier_not_remembered", len(new) - room)
            new = new[:room]
        if new:
            self.reported.update(new)
            seen_at = datetime.now(UTC)
            yield tuple(Discovered(url, self.profile.name, seen_at) for url in new)

    def _below_depth_limit(self, response: Response) -> bool:
        """Whether the links on `response` are requested (DepthMiddleware drops deeper ones)."""
        limit = self.settings.getint("DEPTH_LIMIT") if hasattr(self, "crawler") else 0
        return not limit or response.meta.get("depth", 0) < limit

    def _count(self, key: str, count: int = 1) -> None:
        if self.crawler.stats is not None:
            self.crawler.stats.inc_value(key, count)

    def _revisit(self, url: str) -> bool:
        return self._in_scope(url) and self._wanted(url)

    def _in_scope(self, url: str) -> bool:
        return (urlsplit(url).hostname or "") in self.allowed_domains

    def _wanted(self, url: str) -> bool:
        if url in self.forced:  # requested already, with dont_filter
            return False
        page = self.known.get(url)
        if page is not None and (page.article_part or 0) > 1:  # comes with its first page
            return False
        return not (self.due_only and page and page.has_document and not self._is_due(page))

    def _is_due(self, page: KnownPage) -> bool:
        return page.next_fetch_at is None or page.next_fetch_at <= self.started_at

    def _request(self, url: str, dont_filter: bool = False) -> Request:
        if dont_filter:
            self.forced.add(url)
        return Request(
            url,
            callback=self.parse,
            errback=self.failed,
            dont_filter=dont_filter,
            priority=self.profile.priority(url),
        )


def _readable(response: Response) -> TextResponse | None:
    """A copy of a 2xx text `response` to read its links from, None for any other.

    Reading a response caches its decoded text and its lxml tree on it, and the response
    and its cached selector refer to each other (scrapy/scrapy#2977), so only the cyclic
    garbage collector frees them. Scrapy keeps the response while its items wait for the
    archive (back-pressure), long enough for it to reach the oldest generation, which is
    collected rarely: the trees of hundreds of pages (~50 KB each) piled up in memory.
    The copy shares the body and headers, and is garbage, young, as soon as `parse` is
    done. (Not `response.replace()`: it reads `response.encoding`, which decodes the body.)
    """
    if not (200 <= response.status < 300 and isinstance(response, TextResponse)):
        return None
    return type(response)(
        response.url, status=response.status, headers=response.headers, body=response.body
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

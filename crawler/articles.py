"""An article split over several pages, as the spider fetches it: one part after another.

The first page's fetch and every later part's are held until the last part is in (or a
part fails), then handed on together: the first page's Fetch carries the others in
`parts`, so that the archive cleans, joins and writes them in one transaction. A crash
before that loses only fetches; the first page is still in the frontier and is fetched
again (with its parts) by the next crawl. The chain travels in the requests' meta, so a
crawl resumed from its JOBDIR goes on with it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from pipeline.pagination import Pager
from pipeline.provenance import Fetch

ARTICLE = "wenku_article"  # the request meta key holding the ArticleChain
MAX_PARTS = 50  # parts fetched as one article at most; a longer pager is crawled page by page
PART_PRIORITY = 20  # parts go before other requests, so that chains finish soon


@dataclass(slots=True)
class ArticleChain:
    """The fetches of one article so far, first page first."""

    fetches: list[Fetch] = field(default_factory=list)
    numbers: dict[str, int] = field(default_factory=dict)  # part URL → its place

    @classmethod
    def start(cls, first: Fetch) -> ArticleChain:
        chain = cls()
        chain.numbers[first.url] = 1
        chain.add(first)
        return chain

    def add(self, fetch: Fetch) -> None:
        fetch.article_part = self.numbers.get(fetch.url)
        if self.fetches:  # a later part is cleaned if its article is, whatever its URL
            fetch.detail = self.fetches[0].detail
        self.fetches.append(fetch)

    def next_part(self, pager: Pager | None) -> str | None:
        """The URL to fetch next, registering it; None when the article ends (or is capped)."""
        url = pager.next_url if pager else None
        if url is None or url in self.numbers or len(self.numbers) >= MAX_PARTS:
            return None
        self.numbers[url] = len(self.numbers) + 1
        return url

    def finish(self, missing: bool = False) -> Fetch:
        """The first page's fetch, carrying every later fetch of the article in `parts`;
        `missing`: a part was never fetched (robots.txt), so the text lacks it."""
        first = self.fetches[0]
        first.parts = self.fetches[1:]
        first.parts_missing = missing
        return first

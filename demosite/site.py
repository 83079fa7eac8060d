"""`DemoSite`: the whole demo document library for one seed and one night.

Deterministic and lazy: the layout is drawn up front (cheap), documents and pages are
generated on first request and kept in bounded caches. `render(path, base_url)` is
all a server needs; `truth()` is all a test needs.
"""

from __future__ import annotations

import hashlib
import re
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any
from urllib.parse import urlsplit

from demosite import listing
from demosite.chrome import Chrome
from demosite.corpus import Category, Corpus, load_corpus
from demosite.dress import Forward, content_type, dress_page, encode_page
from demosite.model import Document, make_document, part_of, part_slices, revise
from demosite.pages import BASE_SLOT, draw_look
from demosite.plan import ARTICLE_BASE, ARTICLE_PARTS, Plan, build_plan
from demosite.truth import QUALITY_BASE, quality_pages, site_truth

NIGHT_TIMES = {1: datetime(2024, 6, 1, 3, 0, tzinfo=UTC), 2: datetime(2024, 6, 2, 3, 0, tzinfo=UTC)}
HTML = "text/html; charset=utf-8"
_PDF = re.compile(r"/files/(\d+)\.pdf")
ARTICLE_KEY = ARTICLE_BASE + 1  # the document of the article split over pages


@dataclass(frozen=True, slots=True)
class Response:
    status: int
    body: bytes
    content_type: str
    last_modified: datetime | None = None  # set on 200 responses
    location: str | None = None  # set on redirects
    etag: str | None = field(init=False, default=None)  # a hash of the body, on 200s

    def __post_init__(self) -> None:
        if self.status == 200:
            digest = hashlib.sha256(self.body).hexdigest()[:32]
            object.__setattr__(self, "etag", f'"{digest}"')


class DemoSite:
    def __init__(self, plan: Plan, corpus: Corpus) -> None:
        self.plan = plan
        self.corpus = corpus
        self._forward: dict[str, Forward] = {}
        self._night_one: DemoSite | None = None
        self._lock = threading.Lock()
        self._pages: dict[tuple[str, str], Response] = {}  # document pages: a finite set
        self.document = lru_cache(maxsize=512)(self._document)
        self._dressed = lru_cache(maxsize=64)(self._dress)
        self._render_other = lru_cache(maxsize=512)(self._render_uncached)

    @classmethod
    def build(cls, pages: int = 200, seed: int = 7, night: int = 1) -> DemoSite:
        corpus = load_corpus()
        return cls(build_plan(corpus, pages, seed, night), corpus)

    @property
    def seed(self) -> int:
        return self.plan.seed

    @property
    def night(self) -> int:
        return self.plan.night

    def is_flaky(self, path: str) -> bool:
        spec = self.plan.specs.get(path)
        return spec is not None and spec.route == "flaky"

    def _document(self, key: int) -> Document:
        doc = make_document(self.corpus, self.seed, key, self.plan.categories[key])
        within = None
        if key == ARTICLE_KEY:  # no 扩展阅读; night 2 changes its second page
            doc = replace(doc, extended=None)
            within = part_slices(len(doc.article.paragraphs), ARTICLE_PARTS)[1]
        return revise(self.corpus, self.seed, doc, within) if key in self.plan.revised else doc

    def page_document(self, path: str) -> Document:
        """The document as the page at `path` shows it (one page's share of a split article)."""
        spec = self.plan.specs[path]
        doc = self.document(spec.doc_key)
        return part_of(doc, spec.part, len(spec.parts)) if spec.part else doc

    def resolve(self, target: str) -> str:
        """The page a request target names: a document's path and query (`/show.asp?id=7`),
        else the path alone (other query strings are ignored)."""
        if target in self.plan.specs or target in self.plan.gone:
            return target
        return urlsplit(target).path or "/"

    def title_of(self, path: str) -> str:
        """The title a list shows for a page (gone pages stay listed, as on real sites)."""
        spec = self.plan.specs.get(path) or self.plan.gone[path]
        return self.document(spec.doc_key).article.title

    def forward(self, path: str) -> Forward:
        """What the forward process did to a document page (see dress.Forward)."""
        if path not in self._forward:
            self._dressed(path)
        return self._forward[path]

    def _dress(self, path: str) -> str:
        spec = self.plan.specs[path]
        doc = self.page_document(path)
        look = draw_look(self.corpus, self.seed, path, len(doc.article.paragraphs))
        if spec.part:  # an article's pages carry its pager, not library chrome
            look = replace(look, upload=False, chrome=Chrome())
        html, counts = dress_page(spec, doc, look, self.seed)
        self._forward[path] = counts
        return html

    def render(self, path: str, base_url: str) -> Response:
        """The response for a path (`resolve`d from the request target) on `base_url`.

        Document pages are rendered and encoded once, then served from memory.
        """
        if path not in self.plan.specs:
            return self._render_other(path, base_url)
        response = self._pages.get((path, base_url))
        if response is None:
            response = self._pages[path, base_url] = self._render_document(path, base_url)
        return response

    def prerender(self, base_url: str) -> None:
        """Render every document page now rather than on its first request."""
        for path in self.plan.specs:
            self.render(path, base_url)

    def _render_document(self, path: str, base_url: str) -> Response:
        spec = self.plan.specs[path]
        html = self._dressed(path).replace(BASE_SLOT, base_url.rstrip("/"))
        doc = self.document(spec.doc_key)
        modified = NIGHT_TIMES[2] if doc.revised else doc.published_at
        return Response(200, encode_page(html, spec.dress), content_type(spec.dress), modified)

    def _render_uncached(self, path: str, base_url: str) -> Response:
        if path in self.plan.gone:
            return error_response(410)
        if path in self.plan.redirects:
            return Response(
                301, b"", HTML, location=base_url.rstrip("/") + self.plan.redirects[path]
            )
        found = self._other(path)
        if found is None:
            return error_response(404)
        body, kind = found
        return Response(200, body, kind, self._other_modified(path, base_url, body))

    def _other(self, path: str) -> tuple[bytes, str] | None:
        """Bytes and content type of a page that is not a document, or None."""
        if path == "/robots.txt":
            return listing.ROBOTS.encode(), "text/plain; charset=utf-8"
        if _PDF.fullmatch(path) and path in self.plan.pdfs:
            return listing.pdf_bytes(f"wenku demo attachment {path}"), "application/pdf"
        html = self._listing_html(path)
        return (html.encode("utf-8"), HTML) if html is not None else None

    def _listing_html(self, path: str) -> str | None:
        if path == "/":
            return listing.home_html(self.plan, self.corpus.categories, self.title_of)
        parsed = listing.parse_list_path(path)
        if parsed is None:
            return listing.calendar_html(path)
        category = self._category(parsed[0])
        if category is None or parsed[1] > listing.page_count(self.plan, category.slug):
            return None
        return listing.list_html(self.plan, category, parsed[1], self.title_of)

    def _category(self, slug: str) -> Category | None:
        return next((c for c in self.corpus.categories if c.slug == slug), None)

    def _other_modified(self, path: str, base_url: str, body: bytes) -> datetime:
        """Night 1's time if the bytes are night 1's, else tonight's."""
        if self.night == 1:
            return NIGHT_TIMES[1]
        earlier = self._night_one_site().render(path, base_url)
        if earlier.status == 200 and earlier.body == body and earlier.last_modified:
            return earlier.last_modified
        return NIGHT_TIMES[self.night]

    def share_night_one(self, site: DemoSite) -> None:
        """Use `site` (night 1 of the same site) to date unchanged pages."""
        if site.night != 1 or (site.plan.pages, site.seed) != (self.plan.pages, self.seed):
            raise ValueError("not night 1 of the same site")
        with self._lock:
            self._night_one = site

    def _night_one_site(self) -> DemoSite:
        with self._lock:
            if self._night_one is None:
                self._night_one = DemoSite.build(self.plan.pages, self.seed, 1)
            return self._night_one

    def quality_pages(self, base_url: str = QUALITY_BASE) -> Iterator[dict[str, Any]]:
        """Every document page with its truth, as `bench/quality.py` measures pages."""
        return quality_pages(self, base_url)

    def truth(self, bodies: bool = True) -> dict[str, Any]:
        """Ground truth for every page of tonight's site (see demosite.truth).

        `bodies=False` leaves the texts out (hashes stay), for very large sites.
        """
        return site_truth(self, bodies)


def error_response(status: int) -> Response:
    """A small HTML error page (404, 410 or 500)."""
    return Response(status, listing.error_html(status).encode("utf-8"), HTML)

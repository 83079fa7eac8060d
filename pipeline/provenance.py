"""Where and when a response came from: the plain record every fetch leaves behind."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal

from pipeline.types import PageRecord, RawPage

Outcome = Literal["new", "changed", "unchanged", "not_modified", "duplicate", "failed", "skipped"]
OUTCOMES: tuple[Outcome, ...] = (
    "new",
    "changed",
    "unchanged",
    "not_modified",
    "duplicate",
    "failed",
    "skipped",
)
GONE_STATUSES = frozenset({404, 410})


@dataclass(slots=True)
class Fetch:
    """One fetch of one URL: the response (or the error) and its provenance."""

    url: str
    site: str
    fetched_at: datetime
    status: int | None  # None when no response came back at all
    headers: dict[str, str] = field(default_factory=dict)  # names lower-cased
    body: bytes = b""
    error: str | None = None
    warc_file: str | None = None
    warc_offset: int | None = None
    detail: bool = True  # may be a document on its own: clean it (profile and pager say so)
    article_part: int | None = None  # its place in an article split over pages (1: first)
    parts: list[Fetch] = field(default_factory=list)  # on a first page: the later parts' fetches
    parts_missing: bool = False  # on a first page: a later part was not fetched (robots.txt)

    @property
    def raw_sha256(self) -> str | None:
        return hashlib.sha256(self.body).hexdigest() if self.status else None

    @property
    def is_html(self) -> bool:
        content_type = self.headers.get("content-type", "text/html").lower()
        return "html" in content_type or "xml" in content_type

    def with_parts(self) -> list[Fetch]:
        """This fetch, then those of its article's later parts (crawler.articles)."""
        return [self, *self.parts]

    def raw_page(self) -> RawPage:
        return RawPage(url=self.url, body=self.body, headers=self.headers, status=self.status or 0)


@dataclass(frozen=True, slots=True)
class Discovered:
    """A document URL found on a page: remembered so that a later crawl can fetch it even
    when the page that links to it is skipped (not due) or answers 304 (no body)."""

    url: str
    site: str
    seen_at: datetime


@dataclass(slots=True)
class Cleaned:
    """A fetch together with what the cleaning path made of it (None: not cleaned)."""

    fetch: Fetch
    record: PageRecord | None
    error: str | None = None  # the cleaning failed: the capture keeps why

    def __post_init__(self) -> None:
        if self.error is None and self.record is not None and self.record.parser_gave_up:
            self.error = f"HTML parser gave up part-way: {self.record.parser_gave_up}"


def fetch_error(fetch: Fetch) -> str | None:
    """Why this fetch counts as failed, or None when it did not fail."""
    if fetch.error:
        return fetch.error
    if fetch.status is None:
        return "no response"
    if fetch.status >= 400:
        return f"HTTP {fetch.status}"
    return None

"""Plain data that flows through the cleaning stages.

raw response (RawPage) → decoded text (Decoded) → extracted fields (Extracted)
→ cleaned and fingerprinted documents (CleanDocument) → one PageRecord per page.

Nothing here imports Scrapy or SQLAlchemy: the stages are usable on their own.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any

PARSER_GAVE_UP = "parser_gave_up"  # the flag of a page libxml2 stopped parsing early


@dataclass(frozen=True, slots=True)
class RawPage:
    """One HTTP response as it came off the wire."""

    url: str
    body: bytes
    headers: Mapping[str, str] = field(default_factory=dict)  # names lower-cased
    status: int = 200

    @property
    def content_type(self) -> str:
        return self.headers.get("content-type", "")


@dataclass(frozen=True, slots=True)
class Decoded:
    url: str
    text: str
    encoding: str  # the codec actually used, e.g. "gb18030", "big5", "utf-8"
    declared: str | None  # what the header or <meta> claimed, if anything
    declaration_lied: bool  # a declaration existed and the bytes disagreed with it
    stray_bytes: int = 0  # bytes the codec could not read, replaced by U+FFFD
    latin1_page: bool = False  # GBK shown as Latin-1 throughout, read back as GBK


@dataclass(slots=True)
class Article:
    """A title and its body lines before cleaning (the page's own or an appended one)."""

    title: str
    lines: list[str]
    source: str | None = None  # an appended article's closing `(来源:…)`, if it has one


@dataclass(slots=True)
class Extracted:
    url: str
    title: str
    lines: list[str]  # the main article's body, one paragraph per item, still dirty
    category: str | None = None  # breadcrumb path joined with " > ", site root excluded
    published_at: datetime | None = None
    source: str | None = None
    disclaimer: str | None = None
    canonical_url: str | None = None
    extended_reading: list[Article] = field(default_factory=list)
    chrome_lines: int = 0  # lines the extractor recognised as site chrome and left out
    spam_lines: int = 0  # lines before the header recognised as injected SEO spam
    cloaking_lines: int = 0  # lines before the header that are markup shown as text
    script: str = "neutral"  # the body's script: "traditional", "simplified" or "neutral"
    link_density: float = 0.0  # share of the article region's text inside links (lists: high)
    author: str | None = None
    parser_gave_up: str | None = None  # why the HTML parser stopped early, if it did


@dataclass(slots=True)
class Repairs:
    spam_lines: int = 0
    pinyin_annotations: int = 0
    mojibake_repaired: int = 0
    mojibake_unrepaired: int = 0
    boilerplate_lines: int = 0
    cloaking_markup: int = 0  # markup shown as text, e.g. an empty `<tr id="…"></tr>`
    escape_debris: int = 0  # literal escapes such as `x0dx0a`
    latin1_repaired: int = 0  # runs of GBK bytes shown as Latin-1, decoded back
    conversion_repaired: int = 0  # characters or phrases of conversion damage fixed
    chrome_spans: int = 0  # chrome cut out of a paragraph (anti-copy noise, 小编 lines)

    def add(self, other: Repairs) -> None:
        for name, value in asdict(other).items():
            setattr(self, name, getattr(self, name) + value)


@dataclass(slots=True)
class CleanDocument:
    """A cleaned, normalised text: the unit of identity in the archive."""

    title: str
    body: str  # paragraphs joined by "\n"; what content_hash is computed over
    content_hash: str
    category: str | None = None
    published_at: datetime | None = None
    source: str | None = None
    disclaimer: str | None = None
    repairs: Repairs = field(default_factory=Repairs)
    flags: list[str] = field(default_factory=list)  # e.g. "masked_year"
    author: str | None = None  # last: the fields before it keep their positions


@dataclass(slots=True)
class PageRecord:
    """Everything the cleaning path learnt from one page."""

    url: str
    canonical_url: str | None
    encoding: str
    declaration_lied: bool
    document: CleanDocument | None  # None when the page carries no article
    extended_reading: list[CleanDocument] = field(default_factory=list)
    stray_bytes: int = 0  # bytes of the page its codec could not read (replaced)
    parser_gave_up: str | None = None  # why the HTML parser stopped early: the page is cut

    @property
    def flags(self) -> list[str]:
        """The document's flags, and the page's own (`parser_gave_up`)."""
        own = [PARSER_GAVE_UP] if self.parser_gave_up else []
        return sorted({*(self.document.flags if self.document else []), *own})

    def to_json(self) -> dict[str, Any]:
        """The record as `wenku clean --json` and `wenku export` print it (SPEC.md)."""
        doc = self.document
        published = doc.published_at.isoformat() if doc and doc.published_at else None
        return {
            "url": self.url,
            "canonical_url": self.canonical_url,
            "title": doc.title if doc else None,
            "body": doc.body if doc else None,
            "category": doc.category if doc else None,
            "published_at": published,
            "author": doc.author if doc else None,
            "source": doc.source if doc else None,
            "disclaimer": doc.disclaimer if doc else None,
            "content_hash": doc.content_hash if doc else None,
            "extended_reading": [
                {"title": e.title, "content_hash": e.content_hash} for e in self.extended_reading
            ],
            "repairs": asdict(doc.repairs) if doc else asdict(Repairs()),
            "flags": self.flags,
            "encoding": self.encoding,
            "declaration_lied": self.declaration_lied,
            "stray_bytes": self.stray_bytes,
        }

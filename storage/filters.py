"""The document filters `wenku search` and `wenku export` share: site, category, dates."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal, TypeVar

from sqlalchemy import Select, exists, or_, select

from pipeline import normalise_text
from storage.models import Capture, Document, DocumentLink, Page

DateField = Literal["published_at", "first_seen_at", "last_seen_at"]
DATE_FIELDS: tuple[DateField, ...] = ("published_at", "first_seen_at", "last_seen_at")
CATEGORY_SEPARATOR = " > "

AnySelect = Select[*tuple[Any, ...]]
S = TypeVar("S", bound=AnySelect)


@dataclass(frozen=True, slots=True)
class Filters:
    """Which documents to keep; `None` keeps all. Dates: `since` ≤ date < `until`."""

    site: str | None = None  # seen on this site, now or in the past
    category: str | None = None  # a category path, or any of its leading parts
    since: datetime | None = None
    until: datetime | None = None
    date_field: DateField = "published_at"

    def apply(self, query: S) -> S:
        """`query` (which selects from `documents`) narrowed to the documents kept."""
        if self.site is not None:
            query = query.where(seen_on_site(self.site))
        if self.category is not None:
            query = query.where(_in_category(self.category))
        moment = getattr(Document, self.date_field)
        if self.since is not None:
            query = query.where(moment >= as_utc(self.since))
        if self.until is not None:
            query = query.where(moment < as_utc(self.until))
        return query


def seen_on_site(site: str) -> Any:
    """The document was fetched from a page of `site`, or appended to one that was."""
    fetched = select(Capture.id).join(Page, Page.id == Capture.page_id).where(Page.site == site)
    appended = fetched.join(
        DocumentLink, DocumentLink.from_document_id == Capture.document_id
    ).where(DocumentLink.to_document_id == Document.id, DocumentLink.kind == "extended_reading")
    return or_(exists(fetched.where(Capture.document_id == Document.id)), exists(appended))


def _in_category(category: str) -> Any:
    """The category itself or one below it: `公文素材` keeps `公文素材 > 范文素材`."""
    path = CATEGORY_SEPARATOR.join(
        part.strip() for part in normalise_text(category).split(">") if part.strip()
    )
    below = Document.category.startswith(path + CATEGORY_SEPARATOR, autoescape=True)
    return or_(Document.category == path, below)


def as_utc(moment: datetime) -> datetime:
    """An aware datetime; a naive one is taken to be UTC."""
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment

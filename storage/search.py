"""`wenku search`: full-text search over titles and bodies, for Chinese in either script.

The query is put in the normal form the archive stores (Traditional → Simplified,
full-width → ASCII, …) and split on white space into terms; a document matches when each
term occurs in its title or its body.
- SQLite: terms of 3+ characters go through the FTS5 trigram index `documents_fts`,
  which the archive writer fills after each commit (`index_new_documents`); documents
  newer than the index's high-water mark are matched with LIKE meanwhile. Shorter terms
  (most Chinese words have two characters, less than one trigram) are matched with LIKE,
  on the documents the other terms and the filters leave.
- PostgreSQL: ILIKE, which the pg_trgm GIN indexes serve for terms of 3+ characters.
Ranking is the same on both: each occurrence in the title counts `TITLE_WEIGHT`, each in
the body 1; ties go to the most recently published.
"""

from __future__ import annotations

import functools
import operator
import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Select,
    and_,
    column,
    func,
    literal_column,
    or_,
    select,
    table,
    text,
)
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from pipeline import normalise_text
from storage.export import PageRef, carrying_pages
from storage.filters import AnySelect, Filters, S
from storage.models import Document
from storage.query import AnalystError, read_only_session

MIN_TRIGRAM = 3
TITLE_WEIGHT = 10
SNIPPET_BEFORE = 30  # characters of context before the first hit
SNIPPET_LENGTH = 100
_TERMS = re.compile(r'"([^"]*)"|([^\s"]+)')
_FTS = table("documents_fts", column("rowid"))
_FTS_PROGRESS = table("documents_fts_progress", column("last_document_id"))


@dataclass(frozen=True, slots=True)
class Hit:
    document_id: int
    content_hash: str
    title: str
    category: str | None
    published_at: datetime | None
    url: str | None
    score: int
    snippet: str  # the body around the first hit, paragraphs joined by spaces
    highlights: list[tuple[int, int]] = field(default_factory=list)  # [start, end) in snippet

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.document_id,
            "content_hash": self.content_hash,
            "title": self.title,
            "category": self.category,
            "published_at": self.published_at.isoformat() if self.published_at else None,
            "url": self.url,
            "score": self.score,
            "snippet": self.snippet,
            "highlights": [list(span) for span in self.highlights],
        }


def search_archive(db_url: str, text: str, filters: Filters, limit: int = 20) -> list[Hit]:
    """Search the archive at `db_url` read-only (see `search`)."""
    with read_only_session(db_url) as session:
        try:
            return search(session, text, filters, limit)
        except OperationalError as exc:
            if "documents_fts" not in str(exc.orig):
                raise
            raise AnalystError("the archive has no search index yet: run wenku db upgrade") from exc


def search(
    session: Session, text: str, filters: Filters | None = None, limit: int = 20
) -> list[Hit]:
    """The `limit` best documents matching every term of `text`, best first."""
    terms = query_terms(text)
    if not terms:
        raise AnalystError("wenku search needs some text to look for")
    score = _score(terms).label("score")
    query: AnySelect = select(Document, score)
    query = _match(query, terms, session.get_bind().dialect.name)
    query = (filters or Filters()).apply(query)
    newest_first = (Document.published_at.is_(None), Document.published_at.desc())
    query = query.order_by(score.desc(), *newest_first, Document.id).limit(limit)
    rows: list[Any] = list(session.execute(query).all())
    site = filters.site if filters else None
    pages = carrying_pages(session, [doc.id for doc, _ in rows], site)
    return [_hit(doc, int(points), pages.get(doc.id), terms) for doc, points in rows]


def query_terms(text: str) -> list[str]:
    """The query in the archive's normal form, folded to lower case, split into terms at
    spaces; a "quoted phrase" is one term."""
    pairs = _TERMS.findall(_fold(normalise_text(text)))
    return list(dict.fromkeys(term for pair in pairs if (term := "".join(pair).strip())))


def _match(query: S, terms: list[str], dialect: str) -> S:
    long_terms = [term for term in terms if len(term) >= MIN_TRIGRAM]
    if dialect == "sqlite" and long_terms:
        query = query.where(or_(Document.id.in_(_fts_ids(long_terms)), _unindexed(long_terms)))
        terms = [term for term in terms if len(term) < MIN_TRIGRAM]
    for term in terms:
        query = query.where(_contains(term))
    return query


def _contains(term: str) -> ColumnElement[bool]:
    return or_(
        Document.title.icontains(term, autoescape=True),
        Document.body.icontains(term, autoescape=True),
    )


def _unindexed(terms: list[str]) -> ColumnElement[bool]:
    """Documents the full-text index does not hold yet (written since its last catch-up)."""
    indexed_up_to = select(_FTS_PROGRESS.c.last_document_id).scalar_subquery()
    return and_(Document.id > indexed_up_to, *(_contains(term) for term in terms))


def index_new_documents(session: Session) -> int:
    """Add the documents written since the last call to the SQLite full-text index.

    One INSERT … SELECT a batch is cheaper than a trigger a row, and keeps the indexing
    out of the archive writer's batch transaction. Returns how many were indexed.
    """
    if session.get_bind().dialect.name != "sqlite":
        return 0  # PostgreSQL's pg_trgm indexes are kept by the server itself
    # The UPDATE comes first: it takes SQLite's write lock before anything is read.
    session.execute(text(_CLAIM))
    last = session.scalar(select(_FTS_PROGRESS.c.last_document_id)) or 0
    newest = session.scalar(select(func.max(Document.id))) or 0
    if newest <= last:
        return 0
    session.execute(text(_INDEX), {"last": last, "newest": newest})
    session.execute(text(_ADVANCE), {"newest": newest})
    return newest - last


_CLAIM = "UPDATE documents_fts_progress SET last_document_id = last_document_id"
_INDEX = (
    "INSERT INTO documents_fts(rowid, title, body) "
    "SELECT id, title, body FROM documents WHERE id > :last AND id <= :newest"
)
_ADVANCE = "UPDATE documents_fts_progress SET last_document_id = :newest"


def _fts_ids(terms: list[str]) -> Select[int]:
    phrases = " AND ".join('"{}"'.format(term.replace('"', '""')) for term in terms)
    return select(_FTS.c.rowid).where(literal_column("documents_fts").op("MATCH")(phrases))


def _score(terms: list[str]) -> ColumnElement[int]:
    """Each occurrence of a term counts TITLE_WEIGHT in the title, 1 in the body."""
    title, body = Document.title, Document.body
    points = [TITLE_WEIGHT * _occurrences(title, t) + _occurrences(body, t) for t in terms]
    return functools.reduce(operator.add, points)


def _occurrences(text: Any, term: str) -> ColumnElement[int]:
    folded = func.lower(text)
    removed = func.length(folded) - func.length(func.replace(folded, term, ""))
    return removed // len(term)


def _hit(doc: Document, score: int, pages: list[PageRef] | None, terms: list[str]) -> Hit:
    text, highlights = snippet(doc.body, terms)
    url = pages[0].url if pages else None
    fields = (doc.id, doc.content_hash, doc.title, doc.category, doc.published_at, url)
    return Hit(*fields, score=score, snippet=text, highlights=highlights)


def snippet(body: str, terms: list[str]) -> tuple[str, list[tuple[int, int]]]:
    """The body around the first hit of any term, and where the hits are in it."""
    flat = body.replace("\n", " ")
    folded = _fold(flat)
    first = min((at for term in terms if (at := folded.find(term)) >= 0), default=0)
    start = max(0, first - SNIPPET_BEFORE)
    end = min(len(flat), start + SNIPPET_LENGTH)
    text = ("…" if start else "") + flat[start:end].strip() + ("…" if end < len(flat) else "")
    return text, highlight_spans(text, terms)


def highlight_spans(text: str, terms: list[str]) -> list[tuple[int, int]]:
    """Every occurrence of every (folded) term in `text`, overlaps merged."""
    text = _fold(text)
    spans = sorted(
        (at, at + len(term))
        for term in terms
        for at in range(len(text))
        if text.startswith(term, at)
    )
    merged: list[tuple[int, int]] = []
    for start, end in spans:
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    return merged


def _fold(text: str) -> str:
    """Lower case, unless that would change the length (offsets must stay valid)."""
    lowered = text.lower()
    return lowered if len(lowered) == len(text) else text

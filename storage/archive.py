"""Writing cleaned fetches into the archive: batched, idempotent, one transaction a batch.

The database enforces identity (unique `documents.content_hash`, unique `pages.url`);
documents are inserted with the dialect's ON CONFLICT DO NOTHING so that two writers, or a
batch written twice, never make a second row for one text.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import insert, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from pipeline.provenance import GONE_STATUSES, Cleaned, Fetch, Outcome, fetch_error
from pipeline.types import CleanDocument
from storage.models import Capture, Document, DocumentLink, Page


@dataclass(frozen=True, slots=True)
class RevisitPolicy:
    """How long to wait before fetching a page again, from how long it has stayed unchanged."""

    min_interval: timedelta = timedelta(days=1)
    max_interval: timedelta = timedelta(days=30)

    @classmethod
    def from_days(cls, min_days: float, max_days: float) -> RevisitPolicy:
        return cls(timedelta(days=min_days), timedelta(days=max_days))

    def next_fetch_at(self, fetched_at: datetime, stable_since: datetime) -> datetime:
        # A page unchanged for a long time is likely to stay so: wait half its stable age.
        wait = (fetched_at - stable_since) / 2
        return fetched_at + min(max(wait, self.min_interval), self.max_interval)


NewDocumentsHook = Callable[[Session, dict[int, str]], object]


def archive_batch(
    session: Session,
    items: Sequence[Cleaned],
    crawl_run_id: int | None,
    policy: RevisitPolicy | None = None,
    on_new_documents: NewDocumentsHook | None = None,
) -> list[Outcome]:
    """Write `items` (in order) and return each one's outcome. The caller commits.

    `on_new_documents` is called with the id and body of every document this batch
    archived for the first time (near-duplicate linking).
    """
    writer = _BatchWriter(session, crawl_run_id, policy or RevisitPolicy())
    outcomes = writer.write(items)
    if on_new_documents is not None and writer.fresh_bodies:
        on_new_documents(session, writer.fresh_bodies)
    return outcomes


def insert_ignoring_conflicts(session: Session, model: Any, rows: list[dict[str, Any]]) -> None:
    if rows:
        session.execute(_dialect_insert(session, model).on_conflict_do_nothing(), rows)


def _dialect_insert(session: Session, model: Any) -> Any:
    dialect = session.get_bind().dialect.name
    return (postgresql.insert if dialect == "postgresql" else sqlite.insert)(model)


def store_documents(
    session: Session, docs: Sequence[tuple[CleanDocument, datetime]]
) -> tuple[dict[str, int], set[str]]:
    """Insert the documents not yet archived; return every hash's id and the hashes new here.

    "New here" comes from INSERT … RETURNING, so two writers racing on one text never
    both count it as new: the loser's insert returns nothing.
    """
    by_hash = {doc.content_hash: (doc, seen_at) for doc, seen_at in docs}
    if not by_hash:
        return {}, set()
    known = _ids_for(session, by_hash)
    # In one order for every writer: two inserting the same texts wait, never deadlock.
    rows = [_document_row(*by_hash[h]) for h in sorted(by_hash) if h not in known]
    fresh = _insert_returning_hashes(session, rows)
    if known:
        newest = max(seen_at for _, seen_at in by_hash.values())
        session.execute(
            update(Document).where(Document.content_hash.in_(known)).values(last_seen_at=newest)
        )
    return {**known, **_ids_for(session, set(by_hash) - set(known))}, fresh


def _insert_returning_hashes(session: Session, rows: list[dict[str, Any]]) -> set[str]:
    if not rows:
        return set()
    statement = _dialect_insert(session, Document).on_conflict_do_nothing()
    return set(session.scalars(statement.returning(Document.content_hash), rows))


def _ids_for(session: Session, hashes: Iterable[str]) -> dict[str, int]:
    query = select(Document.content_hash, Document.id).where(
        Document.content_hash.in_(list(hashes))
    )
    return {content_hash: doc_id for content_hash, doc_id in session.execute(query)}


class _BatchWriter:
    def __init__(self, session: Session, crawl_run_id: int | None, policy: RevisitPolicy):
        self.session = session
        self.crawl_run_id = crawl_run_id
        self.policy = policy
        self.doc_ids: dict[str, int] = {}
        self.unclaimed: set[str] = set()  # hashes first archived by this batch, not yet owned
        self.fresh_bodies: dict[int, str] = {}

    def write(self, items: Sequence[Cleaned]) -> list[Outcome]:
        self._store_documents(items)
        pages = self._lock_pages(items)
        captures = []
        outcomes: list[Outcome] = []
        for item in items:
            page = pages[item.fetch.url]
            outcome = self._apply(item, page)
            outcomes.append(outcome)
            captures.append((item, page, outcome))
        self.session.flush()
        self._insert_captures(captures)
        self._link_extended_reading(items)
        return outcomes

    def _store_documents(self, items: Sequence[Cleaned]) -> None:
        docs = [(doc, item.fetch.fetched_at) for item in items for doc in _documents_of(item)]
        self.doc_ids, self.unclaimed = store_documents(self.session, docs)
        bodies = {doc.content_hash: doc.body for doc, _ in docs}
        self.fresh_bodies = {self.doc_ids[h]: bodies[h] for h in self.unclaimed}

    def _lock_pages(self, items: Sequence[Cleaned]) -> dict[str, Page]:
        """The batch's pages, created when new, locked (PostgreSQL) in URL order.

        Another writer archiving the same page waits for this transaction and then reads
        its counts, so that no fetch_count or document is lost between two writers.
        """
        first: dict[str, Fetch] = {}
        for item in items:
            first.setdefault(item.fetch.url, item.fetch)
        rows = [_page_row(first[url]) for url in sorted(first)]
        insert_ignoring_conflicts(self.session, Page, rows)
        query = select(Page).where(Page.url.in_(sorted(first))).order_by(Page.url)
        found = self.session.scalars(query.with_for_update())
        return {page.url: page for page in found}

    def _apply(self, item: Cleaned, page: Page) -> Outcome:
        fetch = item.fetch
        page.fetch_count += 1
        page.last_fetched_at = fetch.fetched_at
        if fetch_error(fetch) or item.error:
            if fetch.status in GONE_STATUSES and page.gone_at is None:
                page.gone_at = fetch.fetched_at
            self._schedule(page)
            return "failed"
        page.gone_at = None
        self._remember_validators(page, fetch)
        outcome = self._outcome(item, page)
        self._schedule(page)
        return outcome

    def _outcome(self, item: Cleaned, page: Page) -> Outcome:
        if item.fetch.status == 304:
            return "not_modified"
        if item.record is None or item.record.document is None:
            return "skipped"
        page.canonical_url = item.record.canonical_url
        page.article_part = item.fetch.article_part
        content_hash = item.record.document.content_hash
        doc_id = self.doc_ids[content_hash]
        previous = page.document_id
        page.document_id = doc_id
        if previous == doc_id:
            return "unchanged"
        if previous is not None:
            page.change_count += 1
            page.last_changed_at = item.fetch.fetched_at
            return "changed"
        if content_hash in self.unclaimed:
            self.unclaimed.discard(content_hash)
            return "new"
        return "duplicate"

    def _remember_validators(self, page: Page, fetch: Fetch) -> None:
        if fetch.article_part is not None:  # fetched whole, so that a change in a part is seen
            page.etag = page.last_modified = None
            return
        headers = fetch.headers
        page.etag = headers.get("etag", page.etag)
        page.last_modified = headers.get("last-modified", page.last_modified)

    def _schedule(self, page: Page) -> None:
        assert page.last_fetched_at is not None
        stable_since = page.last_changed_at or page.first_seen_at
        page.next_fetch_at = self.policy.next_fetch_at(page.last_fetched_at, stable_since)

    def _insert_captures(self, captures: list[tuple[Cleaned, Page, Outcome]]) -> None:
        rows = [self._capture_row(item, page, outcome) for item, page, outcome in captures]
        if rows:
            self.session.execute(insert(Capture), rows)

    def _capture_row(self, item: Cleaned, page: Page, outcome: Outcome) -> dict[str, Any]:
        fetch = item.fetch
        keeps_document = outcome in ("new", "changed", "unchanged", "duplicate", "not_modified")
        return {
            "page_id": page.id,
            "crawl_run_id": self.crawl_run_id,
            "fetched_at": fetch.fetched_at,
            "http_status": fetch.status,
            "outcome": outcome,
            "document_id": page.document_id if keeps_document else None,
            "raw_sha256": fetch.raw_sha256,
            "encoding": item.record.encoding if item.record else None,
            "warc_file": fetch.warc_file,
            "warc_offset": fetch.warc_offset,
            "error": fetch_error(fetch) or item.error,
            "size": len(fetch.body),
            "article_part": fetch.article_part if keeps_document else None,
        }

    def _link_extended_reading(self, items: Sequence[Cleaned]) -> None:
        rows = []
        for item in items:
            if item.record is None or item.record.document is None:
                continue
            source = self.doc_ids[item.record.document.content_hash]
            for extra in item.record.extended_reading:
                target = self.doc_ids[extra.content_hash]
                rows.append(
                    {
                        "from_document_id": source,
                        "to_document_id": target,
                        "kind": "extended_reading",
                    }
                )
        insert_ignoring_conflicts(self.session, DocumentLink, rows)


def _page_row(fetch: Fetch) -> dict[str, Any]:
    return {
        "url": fetch.url,
        "site": fetch.site,
        "first_seen_at": fetch.fetched_at,
        "fetch_count": 0,
        "change_count": 0,
    }


def _documents_of(item: Cleaned) -> list[CleanDocument]:
    record = item.record
    if record is None or record.document is None:
        return []
    return [record.document, *record.extended_reading]


def _document_row(doc: CleanDocument, seen_at: datetime) -> dict[str, Any]:
    return {
        "content_hash": doc.content_hash,
        "title": doc.title,
        "body": doc.body,
        "category": doc.category,
        "published_at": doc.published_at,
        "author": doc.author,
        "source": doc.source,
        "disclaimer": doc.disclaimer,
        "repairs": asdict(doc.repairs),
        "flags": list(doc.flags),
        "first_seen_at": seen_at,
        "last_seen_at": seen_at,
    }

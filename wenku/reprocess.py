"""`wenku reprocess`: run today's cleaning over archived WARC captures, with no network at all.

Each distinct raw payload is cleaned once (revisit records share their earlier response's
payload); the pages of an article split over several are joined again, as the crawl did.
A capture whose document changes points at the new document; a page's current document
follows its latest capture. Nothing is deleted: earlier documents stay archived.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import asdict, dataclass, replace
from datetime import datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from crawler.warc import read_fetch
from pipeline.pagination import INCOMPLETE_FLAG, join_records
from pipeline.provenance import Fetch
from pipeline.types import PageRecord
from storage.archive import store_documents
from storage.engine import session_factory, upgrade
from storage.models import Capture, Document, Page
from storage.repository import finish_run, start_run
from storage.search import index_new_documents

CHUNK = 200
# Captures whose page carried a document; list pages, PDFs and errors have nothing to re-clean.
DOCUMENT_OUTCOMES = ("new", "changed", "unchanged", "duplicate")


@dataclass(slots=True)
class ReprocessSummary:
    run_id: int = 0
    captures: int = 0
    documents_changed: int = 0
    new_documents: int = 0
    pages_updated: int = 0
    unreadable: int = 0

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


def reprocess(
    db_url: str, since: datetime | None = None, flow_run_id: str | None = None
) -> ReprocessSummary:
    """Re-clean every archived 200 capture (fetched at or after `since`)."""
    upgrade(db_url)
    sessions = session_factory(db_url)
    with sessions.begin() as session:
        summary = ReprocessSummary(run_id=start_run(session, "reprocess", flow_run_id).id)
    cleaner = _PayloadCleaner()
    touched: set[int] = set()
    for chunk in _by_article(_capture_chunks(db_url, since)):
        with sessions.begin() as session:
            for article in chunk:
                _reprocess_article(session, article, cleaner, summary, touched)
    with sessions.begin() as session:
        summary.pages_updated = _refresh_pages(session, touched)
        index_new_documents(session)
        finish_run(session, summary.run_id, "finished", summary.to_json())
    return summary


def _capture_chunks(db_url: str, since: datetime | None) -> Iterator[list[tuple[Any, ...]]]:
    last_id = 0
    while True:
        query = (
            select(
                Capture.id,
                Capture.page_id,
                Capture.document_id,
                Capture.raw_sha256,
                Capture.warc_file,
                Capture.warc_offset,
                Page.url,
                Capture.article_part,
            )
            .join(Page, Page.id == Capture.page_id)
            .where(
                Capture.id > last_id,
                Capture.http_status == 200,
                Capture.warc_file.is_not(None),
                Capture.outcome.in_(DOCUMENT_OUTCOMES),
            )
            .order_by(Capture.id)
            .limit(CHUNK)
        )
        if since is not None:
            query = query.where(Capture.fetched_at >= since)
        with session_factory(db_url)() as session:
            rows: list[tuple[Any, ...]] = [tuple(row) for row in session.execute(query)]
        if not rows:
            return
        yield rows
        last_id = int(rows[-1][0])


def _by_article(chunks: Iterator[list[tuple[Any, ...]]]) -> Iterator[list[list[tuple[Any, ...]]]]:
    """Captures grouped by what they were cleaned as: one page, or an article split over
    pages (its first page's capture, then its later parts', stored right after it), in
    chunks of whole groups."""
    batch: list[list[tuple[Any, ...]]] = []
    for rows in chunks:
        for row in rows:
            part = row[-1] or 0
            if part > 1 and batch and batch[-1][0][-1] == 1:
                batch[-1].append(row)
            else:
                batch.append([row])
        if len(batch) >= CHUNK:  # the last group may go on in the next chunk
            yield batch[:-1]
            batch = batch[-1:]
    if batch:
        yield batch


def _reprocess_article(
    session: Session,
    rows: list[tuple[Any, ...]],
    cleaner: _PayloadCleaner,
    summary: ReprocessSummary,
    touched: set[int],
) -> None:
    if (rows[0][-1] or 0) > 1:  # a later part whose first page is not reprocessed (--since)
        return  # joined alone it would be a fragment: it keeps its article
    cleaned = [cleaner.clean(session, row[3], row[4], row[5], row[6]) for row in rows]
    records = _joined(session, rows[0][2], [record for record, _ in cleaned])
    for row, record, (_, fetched_at) in zip(rows, records, cleaned, strict=True):
        capture_id, page_id, document_id = row[:3]
        summary.captures += 1
        if record is None or fetched_at is None:
            summary.unreadable += 1
            continue
        new_id = _store(session, record, fetched_at, summary)
        if new_id != document_id:
            session.execute(
                update(Capture).where(Capture.id == capture_id).values(document_id=new_id)
            )
            summary.documents_changed += 1
            touched.add(page_id)


def _joined(
    session: Session, document_id: int | None, records: list[PageRecord | None]
) -> list[PageRecord | None]:
    """An article's pages each carrying the article, joined again (pipeline.pagination)."""
    first = records[0]
    if len(records) == 1 or first is None or first.document is None:
        return records
    flags = session.scalar(select(Document.flags).where(Document.id == document_id)) or []
    joined = join_records(records, complete=INCOMPLETE_FLAG not in flags)
    return [replace(joined, url=r.url, canonical_url=r.canonical_url) if r else r for r in records]


def _store(
    session: Session, record: PageRecord, fetched_at: datetime, summary: ReprocessSummary
) -> int | None:
    if record.document is None:
        return None
    docs = [(doc, fetched_at) for doc in (record.document, *record.extended_reading)]
    ids, fresh = store_documents(session, docs)
    summary.new_documents += len(fresh)
    return ids[record.document.content_hash]


def _refresh_pages(session: Session, page_ids: set[int]) -> int:
    """Point each page at the document of its latest capture that carries one."""
    for page_id in page_ids:
        latest = session.scalar(
            select(Capture.document_id)
            .where(Capture.page_id == page_id, Capture.document_id.is_not(None))
            .order_by(Capture.id.desc())
            .limit(1)
        )
        session.execute(update(Page).where(Page.id == page_id).values(document_id=latest))
    return len(page_ids)


class _PayloadCleaner:
    """Cleans each distinct payload once; a revisit record borrows its original's result."""

    def __init__(self) -> None:
        self.done: dict[str, PageRecord | None] = {}

    def clean(
        self, session: Session, raw_sha256: str, warc_file: str, offset: int, url: str
    ) -> tuple[PageRecord | None, datetime | None]:
        fetch = _read(warc_file, offset)
        if fetch is None:
            return None, None
        if raw_sha256 not in self.done:
            original = fetch if fetch.body else _original_payload(session, raw_sha256)
            self.done[raw_sha256] = _clean(original, url) if original else None
        return self.done[raw_sha256], fetch.fetched_at


def _original_payload(session: Session, raw_sha256: str) -> Fetch | None:
    """The response record a revisit record stands for: the first capture of that payload."""
    query = (
        select(Capture.warc_file, Capture.warc_offset)
        .where(Capture.raw_sha256 == raw_sha256, Capture.warc_file.is_not(None))
        .order_by(Capture.id)
    )
    for warc_file, offset in session.execute(query):
        fetch = _read(warc_file or "", offset or 0)
        if fetch is not None and fetch.body:
            return fetch
    return None


def _read(warc_file: str, offset: int) -> Fetch | None:
    try:
        return read_fetch(warc_file, offset)
    except (OSError, StopIteration, ValueError):
        return None


def _clean(fetch: Fetch, url: str) -> PageRecord | None:
    from pipeline import process_page

    fetch.url = url
    return process_page(fetch.raw_page()) if fetch.is_html else None

"""`wenku export`: the documents with their provenance, streamed in chunks.

Memory stays flat however large the archive: documents are read `CHUNK` at a time (keyset
pagination on `id`), each chunk with its pages and links, and written out before the next
is read. The archive is opened read-only. `--out` is written to a temporary file beside
it, renamed over it only once complete: a full disk or a crash leaves the old file whole.
"""

from __future__ import annotations

import contextlib
import csv
import json
import os
import sys
import uuid
from collections import defaultdict
from collections.abc import Iterator, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any, NamedTuple, TextIO

from sqlalchemy import Row, and_, case, select, union
from sqlalchemy.orm import Session

from storage.filters import Filters
from storage.models import Capture, Document, DocumentLink, Page
from storage.query import AnalystError, read_only_session

CHUNK = 500
FORMATS = ("jsonl", "csv", "parquet")
FIELDS = (
    "id",
    "url",
    "canonical_url",
    "title",
    "body",
    "category",
    "published_at",
    "author",
    "source",
    "disclaimer",
    "content_hash",
    "extended_reading",
    "repairs",
    "flags",
    "urls",
    "sites",
    "first_seen_at",
    "last_seen_at",
)
MOMENTS = ("published_at", "first_seen_at", "last_seen_at")
_COLUMNS = (
    Document.id,
    Document.title,
    Document.body,
    Document.category,
    Document.published_at,
    Document.author,
    Document.source,
    Document.disclaimer,
    Document.content_hash,
    Document.repairs,
    Document.flags,
    Document.first_seen_at,
    Document.last_seen_at,
)


def export_documents(
    db_url: str, fmt: str, out: Path | None, filters: Filters | None = None
) -> int:
    """Write the documents `filters` keep as `fmt` to `out` (or stdout); return the count."""
    if fmt not in FORMATS:
        raise AnalystError(f"unknown export format {fmt!r}; one of {', '.join(FORMATS)}")
    if fmt == "parquet" and out is None:
        raise AnalystError(
            "--format parquet needs --out PATH (Parquet is not written to a terminal)"
        )
    with read_only_session(db_url) as session:
        rows = iter_export_rows(session, filters or Filters())
        if out is None:
            return write_text(rows, fmt, sys.stdout)
        with replaced_on_success(out) as partial:
            if fmt == "parquet":
                return write_parquet(rows, partial)
            with open(partial, "w", encoding="utf-8", newline="") as handle:
                return write_text(rows, fmt, handle)


@contextlib.contextmanager
def replaced_on_success(out: Path) -> Iterator[Path]:
    """A new file beside `out` to write; renamed to `out` when the block succeeds, removed
    when it fails (the rename is atomic on one file system: `out` is old or new, never cut)."""
    partial = out.with_name(f".{out.name}.{uuid.uuid4().hex[:8]}.partial")
    try:
        yield partial
        os.replace(partial, out)
    finally:
        partial.unlink(missing_ok=True)


def iter_export_rows(session: Session, filters: Filters | None = None) -> Iterator[dict[str, Any]]:
    """Every kept document as a dict of `FIELDS` (datetimes as aware datetimes), by id."""
    query = (filters or Filters()).apply(select(*_COLUMNS)).order_by(Document.id).limit(CHUNK)
    last_id = 0
    while docs := session.execute(query.where(Document.id > last_id)).all():
        yield from _rows_for(session, docs)
        last_id = docs[-1].id


def _rows_for(session: Session, docs: Sequence[Row[Any]]) -> Iterator[dict[str, Any]]:
    ids = [doc.id for doc in docs]
    pages = carrying_pages(session, ids)
    links = _extended_reading(session, ids)
    for doc in docs:
        yield _row(doc, pages[doc.id], links[doc.id])


class PageRef(NamedTuple):
    url: str
    canonical_url: str | None
    site: str


def carrying_pages(
    session: Session, ids: list[int], site: str | None = None
) -> dict[int, list[PageRef]]:
    """The pages that carry or carried each document (on `site`, when given), an appended
    扩展阅读 article's being those of its article: first the pages carrying it now and
    still live, then gone ones, then the rest, each in the order first seen."""
    carried = select(Capture.document_id, Capture.page_id).where(Capture.document_id.in_(ids))
    current = select(Page.document_id, Page.id).where(Page.document_id.in_(ids))
    appended = (
        select(DocumentLink.to_document_id, Capture.page_id)
        .join(Capture, Capture.document_id == DocumentLink.from_document_id)
        .where(DocumentLink.to_document_id.in_(ids), DocumentLink.kind == "extended_reading")
    )
    pairs = union(carried, current, appended).subquery()
    now = Page.document_id == pairs.c.document_id
    rank = case((and_(now, Page.gone_at.is_(None)), 0), (now, 1), else_=2)
    query = select(pairs.c.document_id, Page.url, Page.canonical_url, Page.site).join(
        Page, Page.id == pairs.c.page_id
    )
    if site is not None:
        query = query.where(Page.site == site)
    pages: dict[int, list[PageRef]] = defaultdict(list)
    for doc_id, url, canonical_url, page_site in session.execute(query.order_by(rank, Page.id)):
        pages[doc_id].append(PageRef(url, canonical_url, page_site))
    return pages


def _extended_reading(session: Session, ids: list[int]) -> dict[int, list[dict[str, str]]]:
    query = (
        select(DocumentLink.from_document_id, Document.title, Document.content_hash)
        .join(Document, Document.id == DocumentLink.to_document_id)
        .where(DocumentLink.from_document_id.in_(ids), DocumentLink.kind == "extended_reading")
        .order_by(DocumentLink.from_document_id, Document.id)
    )
    links: dict[int, list[dict[str, str]]] = defaultdict(list)
    for from_id, title, content_hash in session.execute(query):
        links[from_id].append({"title": title, "content_hash": content_hash})
    return links


def _row(doc: Row[Any], pages: list[PageRef], extended: list[dict[str, str]]) -> dict[str, Any]:
    first = pages[0] if pages else None
    return {
        "id": doc.id,
        "url": first.url if first else None,
        "canonical_url": first.canonical_url if first else None,
        "title": doc.title,
        "body": doc.body,
        "category": doc.category,
        "published_at": doc.published_at,
        "author": doc.author,
        "source": doc.source,
        "disclaimer": doc.disclaimer,
        "content_hash": doc.content_hash,
        "extended_reading": extended,
        "repairs": doc.repairs or {},
        "flags": doc.flags or [],
        "urls": [page.url for page in pages],
        "sites": sorted({page.site for page in pages}),  # every site it was seen on
        "first_seen_at": doc.first_seen_at,
        "last_seen_at": doc.last_seen_at,
    }


def write_text(rows: Iterator[dict[str, Any]], fmt: str, handle: TextIO) -> int:
    """JSON lines or CSV (lists and objects as JSON in their cell); returns the row count."""
    writer = csv.DictWriter(handle, FIELDS) if fmt == "csv" else None
    if writer:
        writer.writeheader()
    count = 0
    for row in rows:
        flat = {name: _iso(row[name]) if name in MOMENTS else row[name] for name in FIELDS}
        if writer:
            writer.writerow({name: _csv_cell(value) for name, value in flat.items()})
        else:
            handle.write(json.dumps(flat, ensure_ascii=False) + "\n")
        count += 1
    return count


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment is not None else None


def _csv_cell(value: Any) -> Any:
    return json.dumps(value, ensure_ascii=False) if isinstance(value, list | dict) else value


def write_parquet(rows: Iterator[dict[str, Any]], out: Path) -> int:
    """Parquet, one row group a chunk; timestamps are UTC, `repairs` is a JSON string."""
    import pyarrow.parquet as pq

    schema = parquet_schema()
    count = 0
    with pq.ParquetWriter(str(out), schema) as writer:
        for batch in _chunks(rows):
            for row in batch:
                row["repairs"] = json.dumps(row["repairs"], ensure_ascii=False)
            writer.write_table(_table(batch, schema))
            count += len(batch)
    return count


def _chunks(rows: Iterator[dict[str, Any]]) -> Iterator[list[dict[str, Any]]]:
    batch: list[dict[str, Any]] = []
    for row in rows:
        batch.append(row)
        if len(batch) == CHUNK:
            yield batch
            batch = []
    if batch:
        yield batch


def _table(batch: list[dict[str, Any]], schema: Any) -> Any:
    import pyarrow as pa

    return pa.Table.from_pylist(batch, schema=schema)


def parquet_schema() -> Any:
    import pyarrow as pa

    text, moment, texts = pa.string(), pa.timestamp("us", tz="UTC"), pa.list_(pa.string())
    link = pa.struct([("title", text), ("content_hash", text)])
    types = {"id": pa.int64(), "extended_reading": pa.list_(link), "flags": texts}
    types |= {"urls": texts, "sites": texts} | dict.fromkeys(MOMENTS, moment)
    return pa.schema([(name, types.get(name, text)) for name in FIELDS])

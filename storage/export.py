"""`wenku export`: the documents with their provenance, streamed in chunks.

Memory stays flat however large the archive: documents are read `CHUNK` at a time and each
chunk is written out before the next is read.
"""

from __future__ import annotations

import csv
import json
import sys
from collections import defaultdict
from collections.abc import Iterator
from pathlib import Path
from typing import Any, TextIO

from sqlalchemy import select
from sqlalchemy.orm import Session

from storage.engine import session_factory
from storage.models import Document, DocumentLink, Page

CHUNK = 500
FIELDS = (
    "url",
    "canonical_url",
    "title",
    "body",
    "category",
    "published_at",
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


def export_documents(db_url: str, fmt: str, out: Path | None) -> int:
    """Write every document in `fmt` (jsonl, csv, parquet) to `out` or stdout; return the count."""
    with session_factory(db_url)() as session:
        rows = iter_export_rows(session)
        if fmt == "parquet":
            assert out is not None
            return _write_parquet(rows, out)
        if out is None:
            return _write_text(rows, fmt, sys.stdout)
        with open(out, "w", encoding="utf-8", newline="") as handle:
            return _write_text(rows, fmt, handle)


def iter_export_rows(session: Session) -> Iterator[dict[str, Any]]:
    last_id = 0
    while True:
        docs = session.scalars(
            select(Document).where(Document.id > last_id).order_by(Document.id).limit(CHUNK)
        ).all()
        if not docs:
            return
        yield from _rows_for(session, docs)
        last_id = docs[-1].id
        session.expunge_all()


def _rows_for(session: Session, docs: list[Document]) -> Iterator[dict[str, Any]]:
    ids = [doc.id for doc in docs]
    pages = defaultdict(list)
    for page in session.scalars(select(Page).where(Page.document_id.in_(ids)).order_by(Page.id)):
        pages[page.document_id].append(page)
    links = _extended_reading(session, ids)
    for doc in docs:
        yield _row(doc, pages[doc.id], links[doc.id])


def _extended_reading(session: Session, ids: list[int]) -> dict[int, list[dict[str, str]]]:
    query = (
        select(DocumentLink.from_document_id, Document.title, Document.content_hash)
        .join(Document, Document.id == DocumentLink.to_document_id)
        .where(DocumentLink.from_document_id.in_(ids), DocumentLink.kind == "extended_reading")
    )
    links: dict[int, list[dict[str, str]]] = defaultdict(list)
    for from_id, title, content_hash in session.execute(query):
        links[from_id].append({"title": title, "content_hash": content_hash})
    return links


def _row(doc: Document, pages: list[Page], extended: list[dict[str, str]]) -> dict[str, Any]:
    first = pages[0] if pages else None
    return {
        "url": first.url if first else None,
        "canonical_url": first.canonical_url if first else None,
        "title": doc.title,
        "body": doc.body,
        "category": doc.category,
        "published_at": _iso(doc.published_at),
        "source": doc.source,
        "disclaimer": doc.disclaimer,
        "content_hash": doc.content_hash,
        "extended_reading": extended,
        "repairs": doc.repairs or {},
        "flags": doc.flags or [],
        "urls": [page.url for page in pages],
        "sites": sorted({page.site for page in pages}),
        "first_seen_at": _iso(doc.first_seen_at),
        "last_seen_at": _iso(doc.last_seen_at),
    }


def _iso(moment: Any) -> str | None:
    return moment.isoformat() if moment is not None else None


def _write_text(rows: Iterator[dict[str, Any]], fmt: str, handle: TextIO) -> int:
    count = 0
    writer = csv.DictWriter(handle, FIELDS) if fmt == "csv" else None
    if writer:
        writer.writeheader()
    for row in rows:
        if writer:
            writer.writerow({k: _csv_cell(v) for k, v in row.items()})
        else:
            handle.write(json.dumps(row, ensure_ascii=False) + "\n")
        count += 1
    return count


def _csv_cell(value: Any) -> Any:
    return json.dumps(value, ensure_ascii=False) if isinstance(value, list | dict) else value


def _write_parquet(rows: Iterator[dict[str, Any]], out: Path) -> int:
    import pyarrow as pa
    import pyarrow.parquet as pq

    count = 0
    writer = None
    batch: list[dict[str, Any]] = []
    for row in rows:
        batch.append({k: _csv_cell(v) if k in ("repairs",) else v for k, v in row.items()})
        if len(batch) == CHUNK:
            writer = _parquet_chunk(pa, pq, writer, batch, out)
            count, batch = count + len(batch), []
    if batch or writer is None:
        writer = _parquet_chunk(pa, pq, writer, batch, out)
        count += len(batch)
    writer.close()
    return count


def _parquet_chunk(pa: Any, pq: Any, writer: Any, batch: list[dict[str, Any]], out: Path) -> Any:
    table = pa.Table.from_pylist(batch, schema=PARQUET_SCHEMA(pa))
    writer = writer or pq.ParquetWriter(str(out), table.schema)
    writer.write_table(table)
    return writer


def PARQUET_SCHEMA(pa: Any) -> Any:
    text = pa.string()
    return pa.schema(
        [(name, text) for name in FIELDS[:9]]
        + [
            ("extended_reading", pa.list_(pa.struct([("title", text), ("content_hash", text)]))),
            ("repairs", text),
            ("flags", pa.list_(text)),
            ("urls", pa.list_(text)),
            ("sites", pa.list_(text)),
            ("first_seen_at", text),
            ("last_seen_at", text),
        ]
    )

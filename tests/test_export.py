"""`wenku export`: every document and every field round-trips through JSON lines, CSV and
Parquet on SQLite and PostgreSQL; filters; chunked streaming; the command line."""

from __future__ import annotations

import csv
import json
import tracemalloc
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
import pytest
from sqlalchemy import insert, select

import storage.export
from storage.engine import session_factory, upgrade
from storage.export import FIELDS, export_documents, iter_export_rows
from storage.filters import Filters
from storage.models import Document
from storage.query import read_only_session
from tests.analyst_archive import (
    BACKENDS,
    EXTENDED,
    GW,
    PAGES,
    T1,
    WM,
    Sample,
    document,
    sample_archive,
)
from tests.conftest import run_wenku

SPEC_FIELDS = {
    "url", "canonical_url", "title", "body", "category", "published_at", "source",
    "disclaimer", "content_hash", "extended_reading", "repairs",
}  # fmt: skip
NULLABLE = (
    "url", "canonical_url", "category", "published_at", "author", "source", "disclaimer",
)  # fmt: skip
MOMENTS = ("published_at", "first_seen_at", "last_seen_at")
JSON_CELLS = ("extended_reading", "repairs", "flags", "urls", "sites")


@pytest.fixture(scope="module", params=BACKENDS)
def sample(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Sample]:
    with sample_archive(request.param, tmp_path_factory) as archive:
        yield archive


def expected_urls(key: str) -> set[str]:
    """From the sample's definition: pages that carried the text, or its article's pages."""
    urls = {url for url, keys in PAGES.items() if key in keys}
    for article, appended in EXTENDED.items():
        if key in appended:
            urls |= expected_urls(article)
    return urls


def expected_rows(sample: Sample) -> dict[str, dict[str, Any]]:
    """What the archive holds, read with the ORM, plus the provenance the sample defines."""
    keys = {content_hash: key for key, content_hash in sample.hashes.items()}
    rows = {}
    with session_factory(sample.url)() as session:
        for doc in session.scalars(select(Document)):
            key = keys[doc.content_hash]
            urls = expected_urls(key)
            rows[doc.content_hash] = {
                **{name: getattr(doc, name) for name in FIELDS if hasattr(Document, name)},
                "urls": urls,
                "sites": sorted({"wenmi" if url.startswith(WM) else "gwdemo" for url in urls}),
                "extended_reading": [
                    {"title": document(extra).title, "content_hash": document(extra).content_hash}
                    for extra in EXTENDED.get(key, [])
                ],
            }
    return rows


def read_back(path: Path, fmt: str) -> list[dict[str, Any]]:
    if fmt == "parquet":
        rows = pq.read_table(path).to_pylist()
        return [{**row, "repairs": json.loads(row["repairs"])} for row in rows]
    with open(path, encoding="utf-8", newline="") as handle:
        if fmt == "jsonl":
            return [_parsed_times(json.loads(line)) for line in handle]
        return [_parsed_times(_parsed_cells(row)) for row in csv.DictReader(handle)]


def _parsed_cells(row: dict[str, str]) -> dict[str, Any]:
    parsed: dict[str, Any] = {**row, "id": int(row["id"])}
    parsed |= {name: json.loads(row[name]) for name in JSON_CELLS}
    parsed |= {name: row[name] or None for name in NULLABLE}
    return parsed


def _parsed_times(row: dict[str, Any]) -> dict[str, Any]:
    return row | {name: row[name] and datetime.fromisoformat(row[name]) for name in MOMENTS}


@pytest.mark.parametrize("fmt", ["jsonl", "csv", "parquet"])
def test_every_document_and_every_field_round_trips(
    sample: Sample, tmp_path: Path, fmt: str
) -> None:
    out = tmp_path / f"documents.{fmt}"
    assert export_documents(sample.url, fmt, out) == len(sample.hashes)
    expected = expected_rows(sample)
    rows = read_back(out, fmt)
    assert len(rows) == len(expected) == 10
    assert [row["id"] for row in rows] == sorted(row["id"] for row in rows)
    for row in rows:
        assert list(row) == list(FIELDS) and set(FIELDS) >= SPEC_FIELDS
        want = expected[row["content_hash"]]
        assert row["url"] in want["urls"] and row["canonical_url"] == row["url"]
        got = row | {"urls": set(row["urls"])}
        assert {name: got[name] for name in want} == want
    by_title = {row["title"]: row for row in rows}
    assert by_title["政府自身建设"]["url"] == GW + "1003.html"  # first seen, still live
    assert by_title["数字政府建设中的AI应用"]["source"] is None
    assert by_title["新春慰问信"]["flags"] == ["masked_year"]
    assert by_title["在全县经济工作会议上的讲话"]["author"] == "张建国"
    assert by_title["乡村振兴工作总结"]["author"] is None


@pytest.mark.parametrize(
    "filters,expected",
    [
        (Filters(site="wenmi"), {"govt", "safety", "digital", "winter"}),
        (Filters(site="gwdemo"), {"speech", "rural", "govt", "extra", "flood_v1", "flood_v2",
                                  "letter"}),
        (Filters(category="公文素材 > 通知"), {"flood_v1", "flood_v2", "winter"}),
        (Filters(since=T1, date_field="first_seen_at"), {"flood_v2", "winter"}),
        (Filters(until=datetime(2020, 1, 1, tzinfo=UTC)), {"speech", "govt"}),
    ],
)  # fmt: skip
def test_filters_as_for_search(sample: Sample, filters: Filters, expected: set[str]) -> None:
    keys = {content_hash: key for key, content_hash in sample.hashes.items()}
    with read_only_session(sample.url) as session:
        assert {keys[row["content_hash"]] for row in iter_export_rows(session, filters)} == expected


def test_chunks_stream_every_document_once(
    sample: Sample, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(storage.export, "CHUNK", 3)
    with read_only_session(sample.url) as session:
        ids = [row["id"] for row in iter_export_rows(session)]
    assert ids == sorted(set(ids)) and len(ids) == 10
    export_documents(sample.url, "parquet", tmp_path / "d.parquet")
    assert pq.ParquetFile(tmp_path / "d.parquet").num_row_groups == 4


def test_the_command_line(sample: Sample, tmp_path: Path) -> None:
    result = run_wenku("export", "--db", sample.url, "--site", "wenmi", "--category", "公文素材")
    assert result.code == 0, result.stderr
    rows = {row["title"]: row for row in map(json.loads, result.stdout.splitlines())}
    assert set(rows) == {"政府自身建设", "关于开展冬季安全生产大检查的通知"}
    assert set(rows["政府自身建设"]["urls"]) == expected_urls("govt")
    out = tmp_path / "d.csv"
    result = run_wenku("export", "--db", sample.url, "--format", "csv", "--out", str(out))
    assert result.code == 0 and "exported 10 documents" in result.stderr
    assert len(read_back(out, "csv")) == 10


def test_memory_stays_flat_on_a_large_archive(
    sqlite_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    upgrade(sqlite_url)
    body = "全县上下团结一心、攻坚克难,经济运行总体平稳、稳中有进。" * 100
    with session_factory(sqlite_url).begin() as session:
        for start in range(0, 1500, 500):
            session.execute(
                insert(Document), [_bulk_row(n, body) for n in range(start, start + 500)]
            )
    monkeypatch.setattr(storage.export, "CHUNK", 100)
    out = tmp_path / "big.jsonl"
    tracemalloc.start()
    try:
        assert export_documents(sqlite_url, "jsonl", out) == 1500
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < out.stat().st_size / 5  # ~13 MB written; a chunk is ~0.9 MB


def _bulk_row(n: int, body: str) -> dict[str, Any]:
    return {
        "content_hash": f"{n:064x}",
        "title": f"文件{n}",
        "body": f"{n}{body}",
        "first_seen_at": T1,
        "last_seen_at": T1,
    }

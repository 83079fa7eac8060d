"""docs/analysts.md stays true: every table and column is documented, one line each, and
every worked query runs, read-only, on SQLite and PostgreSQL with the answer it promises."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from sqlalchemy import inspect

from storage.engine import is_sqlite, make_engine
from storage.query import run_sql
from tests.analyst_archive import BACKENDS, GW, WM, Sample, sample_archive
from tests.conftest import ROOT

DOC = (ROOT / "docs" / "analysts.md").read_text(encoding="utf-8")
Rows = list[tuple[Any, ...]]


@pytest.fixture(scope="module", params=BACKENDS)
def sample(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Sample]:
    with sample_archive(request.param, tmp_path_factory) as archive:
        yield archive


def section(title: str) -> str:
    return DOC.split(f"\n## {title}\n", 1)[1].split("\n## ", 1)[0]


def subsections(text: str) -> dict[str, str]:
    parts = re.split(r"^### (.+)$", text, flags=re.M)
    return dict(zip(parts[1::2], parts[2::2], strict=True))


def documented_columns() -> dict[str, list[str]]:
    return {
        name: re.findall(r"^- `(\w+)`:", body, flags=re.M)
        for name, body in subsections(section("The schema")).items()
    }


def worked_queries() -> dict[str, dict[str, str]]:
    """Heading → {"sqlite": sql, "postgresql": sql} (a plain `sql` block serves both)."""
    queries = {}
    for title, body in subsections(section("Worked queries")).items():
        blocks = re.findall(r"^```sql ?(\w*)\n(.*?)^```", body, flags=re.M | re.S)
        by_backend = {tag: sql for tag, sql in blocks if tag}
        shared = next((sql for tag, sql in blocks if not tag), "")
        queries[title] = {backend: by_backend.get(backend, shared) for backend in BACKENDS}
    return queries


def archive_columns(url: str) -> dict[str, list[str]]:
    engine = make_engine(url)
    try:
        inspector = inspect(engine)
        names = inspector.get_table_names() + inspector.get_view_names()
        if is_sqlite(url):  # the FTS5 shadow tables are the index's own business
            names = [name for name in names if not re.match(r"documents_fts_", name)]
        return {name: [c["name"] for c in inspector.get_columns(name)] for name in names}
    finally:
        engine.dispose()


def test_every_table_and_column_has_its_line(sample: Sample) -> None:
    documented = documented_columns()
    actual = archive_columns(sample.url)
    for table, columns in actual.items():
        assert table in documented, f"docs/analysts.md does not describe {table}"
        assert documented[table] == columns, f"columns of {table}, in order"
    sqlite_only = {"documents_fts"}
    assert set(documented) - set(actual) <= (set() if is_sqlite(sample.url) else sqlite_only)


def test_each_worked_query_has_a_check_and_a_version_for_each_backend() -> None:
    queries = worked_queries()
    assert set(queries) == set(CHECKS)
    assert all(set(q) == set(BACKENDS) and all(q.values()) for q in queries.values())


def _day(moment: Any) -> str:
    return str(moment)[:10]


def _changed_last_night(rows: Rows, sample: Sample) -> None:
    assert [(url, outcome) for url, outcome, *_ in rows] == [
        (GW + "1005.html", "changed"),
        (WM + "2003.html", "new"),
    ]
    assert {_day(row[3]) for row in rows} == {"2026-11-02"}


def _runs(rows: Rows, sample: Sample) -> None:
    by_run = Counter({(kind, outcome): pages for _, kind, _, outcome, pages in rows})
    assert by_run == {
        ("nightly", "changed"): 1,
        ("nightly", "failed"): 1,
        ("nightly", "new"): 1,
        ("nightly", "unchanged"): 4,
        ("manual", "duplicate"): 1,
        ("manual", "new"): 7,
    }
    assert rows[0][1] == "nightly"


def _per_month(rows: Rows, sample: Sample) -> None:
    assert ("公文素材 > 通知", "2021-07", 2) in rows
    assert ("公文素材 > 讲话稿", "2019-05", 1) in rows
    assert ("公文素材 > 通知", "2026-10", 1) in rows
    assert sum(row[2] for row in rows) == 9  # every dated document, once
    assert [row[1] for row in rows] == sorted(row[1] for row in rows)


def _gone(rows: Rows, sample: Sample) -> None:
    assert [(url, site, title) for url, site, _, title in rows] == [
        (GW + "1006.html", "gwdemo", "新春慰问信")
    ]
    assert _day(rows[0][2]) == "2026-11-02"


def _several_sites(rows: Rows, sample: Sample) -> None:
    assert rows == [("政府自身建设", sample.hashes["govt"], 2, 2)]


def _history(rows: Rows, sample: Sample) -> None:
    assert [(outcome, content_hash) for _, outcome, content_hash, *_ in rows] == [
        ("new", sample.hashes["flood_v1"]),
        ("changed", sample.hashes["flood_v2"]),
    ]
    assert "7月10日前" in rows[1][4]


def _near_duplicates(rows: Rows, sample: Sample) -> None:
    assert [{row[1], row[2]} for row in rows] == [
        {sample.hashes["flood_v1"], sample.hashes["flood_v2"]}
    ]


def _search(rows: Rows, sample: Sample) -> None:
    assert sorted(title for _, title in rows) == [
        "关于做好防汛工作的通知",
        "关于做好防汛工作的通知",
        "安全生产月活动方案",
    ]


CHECKS: dict[str, Callable[[Rows, Sample], None]] = {
    "What changed last night": _changed_last_night,
    "What each crawl run did": _runs,
    "Documents per category per month": _per_month,
    "Pages that disappeared": _gone,
    "Texts published on several sites": _several_sites,
    "The version history of one URL": _history,
    "Near-duplicate texts": _near_duplicates,
    "Full-text search in SQL": _search,
}


@pytest.mark.parametrize("title", list(CHECKS))
def test_the_worked_query_runs_and_answers(sample: Sample, title: str) -> None:
    backend = "sqlite" if is_sqlite(sample.url) else "postgresql"
    with run_sql(sample.reader_url, worked_queries()[title][backend]) as result:
        rows = list(result.rows)
    CHECKS[title](rows, sample)

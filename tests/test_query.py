"""`wenku query`: read-only by the database's own rules on SQLite and PostgreSQL, output as
a table, CSV or JSON, and every write refused with one clear line and exit 2."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import DBAPIError

from storage.engine import is_sqlite, session_factory
from storage.models import Base
from storage.query import AnalystError, WriteRefused, read_only_session, run_sql
from tests.analyst_archive import BACKENDS, GW, Sample, build, reader_role, sample_archive
from tests.conftest import CliResult, run_wenku
from wenku import present
from wenku.cli import main
from wenku.present import TABLE_ROWS, write_result

COUNT_SQL = "SELECT COUNT(*) AS n FROM documents"
# A shell command run by the server, as a superuser could (issue 11, item 3).
DO_COPY_TO_PROGRAM = (
    "DO $$ BEGIN EXECUTE 'COPY (SELECT 1) TO PROGRAM ' || quote_literal('touch {tmp}/ran'); END $$"
)
MANY_ROWS = (
    "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 1500) SELECT i FROM n"
)


@pytest.fixture(scope="module", params=BACKENDS)
def sample(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Sample]:
    """One archive for the tests that only read, or must fail to write."""
    with sample_archive(request.param, tmp_path_factory) as archive:
        yield archive


def snapshot(url: str) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table (and the schema version), to show nothing changed."""
    tables: dict[str, list[tuple[Any, ...]]] = {}
    with session_factory(url)() as session:
        for table in Base.metadata.sorted_tables:
            rows = session.execute(select(table).order_by(*table.primary_key.columns))
            tables[table.name] = [tuple(row) for row in rows]
        tables["alembic_version"] = [tuple(session.execute(text("SELECT * FROM alembic_version")))]
    return tables


def wenku_in_process(capsys: pytest.CaptureFixture[str], *args: str) -> CliResult:
    """The real entry point, in this process (a child process costs half a second)."""
    try:
        main(list(args))
        code = 0
    except SystemExit as exit_:
        code = int(exit_.code or 0)
    captured = capsys.readouterr()
    return CliResult(code, captured.out, captured.err)


def rows_of(url: str, sql: str, **options: Any) -> tuple[list[str], list[tuple[Any, ...]]]:
    with run_sql(url, sql, **options) as result:
        return result.columns, list(result.rows)


@contextmanager
def reader_url_of(url: str) -> Iterator[str]:
    """The documented read-only role's URL on a PostgreSQL archive; SQLite's URL as it is."""
    if is_sqlite(url):
        yield url
        return
    with reader_role(url) as reader:
        yield reader


@pytest.mark.parametrize(
    "sql",
    [
        "INSERT INTO crawl_runs (kind, started_at, status) VALUES ('manual', '2026-01-01', 'x')",
        "DROP TABLE captures",
        "ATTACH DATABASE '{tmp}/other.db' AS other",
    ],
    ids=["insert", "drop", "attach"],
)
def test_the_command_refuses_writes_and_the_archive_is_unchanged(
    db_url: str, tmp_path: Path, sql: str
) -> None:
    build(db_url)
    before = snapshot(db_url)
    with reader_url_of(db_url) as reader:
        result = run_wenku("query", sql.format(tmp=tmp_path), "--db", reader)
    assert result.code == 2, result.stderr
    assert len(result.stderr.strip().splitlines()) == 1 and "Traceback" not in result.stderr
    assert "wenku query is read-only" in result.stderr
    assert not (tmp_path / "other.db").exists()
    assert snapshot(db_url) == before


# What the database itself answers, the allow-list left out (statement_check=False).
@pytest.mark.parametrize(
    "sql,on_sqlite,on_postgresql",
    [
        ("UPDATE documents SET title = 'x'", "read-only", "read-only"),
        ("DELETE FROM pages", "read-only", "read-only"),
        ("CREATE TABLE notes (a INTEGER)", "read-only", "read-only"),
        ("CREATE TEMP TABLE notes (a INTEGER)", "read-only", "read-only"),
        ("SELECT 1; DELETE FROM pages", "one statement", "one statement"),
        ("COPY (SELECT 1) TO '{tmp}/copied.csv'", "SQL error", "SQL error"),
        ("PRAGMA query_only = 0", "read-only", "SQL error"),  # PostgreSQL has no PRAGMA
        ("VACUUM INTO '{tmp}/copy.db'", "read-only", "SQL error"),
        ("PRAGMA user_version = 7", "read-only", "SQL error"),
        ("EXPLAIN ANALYZE DELETE FROM pages", "SQL error", "read-only"),
        (
            "WITH gone AS (DELETE FROM pages RETURNING id) SELECT count(*) FROM gone",
            "SQL error",
            "SQL error",
        ),
    ],
)
def test_the_database_itself_refuses_every_kind_of_write(
    sample: Sample, tmp_path: Path, sql: str, on_sqlite: str, on_postgresql: str
) -> None:
    before = snapshot(sample.url)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    with pytest.raises(AnalystError) as refused:
        rows_of(sample.reader_url, sql.format(tmp=elsewhere), statement_check=False)
    expected = on_sqlite if is_sqlite(sample.url) else on_postgresql
    assert expected in str(refused.value)
    assert isinstance(refused.value, WriteRefused) == (expected == "read-only")
    assert list(elsewhere.iterdir()) == []
    assert snapshot(sample.url) == before
    assert rows_of(sample.reader_url, COUNT_SQL)[1] == [(10,)]


@pytest.mark.parametrize(
    "sql",
    [
        "UPDATE documents SET title = 'x'",
        "DELETE FROM pages",
        "CREATE TEMP TABLE notes (a INTEGER)",
        "COPY (SELECT 1) TO '{tmp}/copied.csv'",
        "/* a comment */ COPY documents TO STDOUT",
        DO_COPY_TO_PROGRAM,
        "VACUUM INTO '{tmp}/copy.db'",
        "ATTACH DATABASE '{tmp}/other.db' AS other",
        "CALL anything()",
    ],
)
def test_the_allow_list_lets_only_queries_through(sample: Sample, tmp_path: Path, sql: str) -> None:
    before = snapshot(sample.url)
    with pytest.raises(WriteRefused, match="wenku query is read-only: it runs queries only"):
        rows_of(sample.reader_url, sql.format(tmp=tmp_path))
    assert list(tmp_path.iterdir()) == []
    assert snapshot(sample.url) == before


def test_reading_pragmas_and_the_fts_index_are_allowed(sqlite_url: str) -> None:
    build(sqlite_url)
    columns, rows = rows_of(sqlite_url, "PRAGMA table_info(documents)")
    assert "name" in columns and any("content_hash" in row for row in rows)
    _, rows = rows_of(
        sqlite_url,
        "SELECT d.title FROM documents_fts JOIN documents d ON d.id = documents_fts.rowid "
        "WHERE documents_fts MATCH '\"执行力\"'",
    )
    assert rows == [("政府自身建设",)]


@pytest.mark.parametrize("fmt", ["csv", "json", "jsonl", "table"])
def test_output_formats(
    sample: Sample, fmt: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(present.console, "width", 200)
    sql = (
        "SELECT url, site, gone_at, fetch_count FROM pages "
        f"WHERE url IN ('{GW}1001.html', '{GW}1006.html') ORDER BY url"
    )
    result = wenku_in_process(capsys, "query", sql, "--db", sample.reader_url, "--format", fmt)
    assert result.code == 0, result.stderr
    if fmt == "csv":
        rows = list(csv.DictReader(io.StringIO(result.stdout)))
    elif fmt == "json":
        rows = json.loads(result.stdout)
    elif fmt == "jsonl":
        rows = [json.loads(line) for line in result.stdout.splitlines()]
    else:
        assert "fetch_count" in result.stdout and f"{GW}1006.html" in result.stdout
        assert "NULL" in result.stdout and "2 rows" in result.stderr
        return
    assert [row["url"] for row in rows] == [f"{GW}1001.html", f"{GW}1006.html"]
    assert [str(row["fetch_count"]) for row in rows] == ["2", "2"]
    assert rows[0]["gone_at"] in (None, "")
    assert str(rows[1]["gone_at"]).startswith("2026-11-02")


def test_json_flag_stdin_and_no_rows(sqlite_url: str) -> None:
    build(sqlite_url)
    result = run_wenku("query", "-", "--db", sqlite_url, "--json", stdin=COUNT_SQL.encode())
    assert result.code == 0, result.stderr
    assert result.json() == [{"n": 10}]
    result = run_wenku(
        "query", "SELECT id FROM documents WHERE id < 0", "--db", sqlite_url, "--json"
    )
    assert result.code == 0 and result.json() == []


def test_a_table_shows_the_first_rows_and_csv_streams_all(
    sample: Sample, capsys: pytest.CaptureFixture[str]
) -> None:
    db_url = sample.reader_url
    with run_sql(db_url, MANY_ROWS) as result:
        assert write_result(result, "table", io.StringIO()) == 1500
    shown = capsys.readouterr()
    assert f"{1500 - TABLE_ROWS} more rows not shown" in shown.err
    out = io.StringIO()
    with run_sql(db_url, MANY_ROWS) as result:
        assert write_result(result, "csv", out) == 1500
    assert out.getvalue().splitlines()[-1] == "1500"


@pytest.mark.parametrize(
    "sql,message",
    [
        ("SELECT * FROM no_such_table", "SQL error"),
        ("SELEKT 1", "runs queries only"),
        ("   ", "needs an SQL statement"),
    ],
)
def test_sql_mistakes_exit_2_with_one_line(
    sample: Sample, sql: str, message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    result = wenku_in_process(capsys, "query", sql, "--db", sample.reader_url)
    assert result.code == 2 and message in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_a_missing_archive_is_not_created(tmp_path: Path) -> None:
    result = run_wenku("query", COUNT_SQL, "--db", f"sqlite:///{tmp_path}/none.db")
    assert result.code == 2 and "no archive" in result.stderr
    assert not (tmp_path / "none.db").exists()


def test_search_and_export_read_through_sessions_that_cannot_write(sample: Sample) -> None:
    before = snapshot(sample.url)
    with read_only_session(sample.url) as session, pytest.raises(DBAPIError):
        session.execute(text("DELETE FROM document_links"))
        session.commit()
    assert snapshot(sample.url) == before

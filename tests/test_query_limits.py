"""Issue 11, items 3 and 6: `wenku query` cannot run programs on the server, and cannot run
for ever or grow without bound; a stopped client stops the server's work too.

PostgreSQL tests connect as the read-only role docs/analysts.md tells how to create
(`reader_role`), as a superuser, and as a role that may write, each on its own database.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from sqlalchemy import NullPool, create_engine, make_url, text

from storage.query import AnalystError, run_sql
from storage.query_limits import HEAP_LIMIT_BYTES, QueryStopped
from tests.analyst_archive import Sample, build, sample_archive
from tests.conftest import ROOT, run_wenku

ENDLESS_CTE = "WITH RECURSIVE r(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM r) SELECT max(i) FROM r"
SLEEP = "SELECT pg_sleep(600) AS slept"
DO_COPY_TO_PROGRAM = (
    "DO $$ BEGIN EXECUTE 'COPY (SELECT 1) TO PROGRAM ' || quote_literal('touch {ran}'); END $$"
)
BOUNDED = 120  # seconds a stopped statement may take to go, on a loaded machine


@pytest.fixture(scope="module")
def postgres(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Sample]:
    with sample_archive("postgresql", tmp_path_factory) as sample:
        yield sample


@pytest.fixture(scope="module")
def sqlite_sample(tmp_path_factory: pytest.TempPathFactory) -> Sample:
    return build(f"sqlite:///{tmp_path_factory.mktemp('limits') / 'archive.db'}")


def one_line(stderr: str) -> str:
    lines = stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in stderr, stderr
    return lines[0]


# Item 3: who may run a query on PostgreSQL.


def test_a_superuser_is_refused_before_anything_runs(postgres: Sample, tmp_path: Path) -> None:
    ran = tmp_path / "ran"
    result = run_wenku("query", "SELECT 1", "--db", postgres.url)
    assert result.code == 2 and "refuses role 'postgres': it is a superuser" in one_line(
        result.stderr
    )
    sql = DO_COPY_TO_PROGRAM.format(ran=ran)
    with (
        pytest.raises(AnalystError, match="superuser"),
        run_sql(postgres.url, sql, statement_check=False),  # the allow-list left out
    ):
        pass
    assert not ran.exists()


def test_the_documented_reader_role_cannot_run_programs(postgres: Sample, tmp_path: Path) -> None:
    ran = tmp_path / "ran"
    sql = DO_COPY_TO_PROGRAM.format(ran=ran)
    with (
        pytest.raises(AnalystError, match="pg_execute_server_program"),
        run_sql(postgres.reader_url, sql, statement_check=False),  # the database's line
    ):
        pass
    result = run_wenku("query", sql, "--db", postgres.reader_url)  # the allow-list's
    assert result.code == 2 and "runs queries only" in one_line(result.stderr)
    assert not ran.exists()


def test_the_documented_reader_role_reads_without_a_warning(postgres: Sample) -> None:
    count = "SELECT COUNT(*) AS n FROM documents"
    result = run_wenku("query", count, "--db", postgres.reader_url, "--json")
    assert result.code == 0 and result.stderr == ""
    assert result.json() == [{"n": 10}]


@contextmanager
def writer_role(url: str) -> Iterator[str]:
    """A role that may write the archive's tables (as the crawls' own role may)."""
    name = f"wenku_writer_{make_url(url).database}"
    engine = create_engine(url, isolation_level="AUTOCOMMIT", poolclass=NullPool)
    grant = f'CREATE ROLE "{name}" LOGIN; GRANT ALL ON ALL TABLES IN SCHEMA public TO "{name}"'
    with engine.connect() as connection:
        connection.exec_driver_sql(grant)
    try:
        yield make_url(url).set(username=name).render_as_string(False)
    finally:
        with engine.connect() as connection:
            connection.exec_driver_sql(f'DROP OWNED BY "{name}"; DROP ROLE "{name}"')
        engine.dispose()


def test_a_role_that_may_write_is_warned_and_still_read_only(postgres: Sample) -> None:
    with writer_role(postgres.url) as writer:
        result = run_wenku("query", "SELECT COUNT(*) AS n FROM pages", "--db", writer, "--json")
        assert result.code == 0, result.stderr
        assert "wenku: warning: role" in one_line(result.stderr)
        assert "may write to the archive's tables" in result.stderr
        with (
            pytest.raises(AnalystError, match="read-only"),
            run_sql(writer, "DELETE FROM pages", statement_check=False),
        ):
            pass


# Item 6: time and memory.


def test_a_runaway_recursive_query_is_stopped_at_the_timeout_on_sqlite(
    sqlite_sample: Sample,
) -> None:
    started = time.monotonic()
    result = run_wenku("query", ENDLESS_CTE, "--db", sqlite_sample.url, "--timeout", "1")
    assert time.monotonic() - started < BOUNDED
    assert result.code == 1
    assert "stopped the statement after 1 s" in one_line(result.stderr)


def test_the_timeout_comes_from_the_environment_too(sqlite_sample: Sample) -> None:
    result = run_wenku("query", ENDLESS_CTE, "--db", sqlite_sample.url, WENKU_QUERY_TIMEOUT="1")
    assert result.code == 1 and "after 1 s" in result.stderr


def test_a_huge_blob_is_refused_on_sqlite(sqlite_sample: Sample) -> None:
    result = run_wenku("query", "SELECT length(randomblob(200000000))", "--db", sqlite_sample.url)
    assert result.code == 2 and "string or blob too big" in one_line(result.stderr)


def test_sqlites_memory_is_bounded_in_the_query_process(sqlite_sample: Sample) -> None:
    result = run_wenku("query", "PRAGMA hard_heap_limit", "--db", sqlite_sample.url, "--json")
    assert result.code == 0, result.stderr
    assert result.json() == [{"hard_heap_limit": HEAP_LIMIT_BYTES}]


def test_a_statement_past_its_timeout_is_stopped_on_postgresql(postgres: Sample) -> None:
    with (
        pytest.raises(QueryStopped, match="after 1 s"),
        run_sql(postgres.reader_url, SLEEP, timeout=1) as result,
    ):
        list(result.rows)
    assert running(postgres.url, postgres.reader_url) == 0


def running(url: str, role_url: str) -> int:
    """How many statements the role of `role_url` runs in the database at `url` (a
    query's rows are FETCHed from a cursor: the statement shown is the FETCH)."""
    engine = create_engine(url, poolclass=NullPool)
    query = text(
        "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
        "AND state = 'active' AND usename = :user"
    )
    try:
        with engine.connect() as connection:
            user = make_url(role_url).username
            return int(connection.execute(query, {"user": user}).scalar() or 0)
    finally:
        engine.dispose()


def wait_for(condition: object, seconds: float = BOUNDED) -> bool:
    assert callable(condition)
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.2)
    return True


@pytest.mark.parametrize("how", [signal.SIGTERM, signal.SIGINT, signal.SIGKILL])
def test_a_stopped_client_stops_the_statement_on_the_server(
    postgres: Sample, how: signal.Signals
) -> None:
    child = subprocess.Popen(
        [sys.executable, "-m", "wenku", "query", SLEEP, "--db", postgres.reader_url],
        cwd=ROOT,
        env={**os.environ, "WENKU_DB_URL": ""},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert wait_for(lambda: running(postgres.url, postgres.reader_url) == 1)
        child.send_signal(how)
        _, stderr = child.communicate(timeout=BOUNDED)
        assert wait_for(lambda: running(postgres.url, postgres.reader_url) == 0)
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()
    if how != signal.SIGKILL:
        assert child.returncode == 130 and one_line(stderr) == "wenku: interrupted"


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime + stime


def has_open(pid: int, path: Path) -> bool:
    fds = Path(f"/proc/{pid}/fd")
    return any(os.path.realpath(fd) == str(path) for fd in fds.iterdir())


def test_sigterm_ends_a_runaway_query_on_sqlite(sqlite_sample: Sample) -> None:
    archive = Path(make_url(sqlite_sample.url).database or "").resolve()
    command = [sys.executable, "-m", "wenku", "query", ENDLESS_CTE, "--timeout", "0"]
    child = subprocess.Popen(
        [*command, "--db", sqlite_sample.url],
        cwd=ROOT,
        env={**os.environ, "WENKU_DB_URL": ""},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert wait_for(lambda: has_open(child.pid, archive))  # connected: the query starts
        busy_from = cpu_seconds(child.pid)
        assert wait_for(lambda: cpu_seconds(child.pid) > busy_from + 0.3)  # and is running
        child.send_signal(signal.SIGTERM)
        _, stderr = child.communicate(timeout=BOUNDED)
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()
    assert child.returncode == 130 and one_line(stderr) == "wenku: interrupted"


# `wenku query`, then its peak RSS since exec (VmHWM; ru_maxrss would count the moments
# before exec, when the child still shares the test process's memory).
WITH_PEAK = """
import runpy, sys
sys.argv = ["wenku", *sys.argv[1:]]
try:
    runpy.run_module("wenku", run_name="__main__")
finally:
    peak = next(line for line in open("/proc/self/status") if line.startswith("VmHWM"))
    print("peak_kb", peak.split()[1], file=sys.stderr)
"""


def test_rows_stream_from_postgresql_in_bounded_memory(postgres: Sample) -> None:
    huge = "SELECT repeat('x', 500000) AS filler FROM generate_series(1, 1200)"  # 600 MB
    command = [sys.executable, "-c", WITH_PEAK, "query", huge, "--format", "csv"]
    done = subprocess.run(
        [*command, "--db", postgres.reader_url],
        cwd=ROOT,
        env={**os.environ, "WENKU_DB_URL": ""},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        timeout=BOUNDED * 2,
    )
    assert done.returncode == 0, done.stderr
    peak_mb = int(done.stderr.split("peak_kb")[-1]) // 1024
    assert peak_mb < 250, f"peak RSS {peak_mb} MB"

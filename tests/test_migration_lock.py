"""Issue 11, item 8: two first crawls into a fresh archive do not race on the migration.

Two processes, started together on a fresh database, each run what a crawl runs first
(`ensure_current`) the moment a go-file appears; both must succeed, with one schema.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from sqlalchemy import create_engine, inspect, text

from storage.engine import HEAD_REVISION
from tests.conftest import POSTGRES_URL, ROOT, SKIP_POSTGRES, fresh_postgres_database

ROUNDS = 3  # without the lock, one round in two or three races; three make it near certain
FIRST_CRAWL = """
import sys, time
from pathlib import Path
from storage.engine import ensure_current
go = Path(sys.argv[2])
print("ready", flush=True)
while not go.exists():
    time.sleep(0.005)
ensure_current(sys.argv[1])
"""


def start_together(url: str, go: Path, count: int = 2) -> list[subprocess.CompletedProcess[str]]:
    children = [
        subprocess.Popen(
            [sys.executable, "-c", FIRST_CRAWL, url, str(go)],
            cwd=ROOT,
            env=os.environ.copy(),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(count)
    ]
    try:
        for child in children:
            assert child.stdout is not None and child.stdout.readline().strip() == "ready"
        go.touch()
        results = []
        for child in children:
            out, err = child.communicate(timeout=180)
            results.append(subprocess.CompletedProcess(child.args, child.returncode, out, err))
        return results
    finally:
        for child in children:
            if child.poll() is None:
                child.kill()
                child.wait()


def schema_of(url: str) -> tuple[str | None, set[str]]:
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            version = connection.execute(text("SELECT version_num FROM alembic_version")).scalar()
        return version, set(inspect(engine).get_table_names())
    finally:
        engine.dispose()


@pytest.mark.parametrize("backend", ["postgresql", "sqlite"])
def test_two_first_crawls_migrate_a_fresh_archive_once(backend: str, tmp_path: Path) -> None:
    if backend == "postgresql" and not POSTGRES_URL:
        pytest.skip(SKIP_POSTGRES)
    for round_ in range(ROUNDS):
        go = tmp_path / f"go-{round_}"
        if backend == "sqlite":
            results = start_together(f"sqlite:///{tmp_path / f'archive-{round_}.db'}", go)
            url = f"sqlite:///{tmp_path / f'archive-{round_}.db'}"
        else:
            assert POSTGRES_URL is not None
            with fresh_postgres_database(POSTGRES_URL) as url:
                results = start_together(url, go)
                version, tables = schema_of(url)
        for result in results:
            assert result.returncode == 0, result.stderr[-2000:]
        if backend == "sqlite":
            version, tables = schema_of(url)
        assert version == HEAD_REVISION
        assert {"documents", "pages", "captures", "crawl_runs"} <= tables
        time.sleep(0)  # each round is a fresh archive

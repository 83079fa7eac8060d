"""Shared fixtures: archives on SQLite and (when configured) PostgreSQL, the demo site, the CLI.

PostgreSQL tests run when WENKU_TEST_POSTGRES_URL points at a server (.ci/run sets it);
each test gets a database of its own, dropped afterwards.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, make_url, text

ROOT = Path(__file__).resolve().parent.parent
# Prefect writes its home on import: keep every test (and the CLIs they start) off ~/.prefect.
os.environ.setdefault("PREFECT_HOME", tempfile.mkdtemp(prefix="wenku-test-prefect-"))
# The cleaner's character-model cache: built once per test run, not written to ~/.cache.
os.environ.setdefault("WENKU_CACHE_DIR", tempfile.mkdtemp(prefix="wenku-test-cache-"))
POSTGRES_URL = os.environ.get("WENKU_TEST_POSTGRES_URL")
SKIP_POSTGRES = (
    "PostgreSQL tests need a server: set WENKU_TEST_POSTGRES_URL="
    "postgresql+psycopg://postgres@127.0.0.1:5432/test (.ci/run does)"
)


@pytest.fixture(autouse=True)
def _close_archive_connections() -> Iterator[None]:
    yield
    from storage.engine import dispose_all

    dispose_all()


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """An empty archive URL, once on SQLite and once on PostgreSQL."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'archive.db'}"
        return
    if not POSTGRES_URL:
        pytest.skip(SKIP_POSTGRES)
    with fresh_postgres_database(POSTGRES_URL) as url:
        yield url


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'archive.db'}"


class fresh_postgres_database:
    def __init__(self, server_url: str):
        self.admin = create_engine(server_url, isolation_level="AUTOCOMMIT")
        self.name = f"wenku_test_{uuid.uuid4().hex[:12]}"
        self.url = make_url(server_url).set(database=self.name).render_as_string(False)

    def __enter__(self) -> str:
        with self.admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{self.name}"'))
        return self.url

    def __exit__(self, *exc: object) -> None:
        from storage.engine import dispose_all

        dispose_all()
        with self.admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)'))
        self.admin.dispose()


@dataclass
class CliResult:
    code: int
    stdout: str
    stderr: str

    def json(self) -> Any:
        return json.loads(self.stdout)


def run_wenku(
    *args: str, stdin: bytes | None = None, timeout: float = 240, cwd: Path = ROOT, **env: str
) -> CliResult:
    """Run the real `wenku` command in a child process (a crawl needs a fresh reactor)."""
    environment = {**os.environ, "WENKU_DB_URL": "", **env}
    completed = subprocess.run(
        [sys.executable, "-m", "wenku", *args],
        input=stdin,
        capture_output=True,
        timeout=timeout,
        env=environment,
        cwd=cwd,
    )
    return CliResult(
        completed.returncode,
        completed.stdout.decode("utf-8", "replace"),
        completed.stderr.decode("utf-8", "replace"),
    )

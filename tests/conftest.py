"""Shared fixtures: archives on SQLite and (when configured) PostgreSQL, the demo site, the CLI.

PostgreSQL tests run when WENKU_TEST_POSTGRES_URL points at a server (.ci/run sets it);
each test gets a database of its own, dropped afterwards.
"""

from __future__ import annotations

import atexit
import contextlib
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, make_url, text

ROOT = Path(__file__).resolve().parent.parent
# Prefect writes its home on import: keep every test (and the CLIs they start) off ~/.prefect,
# and off any Prefect API the shell points at; a test that wants one asks for `prefect_api`.
os.environ["PREFECT_HOME"] = _PREFECT_HOME = tempfile.mkdtemp(prefix="wenku-test-prefect-")
atexit.register(shutil.rmtree, _PREFECT_HOME, True)
for _setting in ("PREFECT_API_URL", "PREFECT_PROFILE"):
    os.environ.pop(_setting, None)
# The cleaner's character-model cache: built once per test run, not written to ~/.cache.
os.environ.setdefault("WENKU_CACHE_DIR", tempfile.mkdtemp(prefix="wenku-test-cache-"))
# How long a test waits for something a loaded machine does slowly (a server starting, a
# child stopping) before it calls it a failure: far beyond what it takes on a busy machine.
WAIT_SECONDS = 300.0
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
    *args: str,
    stdin: bytes | None = None,
    timeout: float = WAIT_SECONDS,
    cwd: Path = ROOT,
    **env: str,
) -> CliResult:
    """Run the real `wenku` command in a child process (a crawl needs a fresh reactor).

    It runs in a session of its own: whatever it started and left (an archive worker, a
    demo site) is killed when it returns, and all of it if the test stops first.
    """
    environment = {**os.environ, "WENKU_DB_URL": "", **env}
    child = subprocess.Popen(
        [sys.executable, "-m", "wenku", *args],
        stdin=subprocess.DEVNULL if stdin is None else subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=environment,
        cwd=cwd,
        start_new_session=True,
    )
    try:
        stdout, stderr = child.communicate(stdin, timeout=timeout)
    finally:
        kill_session(child)
        child.wait()
    return CliResult(
        child.returncode, stdout.decode("utf-8", "replace"), stderr.decode("utf-8", "replace")
    )


def wait_for(probe: Callable[[], Any], what: str, seconds: float = WAIT_SECONDS) -> Any:
    """Poll `probe` until it returns something other than None (or False)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        found = probe()
        if found is not None and found is not False:
            return found
        time.sleep(0.2)
    raise AssertionError(f"gave up waiting for {what} after {seconds:g} s")


def kill_session(leader: subprocess.Popen[Any]) -> list[int]:
    """SIGKILL what is left of the session of `leader` (a child started with
    start_new_session=True): the leader while it runs, and whatever it started. Returns
    their ids. Linux: reads /proc."""
    ours = leader.poll() is None  # reaped, its id may be another process's by now
    killed = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue  # gone meanwhile
        pid = int(stat.parent.name)
        # fields after the name: state, ppid, pgrp, session
        if int(fields[3]) == leader.pid and (ours or pid != leader.pid):
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
                killed.append(pid)
    return killed


@pytest.fixture(scope="session")
def prefect_api(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """One real Prefect server for the session (its own home, a free port); its API URL.

    Tests that share it make their own flow runs and deployments and read back only those.
    """
    from wenku.schedule import free_port, healthy, stop_server

    home = tmp_path_factory.mktemp("prefect-server")
    port = free_port()
    env = {**os.environ, "PREFECT_HOME": str(home), "PREFECT_UI_ENABLED": "false"}
    command = [sys.executable, "-m", "prefect", "server", "start", "--port", str(port)]
    with open(home / "server.log", "wb") as log:
        server = subprocess.Popen(
            [*command, "--host", "127.0.0.1"],
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        api_url = f"http://127.0.0.1:{port}/api"
        try:
            wait_for(lambda: healthy(api_url) or server.poll() is not None, "a Prefect server")
            assert server.poll() is None, (home / "server.log").read_text()[-3000:]
            yield api_url
        finally:
            stop_server(server)  # SIGTERM to its group, SIGKILL if it lingers
            kill_session(server)

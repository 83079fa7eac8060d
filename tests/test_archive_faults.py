"""A crawl whose archive fails ends, says why in one line and loses nothing it fetched;
a killed crawl leaves no archive worker behind (issue 11, items 1 and 2).

Each test runs the real `wenku crawl` in a child process against the demo site on
loopback and breaks one component: the SQLite archive (a write lock held past the
writer's retry budget), a cleaning worker (SIGKILL), the crawler itself (SIGKILL).
"""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

from sqlalchemy import select
from warcio.archiveiterator import ArchiveIterator

from demosite import DemoServer
from storage.engine import session_factory, upgrade
from storage.models import Capture, CrawlRun, Page
from tests.conftest import ROOT

DEADLINE = 180.0  # generous: the machine is shared; a hang is what these tests catch


def start_crawl(server: DemoServer, db_url: str, tmp: Path, *extra: str) -> subprocess.Popen[str]:
    command = [sys.executable, "-m", "wenku", "crawl", server.url + "/", "--db", db_url]
    command += ["--warc-dir", str(tmp / "warc"), "--json", *extra]
    env = {**os.environ, "WENKU_DB_URL": ""}
    return subprocess.Popen(
        command, cwd=ROOT, env=env, text=True, stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )


@contextmanager
def reaped(process: subprocess.Popen[str]) -> Iterator[subprocess.Popen[str]]:
    """Never leave the crawl (or its workers) running when a test fails."""
    try:
        yield process
    finally:
        workers = children(process.pid)
        if process.poll() is None:
            process.kill()
        process.communicate()
        for pid in workers:
            _kill(pid)


def children(pid: int) -> list[int]:
    try:
        return [int(p) for p in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except OSError:
        return []


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().split(") ")[1][0]
    except OSError:
        return False
    return state != "Z"


def _kill(pid: int) -> None:
    with suppress(ProcessLookupError):
        os.kill(pid, signal.SIGKILL)


def wait_for(condition, what: str, timeout: float = DEADLINE) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.1)


def warc_records(folder: Path) -> list[tuple[str, str, int]]:
    """(url, file, offset) of every response record kept."""
    found = []
    for path in sorted(folder.glob("*.warc.gz")):
        with open(path, "rb") as handle:
            iterator = ArchiveIterator(handle)
            for record in iterator:
                if record.rec_type in ("response", "revisit"):
                    url = record.rec_headers.get_header("WARC-Target-URI")
                    found.append((url, str(path.resolve()), iterator.get_record_offset()))
    return found


def run_status(db_url: str) -> str:
    with session_factory(db_url)() as session:
        return session.scalars(select(CrawlRun.status)).one()


def captured(db_url: str) -> set[tuple[str, str | None, int | None]]:
    query = select(Page.url, Capture.warc_file, Capture.warc_offset).join(
        Page, Page.id == Capture.page_id
    )
    with session_factory(db_url)() as session:
        return {tuple(row) for row in session.execute(query)}  # type: ignore[misc]


def test_a_locked_archive_ends_the_crawl_with_one_line_and_keeps_every_fetch_in_warc(
    sqlite_url: str, tmp_path: Path
) -> None:
    upgrade(sqlite_url)
    config = tmp_path / "wenku.toml"
    config.write_text("[archive]\nretry_seconds = 1\n")
    database = sqlite_url.removeprefix("sqlite:///")
    with DemoServer(pages=60, seed=7, night=1) as server:
        crawl = start_crawl(server, sqlite_url, tmp_path, "--config", str(config))
        with reaped(crawl):
            wait_for(lambda: _has_run(database), "the crawl_runs row")
            locker = sqlite3.connect(database, timeout=60, isolation_level=None)
            locker.execute("BEGIN EXCLUSIVE")  # held longer than the writer may wait
            wait_for(lambda: "writer" in map(_role, children(crawl.pid)), "the writer")
            writer = next(pid for pid in children(crawl.pid) if _role(pid) == "writer")
            # SQLite's busy timeout (30 s) runs out in the writer: it gives up, and once
            # the crawl has stopped, it leaves. Then the run can be marked failed.
            wait_for(lambda: not alive(writer), "the writer to give up")
            locker.execute("ROLLBACK")
            _out, err = crawl.communicate(timeout=DEADLINE)
        fetched = [entry.path for entry in server.request_log if entry.path != "/robots.txt"]
    assert crawl.returncode == 1, err[-2000:]
    lines = [line for line in err.splitlines() if line.startswith("wenku:")]
    assert lines and lines[0].startswith("wenku: crawl failed: the archive database failed")
    assert "database is locked" in lines[0] and "Traceback" not in err
    assert run_status(sqlite_url) == "failed"
    kept = {url.removeprefix(server.url) for url, _, _ in warc_records(tmp_path / "warc")}
    archived = {url.removeprefix(server.url) for url, _, _ in captured(sqlite_url)}
    assert set(fetched) <= kept | archived  # every response fetched: archived or in WARC


def _has_run(database: str) -> bool:
    try:
        with sqlite3.connect(f"file:{database}?mode=ro", uri=True) as connection:
            return bool(connection.execute("SELECT count(*) FROM crawl_runs").fetchone()[0])
    except sqlite3.Error:
        return False


def test_a_dead_cleaner_ends_the_crawl_and_marks_the_run_failed(
    sqlite_url: str, tmp_path: Path
) -> None:
    with DemoServer(pages=1000, seed=7, night=1) as server:
        crawl = start_crawl(server, sqlite_url, tmp_path)
        with reaped(crawl):
            wait_for(lambda: len(server.request_log) > 20, "some fetches")
            wait_for(lambda: "writer" in map(_role, children(crawl.pid)), "the writer")
            cleaner = next(pid for pid in children(crawl.pid) if _role(pid) == "cleaner")
            os.kill(cleaner, signal.SIGKILL)
            _, err = crawl.communicate(timeout=DEADLINE)
    assert crawl.returncode == 1
    assert "wenku: crawl failed: archive worker wenku-cleaner-0 exited unexpectedly" in err
    assert "Traceback" not in err
    assert run_status(sqlite_url) == "failed"


def _role(pid: int) -> str:
    """`cleaner`, `writer` (it has the archive open) or `other` (Python's resource tracker)."""
    command = Path(f"/proc/{pid}/cmdline").read_bytes()
    if b"spawn_main" not in command:
        return "other"
    return "writer" if any(link.endswith("archive.db") for link in _open_files(pid)) else "cleaner"


def _open_files(pid: int) -> list[str]:
    """What the process has open; a descriptor closed while we look is skipped."""
    found = []
    try:
        descriptors = list(Path(f"/proc/{pid}/fd").iterdir())
    except OSError:
        return []
    for descriptor in descriptors:
        with suppress(OSError):
            found.append(str(descriptor.readlink()))
    return found


def workers_of(pid: int) -> list[int]:
    return [child for child in children(pid) if _role(child) != "other"]


def test_a_killed_crawl_leaves_no_worker_and_commits_what_it_kept(
    sqlite_url: str, tmp_path: Path
) -> None:
    with DemoServer(pages=1000, seed=7, night=1) as server:
        crawl = start_crawl(server, sqlite_url, tmp_path)
        with reaped(crawl):
            wait_for(lambda: len(server.request_log) > 60, "some fetches")
            wait_for(lambda: "writer" in map(_role, children(crawl.pid)), "the writer")
            workers = workers_of(crawl.pid)
            crawl.kill()
            crawl.communicate()
            wait_for(lambda: not any(alive(pid) for pid in workers), "the workers to exit", 60)
    kept = set(warc_records(tmp_path / "warc"))
    assert kept, "the writer kept nothing"
    archived = captured(sqlite_url)
    assert kept <= archived  # each batch kept in WARC was committed, the last one too

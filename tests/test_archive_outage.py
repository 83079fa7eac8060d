"""A database that goes away and a disk that fills up, mid-crawl (issue 11, item 1).

Each test runs the real `wenku crawl` in a child process (a session of its own) against
the demo site on loopback, held mid-crawl by a gate on its responses, and breaks the
archive under it: a private PostgreSQL cluster this test starts on a port of its own (never
the machine's shared server) is stopped for 20 s and started again, or stopped for good;
or the child's files stop growing (RLIMIT_FSIZE), as on a full disk.
"""

from __future__ import annotations

import glob
import os
import resource
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import suppress
from pathlib import Path

import pytest
from sqlalchemy import select

from crawler.warc import read_fetch
from demosite import DemoServer
from storage.engine import dispose_all, session_factory, upgrade
from storage.models import Document
from tests.conftest import ROOT, kill_session, wait_for
from tests.test_archive_faults import _role, captured, children, run_status, warc_records
from tests.test_crawl_e2e import expected_hashes
from tests.test_recrawl_e2e import Gate

DEADLINE = 300.0  # generous: the machine is shared; a hang is what these tests catch
OUTAGE_SECONDS = 20.0


class PrivatePostgres:
    """A PostgreSQL cluster of the test's own: initdb'd in a temporary folder, on a free port,
    its socket in that folder; as the `postgres` user when the test runs as root."""

    def __init__(self) -> None:
        from wenku.schedule import free_port

        found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb")) or [
            shutil.which("initdb") or ""
        ]
        self.bin = Path(found[-1]).parent
        if not found[-1] or not (self.bin / "pg_ctl").exists():
            pytest.skip("a private PostgreSQL cluster needs initdb and pg_ctl (postgresql)")
        self.as_postgres: list[str] = []
        if os.geteuid() == 0:  # PostgreSQL refuses to run as root
            runuser = shutil.which("runuser")
            if runuser is None:
                pytest.skip("a private PostgreSQL cluster run as root needs runuser")
            self.as_postgres = [runuser, "-u", "postgres", "--"]
        self.base = Path(tempfile.mkdtemp(prefix="wenku-pg-"))
        if self.as_postgres:
            shutil.chown(self.base, "postgres")
        self.data = self.base / "data"
        self.port = free_port()
        self.url = f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/postgres"

    def _pg(self, *args: str) -> None:
        command = [*self.as_postgres, *args]
        done = subprocess.run(command, capture_output=True, text=True, timeout=DEADLINE)
        assert done.returncode == 0, f"{args[0]}: {done.stdout[-1500:]} {done.stderr[-1500:]}"

    def init(self) -> None:
        self._pg(str(self.bin / "initdb"), "-D", str(self.data), "-A", "trust", "-U", "postgres")

    def start(self) -> None:
        options = f"-p {self.port} -k {self.base} -c listen_addresses=127.0.0.1"
        pg_ctl = str(self.bin / "pg_ctl")
        log = str(self.base / "server.log")
        self._pg(pg_ctl, "-D", str(self.data), "-o", options, "-l", log, "-w", "-t", "300", "start")

    def stop(self) -> None:
        """An outage: the server ends at once, every connection cut."""
        pg_ctl = str(self.bin / "pg_ctl")
        self._pg(pg_ctl, "-D", str(self.data), "-m", "immediate", "-w", "-t", "300", "stop")

    def remove(self) -> None:
        """Whatever state the test left it in: stopped (the postmaster killed if need be)."""
        dispose_all()
        pid_file = self.data / "postmaster.pid"
        if pid_file.exists():
            pg_ctl = [*self.as_postgres, str(self.bin / "pg_ctl"), "-D", str(self.data)]
            subprocess.run([*pg_ctl, "-m", "immediate", "stop"], capture_output=True, timeout=120)
            if pid_file.exists():
                with suppress(OSError, ValueError, IndexError):
                    os.kill(int(pid_file.read_text().split()[0]), signal.SIGKILL)
        shutil.rmtree(self.base, ignore_errors=True)


@pytest.fixture
def private_postgres() -> Iterator[PrivatePostgres]:
    cluster = PrivatePostgres()
    try:
        cluster.init()
        cluster.start()
        yield cluster
    finally:
        cluster.remove()


def start_crawl(
    server: DemoServer, db_url: str, tmp: Path, config: str = "", **popen: object
) -> subprocess.Popen[str]:
    """`wenku crawl` of the demo site in a session of its own (so what it leaves is found)."""
    command = [sys.executable, "-m", "wenku", "crawl", server.url + "/", "--db", db_url]
    command += ["--warc-dir", str(tmp / "warc"), "--json"]
    if config:
        (tmp / "wenku.toml").write_text(config)
        command += ["--config", str(tmp / "wenku.toml")]
    return subprocess.Popen(
        command,
        cwd=ROOT,
        env={**os.environ, "WENKU_DB_URL": ""},
        text=True,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        start_new_session=True,
        **popen,  # type: ignore[call-overload]
    )


def session_members(leader: int) -> list[int]:
    """Live processes of the session `leader` started (zombies are gone already)."""
    members = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        if int(fields[3]) == leader and fields[0] != "Z":
            members.append(int(stat.parent.name))
    return members


def finish(crawl: subprocess.Popen[str]) -> str:
    """Wait for the crawl's end (bounded); its stderr. Nothing of it may be left running."""
    try:
        _out, err = crawl.communicate(timeout=DEADLINE)
        wait_for(lambda: not session_members(crawl.pid), "the crawl's workers to exit", 60)
    finally:
        kill_session(crawl)
        crawl.wait()
    return err


def fetched_paths(server: DemoServer) -> set[str]:
    return {entry.path for entry in server.request_log if entry.path != "/robots.txt"}


def crawl_is_held(gate: Gate, db_url: str) -> bool:
    """The gate holds responses and the writer has committed the first documents."""
    if gate.served <= gate.open_for:
        return False
    try:
        with session_factory(db_url)() as session:
            return session.scalars(select(Document.id).limit(1)).first() is not None
    except Exception:  # the archive is still being created
        return False


def test_a_20_second_postgresql_outage_mid_crawl_costs_a_pause_not_the_crawl(
    private_postgres: PrivatePostgres, tmp_path: Path
) -> None:
    db_url = private_postgres.url
    with DemoServer(pages=60, seed=7, night=1) as server:
        gate = Gate(server.respond, open_for=30)
        server.respond = gate  # type: ignore[method-assign]
        crawl = start_crawl(server, db_url, tmp_path)  # retry_seconds: the default, 60
        try:
            wait_for(lambda: crawl_is_held(gate, db_url), "the crawl to be under way")
            dispose_all()
            private_postgres.stop()
            down = time.monotonic()
            time.sleep(OUTAGE_SECONDS / 4)
            gate.release()  # fetches go on while the database is away
            time.sleep(max(0.0, OUTAGE_SECONDS - (time.monotonic() - down)))
            private_postgres.start()
        finally:
            gate.release()
            err = finish(crawl)
        truth = server.site.truth()
    assert crawl.returncode == 0, err[-3000:]
    assert "archive write failed" in err, "the writer never met the outage"
    assert "Traceback" not in err, err[-3000:]
    with session_factory(db_url)() as session:
        archived = set(session.scalars(select(Document.content_hash)))
    wanted = expected_hashes(truth)
    assert archived == wanted, f"missing {len(wanted - archived)}, extra {len(archived - wanted)}"
    assert run_status(db_url) == "finished"


def test_a_postgresql_that_stays_down_ends_the_crawl_with_one_line_and_all_in_warc(
    private_postgres: PrivatePostgres, tmp_path: Path
) -> None:
    db_url = private_postgres.url
    with DemoServer(pages=60, seed=7, night=1) as server:
        gate = Gate(server.respond, open_for=30)
        server.respond = gate  # type: ignore[method-assign]
        crawl = start_crawl(server, db_url, tmp_path, "[archive]\nretry_seconds = 2\n")
        try:
            wait_for(lambda: crawl_is_held(gate, db_url), "the crawl to be under way")
            dispose_all()
            private_postgres.stop()
            gate.release()
            started = time.monotonic()
            err = finish(crawl)
            took = time.monotonic() - started
        finally:
            gate.release()
            if crawl.poll() is None:  # the test failed before the crawl ended
                kill_session(crawl)
                crawl.wait()
        fetched = fetched_paths(server)
    assert crawl.returncode == 1, err[-3000:]
    lines = [line for line in err.splitlines() if line.startswith("wenku:")]
    assert len(lines) == 1, err[-3000:]
    assert lines[0].startswith("wenku: crawl failed: the archive database failed"), lines[0]
    assert lines[0].count("the archive database failed") == 1, lines[0]  # said once
    assert "Traceback" not in err, err[-3000:]
    assert took < 120, f"the crawl took {took:.0f} s to give up on a database gone for good"
    kept = {url.removeprefix(server.url) for url, _, _ in warc_records(tmp_path / "warc")}
    assert fetched <= kept, f"fetched, not in WARC: {sorted(fetched - kept)[:10]}"
    print(lines[0], f"{len(fetched)} paths fetched, all in WARC", f"{took:.0f} s")


def full_disk(limit: int) -> Callable[[], None]:
    def in_the_child() -> None:
        """Files stop growing past `limit` bytes (EFBIG, not a SIGXFSZ death)."""
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))

    return in_the_child


# What the crawl may write to any one file (the schema is 110 kB). At 256 kB the disk is
# full within the first batches: WARC (`File too large`) or SQLite's write-ahead log (`disk
# I/O error`) first, depending on how the batches fall; often nothing is archived. At 1 MB
# the log fills first after a few dozen captures, and WARC goes on alone until it is full.
@pytest.mark.parametrize(
    ("limit", "archives_some"), [(256 * 1024, False), (1024 * 1024, True)], ids=["256kB", "1MB"]
)
def test_a_disk_that_fills_mid_crawl_ends_it_with_one_line_and_a_sound_archive(
    sqlite_url: str, tmp_path: Path, limit: int, archives_some: bool
) -> None:
    upgrade(sqlite_url)  # the schema is written before the disk fills
    dispose_all()
    with DemoServer(pages=400, seed=7, night=1) as server:
        crawl = start_crawl(
            server,
            sqlite_url,
            tmp_path,
            "[archive]\nretry_seconds = 2\n",
            preexec_fn=full_disk(limit),
        )
        started = time.monotonic()
        err = finish(crawl)
        took = time.monotonic() - started
    assert_ended_soundly(crawl, err, took, sqlite_url, ("File too large", "disk I/O error"))
    assert captured(sqlite_url) or not archives_some, "nothing was archived before it filled"


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    """A 1 MB tmpfs mounted for the test (root and CAP_SYS_ADMIN needed), unmounted after."""
    disk = tmp_path / "disk"
    disk.mkdir()
    mount = ["mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", str(disk)]
    done = subprocess.run(mount, capture_output=True, text=True)
    if done.returncode != 0:
        pytest.skip(f"a full disk needs a tmpfs mount, refused here: {done.stderr.strip()}")
    try:
        yield disk
    finally:
        subprocess.run(["umount", "-l", str(disk)], capture_output=True)


def test_a_real_full_disk_ends_the_crawl_with_one_line_and_a_sound_archive(
    small_disk: Path,
) -> None:
    """The archive and WARC on a 1 MB tmpfs: ENOSPC, not RLIMIT_FSIZE's EFBIG."""
    sqlite_url = f"sqlite:///{small_disk}/archive.db"
    upgrade(sqlite_url)
    dispose_all()
    with DemoServer(pages=400, seed=7, night=1) as server:
        crawl = start_crawl(server, sqlite_url, small_disk, "[archive]\nretry_seconds = 2\n")
        started = time.monotonic()
        err = finish(crawl)
        took = time.monotonic() - started
    full = ("No space left on device", "database or disk is full", "disk I/O error")
    assert_ended_soundly(crawl, err, took, sqlite_url, full)


def assert_ended_soundly(
    crawl: subprocess.Popen[str], err: str, took: float, sqlite_url: str, why: tuple[str, ...]
) -> None:
    """Exit 1 with one line naming the full disk, in bounded time; the archive sound."""
    assert crawl.returncode == 1, err[-3000:]
    lines = [line for line in err.splitlines() if line.startswith("wenku:")]
    assert len(lines) == 1, err[-3000:]
    assert "Traceback" not in err, err[-3000:]
    assert any(reason in lines[0] for reason in why), lines[0]
    assert took < DEADLINE
    # The run is marked failed if the log has room left for it; else the line says so, and
    # the next crawl closes the run (its process is gone).
    status = run_status(sqlite_url)
    assert status == "failed" or (status == "running" and "could not be marked" in lines[0])
    database = sqlite_url.removeprefix("sqlite:///")
    with sqlite3.connect(database) as connection:
        assert connection.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    rows = captured(sqlite_url)
    unreadable = []
    for url, warc_file, offset in rows:
        if warc_file is None:
            continue
        try:
            assert read_fetch(warc_file, offset or 0).url == url
        except Exception as exc:
            unreadable.append((url, warc_file, offset, repr(exc)))
    assert not unreadable, f"{len(unreadable)} of {len(rows)} captures: {unreadable[:3]}"
    print(lines[0], f"{len(rows)} captures", f"{took:.0f} s", f"run {status}")


def test_a_committed_capture_is_in_its_warc_file_while_the_writer_runs(tmp_path: Path) -> None:
    """A writer killed (or a disk filling) right after a commit must not leave captures that
    point past the end of their WARC file: records are flushed before the transaction."""
    from crawler.writer import ArchiveWriter
    from pipeline.provenance import Cleaned
    from tests.test_warc import fetch

    db_url = f"sqlite:///{tmp_path / 'archive.db'}"
    upgrade(db_url)
    writer = ArchiveWriter(db_url, None, tmp_path / "warc")
    writer.write([Cleaned(fetch(url=f"http://x/doc/{n}.html"), None) for n in range(3)])
    rows = captured(db_url)
    assert len(rows) == 3
    on_disk = {url: read_fetch(path or "", offset or 0).url for url, path, offset in rows}
    assert on_disk == {url: url for url, _, _ in rows}  # before close: nothing left buffered
    writer.close()


def test_a_writer_dying_while_a_cleaner_waits_on_it_ends_the_crawl_at_once(
    sqlite_url: str, tmp_path: Path
) -> None:
    """The writer dies (as on a full WARC disk) while the results queue is full: the crawl
    must not wait for the blocked cleaner to take its STOP (STOP_TIMEOUT, 300 s)."""
    with DemoServer(pages=1000, seed=7, night=1) as server:
        crawl = start_crawl(server, sqlite_url, tmp_path)
        try:
            wait_for(lambda: "writer" in map(_role, children(crawl.pid)), "the writer")
            wait_for(lambda: len(server.request_log) > 20, "some fetches")
            writer = next(pid for pid in children(crawl.pid) if _role(pid) == "writer")
            cleaner = next(pid for pid in children(crawl.pid) if _role(pid) == "cleaner")
            os.kill(writer, signal.SIGSTOP)  # results pile up until the cleaner blocks
            wait_for(lambda: _blocked_on_a_full_queue(cleaner), "the cleaner to block", 120)
            os.kill(writer, signal.SIGKILL)
            started = time.monotonic()
            err = finish(crawl)
            took = time.monotonic() - started
        finally:
            if crawl.poll() is None:
                kill_session(crawl)
                crawl.wait()
    assert crawl.returncode == 1, err[-3000:]
    assert "archive worker wenku-writer exited unexpectedly" in err, err[-3000:]
    assert took < 120, f"the crawl took {took:.0f} s to end after its writer died"


def _blocked_on_a_full_queue(pid: int) -> bool:
    """Its main thread has waited on a semaphore (a full queue's) for a while."""
    for _ in range(10):
        try:
            if Path(f"/proc/{pid}/wchan").read_text() != "futex_do_wait":
                return False
        except OSError:
            return False
        time.sleep(0.2)
    return True

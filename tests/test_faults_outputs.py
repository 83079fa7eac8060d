"""Issue 11, item 10: what a fault must not leave behind — a cut export, a run `running`
for ever, a JOBDIR outside `state/jobs/`."""

from __future__ import annotations

import os
import resource
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from sqlalchemy import select

from storage.engine import session_factory, upgrade
from storage.models import CrawlRun
from storage.repository import start_run, utcnow
from storage.runs import STALE_ERROR, process_owner
from tests.analyst_archive import build
from tests.conftest import ROOT, run_wenku
from tests.hostile import HostileServer, page
from wenku.config import ConfigError, load_settings

FSIZE_LIMIT = 4096  # bytes a child may write to any one file: a disk that fills up


def _full_disk() -> None:
    """In the child: files stop growing past FSIZE_LIMIT (EFBIG, not a SIGXFSZ death)."""
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    resource.setrlimit(resource.RLIMIT_FSIZE, (FSIZE_LIMIT, FSIZE_LIMIT))


@pytest.mark.parametrize("fmt", ["jsonl", "csv", "parquet"])
def test_an_export_that_cannot_finish_leaves_the_old_file_whole(tmp_path: Path, fmt: str) -> None:
    db_url = build(f"sqlite:///{tmp_path / 'archive.db'}").url
    out = tmp_path / "exports" / f"documents.{fmt}"
    out.parent.mkdir()
    out.write_bytes(b"yesterday's export\n")
    command = [sys.executable, "-m", "wenku", "export", "--format", fmt, "--out", str(out)]
    done = subprocess.run(
        [*command, "--db", db_url],
        cwd=ROOT,
        env={**os.environ, "WENKU_DB_URL": ""},
        capture_output=True,
        timeout=120,
        preexec_fn=_full_disk,
    )
    stderr = done.stderr.decode()
    assert done.returncode == 1, stderr
    assert stderr.startswith("wenku: failed:") and "File too large" in stderr
    assert len(stderr.strip().splitlines()) == 1
    assert out.read_bytes() == b"yesterday's export\n"
    assert sorted(path.name for path in out.parent.iterdir()) == [out.name]  # no partial file


def test_an_export_replaces_the_old_file_when_complete(tmp_path: Path) -> None:
    db_url = build(f"sqlite:///{tmp_path / 'archive.db'}").url
    out = tmp_path / "documents.jsonl"
    out.write_text("yesterday's export\n")
    result = run_wenku("export", "--out", str(out), "--db", db_url)
    assert result.code == 0, result.stderr
    assert len(out.read_text().splitlines()) == 10
    assert [path.name for path in tmp_path.glob("*documents.jsonl*")] == [out.name]


def _dead_pid() -> int:
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid


def test_a_run_whose_process_is_gone_is_closed_failed_by_the_next_run(db_url: str) -> None:
    upgrade(db_url)
    here = socket.gethostname()
    dead = {"host": here, "pid": _dead_pid()}
    reused = {**process_owner(), "process_start": "0"}  # our pid, but not our process
    owners = {
        "dead": dead,
        "reused": reused,
        "alive": process_owner(),
        "elsewhere": {"host": f"not-{here}", "pid": _dead_pid()},
        "unknown": None,
    }
    with session_factory(db_url).begin() as session:
        rows = {
            name: CrawlRun(kind="manual", started_at=utcnow(), status="running", stats=owner)
            for name, owner in owners.items()
        }
        session.add_all(rows.values())
        session.flush()
        ids = {name: run.id for name, run in rows.items()}
    with session_factory(db_url).begin() as session:
        start_run(session, "manual")
    with session_factory(db_url)() as session:
        runs = {run.id: run for run in session.scalars(select(CrawlRun))}
    status = {name: runs[run_id].status for name, run_id in ids.items()}
    assert status == {
        "dead": "failed",
        "reused": "failed",
        "alive": "running",
        "elsewhere": "running",
        "unknown": "running",
    }
    dead_run = runs[ids["dead"]]
    assert dead_run.finished_at is not None
    assert dead_run.stats is not None
    assert dead_run.stats["error"] == STALE_ERROR.format(pid=dead["pid"], host=here)


def _running_run_ids(db_url: str) -> list[int]:
    with session_factory(db_url)() as session:
        query = select(CrawlRun.id).where(CrawlRun.status == "running")
        return list(session.scalars(query))


def test_a_crawl_killed_outright_is_marked_failed_by_the_next_crawl(
    sqlite_url: str, tmp_path: Path
) -> None:
    with HostileServer() as server:
        server.routes["/"] = page('<a href="/stuck.html">stuck</a>')
        server.routes["/stuck.html"] = server.stall()
        command = [sys.executable, "-m", "wenku", "crawl", server.url + "/", "--db", sqlite_url]
        crawl = subprocess.Popen(
            [*command, "--warc-dir", str(tmp_path / "warc")],
            cwd=ROOT,
            env={**os.environ, "WENKU_DB_URL": ""},
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,  # its archive worker is killed with it
        )
        try:
            deadline = time.monotonic() + 180
            while server.requests_for("/stuck.html") == 0:
                assert crawl.poll() is None and time.monotonic() < deadline
                time.sleep(0.1)
            killed = _running_run_ids(sqlite_url)
            os.killpg(crawl.pid, signal.SIGKILL)
            crawl.wait(timeout=60)
        finally:
            if crawl.poll() is None:
                os.killpg(crawl.pid, signal.SIGKILL)
                crawl.wait()
        assert len(killed) == 1 and _running_run_ids(sqlite_url) == killed
        server.routes["/stuck.html"] = page("<p>unstuck</p>")
        result = run_wenku("crawl", server.url + "/", "--db", sqlite_url, "--json")
    assert result.code == 0, result.stderr[-2000:]
    with session_factory(sqlite_url)() as session:
        first = session.get_one(CrawlRun, killed[0])
    assert first.status == "failed" and first.finished_at is not None
    assert first.stats is not None and "ended without closing its run" in first.stats["error"]
    assert _running_run_ids(sqlite_url) == []


@pytest.mark.parametrize("name", ["../..", "..", "a/b", ".hidden", "", "x y"])
def test_a_site_name_that_is_not_a_plain_name_is_refused(tmp_path: Path, name: str) -> None:
    config = tmp_path / "wenku.toml"
    config.write_text(f'[sites."{name}"]\nstart_urls = ["http://127.0.0.1:9/"]\n')
    with pytest.raises(ConfigError, match="site name"):
        load_settings(config_file=str(config))
    result = run_wenku("crawl", "--site", name, "--config", str(config), "--db", "sqlite://")
    assert result.code == 2 and "site name" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


@pytest.mark.parametrize("name", ["seogis", "gw-demo.v2", "公文_站"])
def test_plain_site_names_are_accepted(tmp_path: Path, name: str) -> None:
    config = tmp_path / "wenku.toml"
    config.write_text(f'[sites."{name}"]\nstart_urls = ["http://127.0.0.1:9/"]\n')
    assert list(load_settings(config_file=str(config)).sites) == [name]

"""The Prefect flows, run for real against the session's Prefect server and the demo site.

Each crawl runs as the real `wenku` CLI in a child process, so these tests see what a
scheduled run does: crawl_runs rows with the flow run's id, artifacts, retries, failures.
"""

from __future__ import annotations

import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from prefect.client.orchestration import get_client
from prefect.client.schemas.filters import ArtifactFilter, ArtifactFilterFlowRunId
from prefect.events.worker import EventsWorker
from prefect.logging.handlers import APILogWorker
from prefect.settings import PREFECT_API_URL, temporary_settings
from prefect.states import State
from sqlalchemy import func, select

from demosite import DemoServer, DemoSite
from flows.child import stop
from flows.nightly import nightly_crawl
from flows.recrawl import recrawl_url
from flows.report import SiteResult, nightly_markdown
from flows.reprocess import reprocess
from flows.runs import record_failure
from storage.engine import session_factory, upgrade
from storage.models import Capture, CrawlRun, Page
from storage.repository import start_run, utcnow
from tests.conftest import WAIT_SECONDS

PAGES = 60
# The flow's time budget for one crawl of `big_site`: long enough for a crawl process on a
# busy machine to start and commit its first pages (about 10 s at a load average of 9 on
# two cores), far too short for anyone to crawl 50,000 pages.
CRAWL_TIMEOUT = 30.0


@pytest.fixture
def harness(prefect_api: str) -> Iterator[None]:
    """Flows run in this process report to the session's Prefect server."""
    with temporary_settings(updates={PREFECT_API_URL: prefect_api}):
        yield
        # What the flows queued goes out now, while the server is there to take it.
        APILogWorker.drain_all(timeout=WAIT_SECONDS)
        EventsWorker.drain_all(timeout=WAIT_SECONDS)


@pytest.fixture
def site(harness: None, db_url: str, tmp_path: Path) -> Iterator[DemoServer]:
    """A demo library configured as site `demo`."""
    with DemoServer(pages=PAGES, seed=7, night=1) as server, pytest.MonkeyPatch.context() as env:
        configure(env, tmp_path, db_url, "demo", server)
        yield server


@pytest.fixture
def big_site(harness: None, sqlite_url: str, tmp_path: Path) -> Iterator[DemoServer]:
    """A library no machine crawls within CRAWL_TIMEOUT, configured as site `big`."""
    with DemoServer(pages=50_000, seed=7, night=1) as server, pytest.MonkeyPatch.context() as env:
        configure(env, tmp_path, sqlite_url, "big", server)
        yield server


def configure(
    env: pytest.MonkeyPatch, tmp_path: Path, db_url: str, name: str, server: DemoServer
) -> None:
    """The config file and the env the flows and their crawl processes read."""
    config = tmp_path / "wenku.toml"
    config.write_text(f'[sites.{name}]\nstart_urls = ["{server.url}/"]\n', encoding="utf-8")
    env.setenv("WENKU_DB_URL", db_url)
    env.setenv("WENKU_CONFIG", str(config))
    env.setenv("WENKU_WARC_DIR", str(tmp_path / "warc"))
    env.setenv("WENKU_STATE_DIR", str(tmp_path / "state"))


def crawl_runs(db_url: str, flow_run_id: str) -> list[CrawlRun]:
    query = select(CrawlRun).where(CrawlRun.flow_run_id == flow_run_id).order_by(CrawlRun.id)
    with session_factory(db_url)() as session:
        return list(session.scalars(query))


def captures_of(db_url: str, run_ids: list[int]) -> int:
    query = select(func.count()).select_from(Capture).where(Capture.crawl_run_id.in_(run_ids))
    with session_factory(db_url)() as session:
        return session.scalar(query) or 0


def artifacts(state: State[Any]) -> dict[str | None, str]:
    run_filter = ArtifactFilterFlowRunId(any_=[state.state_details.flow_run_id])
    with get_client(sync_client=True) as client:
        found = client.read_artifacts(artifact_filter=ArtifactFilter(flow_run_id=run_filter))
    return {artifact.key: str(artifact.data) for artifact in found}


def _hashes(truth: dict[str, Any]) -> dict[str, str]:
    pages = truth["pages"].items()
    return {path: page["content_hash"] for path, page in pages if page.get("content_hash")}


def test_nightly_flow_archives_the_site_and_records_its_run(
    site: DemoServer, db_url: str, tmp_path: Path
) -> None:
    state = nightly_crawl(return_state=True)
    assert state.is_completed(), state.message
    flow_run_id = str(state.state_details.flow_run_id)
    [summary] = state.result()
    [run] = crawl_runs(db_url, flow_run_id)
    assert (run.kind, run.status, run.id) == ("nightly", "finished", summary["run_id"])
    assert summary["fetched"] >= PAGES and captures_of(db_url, [run.id]) == summary["fetched"]
    with session_factory(db_url)() as session:
        assert session.scalar(select(func.count()).select_from(Page).where(Page.site == "demo"))
    markdown = artifacts(state)["nightly-crawl"]
    assert "| demo | finished |" in markdown and f"{summary['fetched']} pages fetched" in markdown
    assert not (tmp_path / "state" / "jobs" / "demo" / flow_run_id).exists()


def test_recrawl_flow_updates_one_page_and_reprocess_recleans_it(
    site: DemoServer, db_url: str
) -> None:
    url = site.url + changed_document_after_first_fetch(site)
    state = recrawl_url(url, return_state=True)
    assert state.is_completed(), state.message
    result = state.result()
    assert (result["url"], result["outcome"], result["http_status"]) == (url, "changed", 200)
    [run] = crawl_runs(db_url, str(state.state_details.flow_run_id))
    assert (run.kind, run.status, run.id) == ("recrawl", "finished", result["run_id"])
    assert captures_of(db_url, [run.id]) == 1
    assert "| changed | 200 |" in artifacts(state)["recrawl"]
    assert_reprocess_flow_recleans(db_url, captures=2)


def assert_reprocess_flow_recleans(db_url: str, captures: int) -> None:
    state = reprocess(return_state=True)
    assert state.is_completed(), state.message
    summary = state.result()
    assert (summary["captures"], summary["unreadable"]) == (captures, 0)
    [run] = crawl_runs(db_url, str(state.state_details.flow_run_id))
    assert (run.kind, run.status, run.id) == ("reprocess", "finished", summary["run_id"])
    assert f"| captures | {captures} |" in artifacts(state)["reprocess"]


def changed_document_after_first_fetch(server: DemoServer) -> str:
    """Archive night 1 of a page that night 2 changes, then switch the site to night 2."""
    before = _hashes(server.site.truth(bodies=False))
    after = _hashes(DemoSite.build(PAGES, 7, night=2).truth(bodies=False))
    path = sorted(p for p in before.keys() & after.keys() if before[p] != after[p])[0]
    first = recrawl_url(server.url + path, return_state=True)
    assert first.is_completed() and first.result()["outcome"] == "new", first.message
    server.set_night(2)
    return path


def test_a_failing_crawl_is_retried_then_recorded_keeping_what_it_archived(
    big_site: DemoServer, sqlite_url: str, tmp_path: Path
) -> None:
    minutes = CRAWL_TIMEOUT / 60
    state = nightly_crawl(
        ["big"], timeout_minutes=minutes, retries=1, retry_delay_seconds=0, return_state=True
    )
    timed_out = f"timed out after {CRAWL_TIMEOUT:g} s"
    assert state.is_failed() and f"crawl of big failed: {timed_out}" in str(state.message)
    runs = crawl_runs(sqlite_url, str(state.state_details.flow_run_id))
    assert [(run.kind, run.status) for run in runs] == [("nightly", "failed")] * 2  # one retry
    for run in runs:
        assert run.stats and run.finished_at
        assert run.stats["error"].startswith(timed_out)
        assert run.stats["finish_reason"] == "shutdown"  # SIGTERM: Scrapy closed gracefully
    assert captures_of(sqlite_url, [run.id for run in runs]) > 0  # committed before it stopped
    markdown = artifacts(state)["nightly-crawl"]
    assert "## Failures" in markdown and "timed out after" in markdown
    jobdir = tmp_path / "state" / "jobs" / "big" / str(state.state_details.flow_run_id)
    assert (jobdir / "requests.seen").exists()  # kept: a retry resumes from it


def test_an_unknown_site_fails_the_flow_without_crawling(site: DemoServer) -> None:
    state = nightly_crawl(["nosuchsite"], return_state=True)
    assert state.is_failed() and "nosuchsite" in str(state.result(raise_on_failure=False))
    assert site.request_log == []


def test_a_run_left_running_is_marked_failed(db_url: str) -> None:
    upgrade(db_url)
    with session_factory(db_url).begin() as session:
        earlier = start_run(session, "nightly", "flow-1").id
        since = utcnow()
        other = start_run(session, "nightly", "flow-2").id
        left = start_run(session, "nightly", "flow-1").id
    assert record_failure(db_url, "flow-1", since, "killed") == [left]
    with session_factory(db_url)() as session:
        rows = {run.id: run for run in session.scalars(select(CrawlRun))}
    stats = rows[left].stats or {}  # also the host and pid of the process that started it
    assert (rows[left].status, stats.get("error"), bool(rows[left].finished_at)) == (
        "failed",
        "killed",
        True,
    )
    assert rows[earlier].status == rows[other].status == "running"


def test_a_child_that_ignores_sigterm_is_killed_after_the_grace_period() -> None:
    code = (
        "import signal, time\n"
        "signal.signal(signal.SIGTERM, signal.SIG_IGN)\n"
        "print('ready', flush=True)\n"
        "time.sleep(60)\n"
    )
    command = [sys.executable, "-c", code]
    child = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert child.stdout and child.stdout.readline() == "ready\n"
        stop(child, grace=0.5)
        assert child.returncode == -signal.SIGKILL
    finally:
        if child.poll() is None:
            child.kill()
            child.communicate()


def test_nightly_markdown_lists_each_site_and_each_failure() -> None:
    ok = SiteResult("a", {"fetched": 3, "outcomes": {"new": 2, "failed": 1}, "seconds": 1.5})
    bad = SiteResult("b|c", {}, "crawl of b|c failed: exit 1: boom")
    markdown = nightly_markdown([ok, bad], 2.0)
    assert "| a | finished | 3 | failed 1, new 2 | 1 | 1.5 | - |" in markdown
    assert "| b\\|c | failed | 0 | - | 0 | - | - |" in markdown
    assert "- **b|c**: crawl of b|c failed: exit 1: boom" in markdown

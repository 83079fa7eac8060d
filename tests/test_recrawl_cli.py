"""`wenku recrawl URL` as an operator runs it: answered in its own process, with or without
a Prefect API (none configured, configured but down, a real one that records it).
"""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from uuid import UUID

import pytest
from prefect.client.orchestration import get_client
from prefect.client.schemas.filters import ArtifactFilter, ArtifactFilterFlowRunId
from prefect.client.schemas.objects import FlowRun
from prefect.settings import PREFECT_API_URL, temporary_settings
from sqlalchemy import select

from demosite import DemoServer
from storage.engine import session_factory
from storage.models import CrawlRun
from tests.conftest import CliResult, run_wenku
from wenku.schedule import free_port

CONTRACT = {"url", "outcome", "content_hash", "fetched_at", "http_status"}


@pytest.fixture(scope="module")
def demo() -> Iterator[DemoServer]:
    with DemoServer(pages=20, seed=7) as server:
        yield server


def document_url(server: DemoServer, index: int = 0) -> str:
    truth = server.site.truth(bodies=False)["pages"]
    paths = sorted(path for path, page in truth.items() if page.get("content_hash"))
    return server.url + paths[index]


def recrawl(url: str, db_url: str, tmp_path: Path, **env: str) -> CliResult:
    env = {"WENKU_WARC_DIR": str(tmp_path / "warc"), **env}
    return run_wenku("recrawl", url, "--db", db_url, "--json", cwd=tmp_path, **env)


def the_run(db_url: str) -> CrawlRun:
    with session_factory(db_url)() as session:
        [run] = session.scalars(select(CrawlRun))
    return run


def test_without_prefect_it_answers_and_never_loads_prefect(
    demo: DemoServer, sqlite_url: str, tmp_path: Path
) -> None:
    home = tmp_path / "prefect-home"  # Prefect creates its home when it is imported
    result = recrawl(document_url(demo), sqlite_url, tmp_path, PREFECT_HOME=str(home))
    assert (result.code, result.stderr) == (0, "")
    assert set(result.json()) >= CONTRACT and result.json()["outcome"] == "new"
    run = the_run(sqlite_url)
    assert (run.kind, run.status, run.flow_run_id) == ("recrawl", "finished", None)
    assert not home.exists()


def test_with_prefect_configured_but_down_it_succeeds_and_warns_once(
    demo: DemoServer, sqlite_url: str, tmp_path: Path
) -> None:
    api_url = f"http://127.0.0.1:{free_port()}/api"  # nothing listens there
    result = recrawl(document_url(demo), sqlite_url, tmp_path, PREFECT_API_URL=api_url)
    assert result.code == 0, result.stderr
    [line] = result.stderr.splitlines()
    assert line.startswith(f"wenku: warning: Prefect API {api_url} does not answer")
    assert result.json()["outcome"] == "new"
    assert the_run(sqlite_url).flow_run_id is None


def test_with_prefect_up_it_is_a_recrawl_url_flow_run_with_its_artifact(
    demo: DemoServer, prefect_api: str, sqlite_url: str, tmp_path: Path
) -> None:
    url = document_url(demo, 1)
    result = recrawl(url, sqlite_url, tmp_path, PREFECT_API_URL=prefect_api)
    assert (result.code, result.stderr) == (0, "")
    crawl_run = the_run(sqlite_url)
    assert crawl_run.flow_run_id is not None
    flow_run, flow_name, artifacts = read_flow_run(prefect_api, crawl_run.flow_run_id)
    assert flow_name == "recrawl-url" and flow_run.parameters == {"url": url}
    assert flow_run.state is not None and flow_run.state.is_completed()
    assert f"| new | 200 | {result.json()['content_hash']} |" in artifacts["recrawl"]


def test_a_failed_recrawl_is_a_failed_flow_run(
    prefect_api: str, sqlite_url: str, tmp_path: Path
) -> None:
    url = f"http://127.0.0.1:{free_port()}/1.html"
    result = recrawl(url, sqlite_url, tmp_path, PREFECT_API_URL=prefect_api)
    assert result.code == 1 and result.json()["outcome"] == "failed"
    flow_run, _, artifacts = read_flow_run(prefect_api, the_run(sqlite_url).flow_run_id)
    assert flow_run.state is not None and flow_run.state.is_failed()
    assert "## Failures" in artifacts["recrawl"] and "ConnectionRefused" in artifacts["recrawl"]


def read_flow_run(api_url: str, run_id: Any) -> tuple[FlowRun, str, dict[str | None, str]]:
    """The flow run, its flow's name and its artifacts by key, as the Prefect UI shows them."""
    only_this = ArtifactFilter(flow_run_id=ArtifactFilterFlowRunId(any_=[UUID(run_id)]))
    with (
        temporary_settings(updates={PREFECT_API_URL: api_url}),
        get_client(sync_client=True) as client,
    ):
        flow_run = client.read_flow_run(UUID(run_id))
        flow = client.read_flow(flow_run.flow_id)
        found = client.read_artifacts(artifact_filter=only_this)
    return flow_run, flow.name, {artifact.key: str(artifact.data) for artifact in found}


@pytest.mark.parametrize(
    "url,error",
    [
        (f"http://127.0.0.1:{free_port()}/1.html", "DownloadConnectionRefusedError: "),
        ("http://no-such-host.invalid/1.html", "DNS lookup failed"),
    ],
    ids=["refused", "dns"],
)
def test_a_refused_connection_or_unknown_host_is_one_line_and_exit_1_at_once(
    url: str, error: str, sqlite_url: str, tmp_path: Path
) -> None:
    result = recrawl(url, sqlite_url, tmp_path)
    assert result.code == 1
    [line] = result.stderr.splitlines()  # no traceback, no crawler log
    assert line.startswith(f"wenku: recrawl of {url} failed: ") and error in line
    assert set(result.json()) >= CONTRACT and result.json()["outcome"] == "failed"
    stats = the_run(sqlite_url).stats or {}
    # robots.txt once, the page once: the host that refused will refuse a retry too
    assert stats["downloader/exception_count"] == 2, stats
    assert "retry/count" not in stats


def test_a_dropped_connection_is_retried_once(sqlite_url: str, tmp_path: Path) -> None:
    with DroppingServer() as server:
        result = recrawl(f"{server.url}/1.html", sqlite_url, tmp_path)
    assert result.code == 1 and result.json()["outcome"] == "failed"
    assert server.connections == 3  # robots.txt once, the page twice


class DroppingServer:
    """Accepts connections on loopback and closes each at once, counting them."""

    def __init__(self) -> None:
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.listener.settimeout(0.1)  # looks at `done` between accepts
        self.url = f"http://127.0.0.1:{self.listener.getsockname()[1]}"
        self.connections = 0
        self.done = threading.Event()
        self.thread = threading.Thread(target=self._serve, daemon=True)

    def __enter__(self) -> DroppingServer:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.done.set()
        self.thread.join()
        self.listener.close()

    def _serve(self) -> None:
        while not self.done.is_set():
            try:
                connection, _ = self.listener.accept()
            except TimeoutError:
                continue
            self.connections += 1
            connection.close()

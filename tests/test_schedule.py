"""`wenku schedule`, run as the real command: deployments read back through Prefect's API.

One test serves against a Prefect server started here (as an operator's would be); another
lets `wenku schedule` start and stop its own. Every server gets its own PREFECT_HOME.
"""

from __future__ import annotations

import atexit
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

# Prefect creates its home when imported: keep it away from ~/.prefect.
os.environ["PREFECT_HOME"] = _PREFECT_HOME = tempfile.mkdtemp(prefix="wenku-test-prefect-")
atexit.register(shutil.rmtree, _PREFECT_HOME, True)

import pytest  # noqa: E402
from prefect.client.orchestration import SyncPrefectClient, get_client  # noqa: E402
from prefect.client.schemas.objects import FlowRun  # noqa: E402
from prefect.client.schemas.responses import DeploymentResponse  # noqa: E402
from prefect.exceptions import ObjectNotFound  # noqa: E402
from prefect.settings import PREFECT_API_URL, temporary_settings  # noqa: E402
from sqlalchemy import select  # noqa: E402

from demosite import DemoServer  # noqa: E402
from storage.engine import session_factory  # noqa: E402
from storage.models import CrawlRun  # noqa: E402
from tests.conftest import ROOT, run_wenku  # noqa: E402
from wenku.schedule import free_port, healthy, stop_server  # noqa: E402

WAIT_SECONDS = 120.0


@pytest.fixture(scope="module")
def prefect_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A Prefect server on a free loopback port with its own home; yields its API URL."""
    home = tmp_path_factory.mktemp("prefect-server")
    port = free_port()
    env = {**os.environ, "PREFECT_HOME": str(home), "PREFECT_UI_ENABLED": "false"}
    env.pop("PREFECT_API_URL", None)
    command = [sys.executable, "-m", "prefect", "server", "start", "--port", str(port)]
    server = subprocess.Popen(
        [*command, "--host", "127.0.0.1"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    api_url = f"http://127.0.0.1:{port}/api"
    try:
        wait_for(lambda: healthy(api_url) or None, "the Prefect server")
        yield api_url
    finally:
        stop_server(server)


def wait_for(probe: Any, what: str) -> Any:
    deadline = time.monotonic() + WAIT_SECONDS
    while time.monotonic() < deadline:
        found = probe()
        if found is not None:
            return found
        time.sleep(0.3)
    raise AssertionError(f"gave up waiting for {what}")


def start_schedule(cwd: Path, *args: str, **env: str) -> subprocess.Popen[str]:
    environment = {**os.environ, "WENKU_DB_URL": "", **env}
    command = [sys.executable, "-m", "wenku", "schedule", "--json", *args]
    return subprocess.Popen(
        command, cwd=cwd, env=environment, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )


def serving_report(schedule: subprocess.Popen[str]) -> dict[str, Any]:
    """The JSON `wenku schedule --json` prints once it serves."""
    assert schedule.stdout is not None
    lines: list[str] = []
    while not lines or lines[-1] != "}\n":
        line = schedule.stdout.readline()
        assert line, f"wenku schedule exited: {schedule.wait()} {schedule.stderr.read()}"  # type: ignore[union-attr]
        lines.append(line)
    return dict(json.loads("".join(lines)))


def interrupt(schedule: subprocess.Popen[str]) -> str:
    """Ctrl-C, as the operator would; returns what it said on stderr."""
    schedule.send_signal(signal.SIGINT)
    _, stderr = schedule.communicate(timeout=60)
    return stderr


def deployment(client: SyncPrefectClient, name: str) -> DeploymentResponse:
    def probe() -> DeploymentResponse | None:
        try:
            return client.read_deployment_by_name(name)
        except ObjectNotFound:
            return None

    return wait_for(probe, f"deployment {name}")  # type: ignore[no-any-return]


def finished_run(client: SyncPrefectClient, run_id: Any) -> FlowRun:
    def probe() -> FlowRun | None:
        run = client.read_flow_run(run_id)
        return run if run.state and run.state.is_final() else None

    return wait_for(probe, f"flow run {run_id}")  # type: ignore[no-any-return]


def read_deployments(api_url: str, *names: str) -> list[DeploymentResponse]:
    with (
        temporary_settings(updates={PREFECT_API_URL: api_url}),
        get_client(sync_client=True) as client,
    ):
        return [deployment(client, name) for name in names]


def schedule_of(found: DeploymentResponse) -> tuple[str, str]:
    [item] = found.schedules
    return item.schedule.cron, item.schedule.timezone  # type: ignore[union-attr]


def test_schedule_serves_the_configured_cron_and_runs_a_triggered_recrawl(
    prefect_server: str, tmp_path: Path, sqlite_url: str
) -> None:
    with DemoServer(pages=60, seed=7) as site:
        config = tmp_path / "wenku.toml"
        config.write_text(
            '[schedule]\ncron = "15 4 * * *"\ntimezone = "Europe/Berlin"\n\n'
            f'[sites.demo]\nstart_urls = ["{site.url}/"]\n',
            encoding="utf-8",
        )
        schedule = start_schedule(
            tmp_path,
            *("--config", str(config), "--db", sqlite_url),
            PREFECT_API_URL=prefect_server,
            WENKU_STATE_DIR=str(tmp_path / "state"),
            WENKU_WARC_DIR=str(tmp_path / "warc"),
        )
        try:
            report = serving_report(schedule)
            assert (report["api_url"], report["local_server"]) == (prefect_server, False)
            run = trigger_recrawl(prefect_server, site.url + "/")
        finally:
            stderr = interrupt(schedule)
    assert run.state and run.state.is_completed(), run.state
    with session_factory(sqlite_url)() as session:
        [row] = session.scalars(select(CrawlRun))
    assert (row.kind, row.status, row.flow_run_id) == ("recrawl", "finished", str(run.id))
    assert schedule.returncode == 0 and "wenku schedule: stopped" in stderr


def trigger_recrawl(api_url: str, url: str) -> FlowRun:
    with (
        temporary_settings(updates={PREFECT_API_URL: api_url}),
        get_client(sync_client=True) as client,
    ):
        nightly = deployment(client, "nightly-crawl/nightly")
        assert schedule_of(nightly) == ("15 4 * * *", "Europe/Berlin")
        assert nightly.parameters == {"sites": ["demo"]}
        recrawl = deployment(client, "recrawl-url/on-demand")
        run = client.create_flow_run_from_deployment(recrawl.id, parameters={"url": url})
        return finished_run(client, run.id)


def test_schedule_starts_its_own_prefect_server_and_stops_it_on_ctrl_c(
    tmp_path: Path, sqlite_url: str
) -> None:
    config = tmp_path / "wenku.toml"
    config.write_text(
        '[sites.demo]\nstart_urls = ["http://127.0.0.1:9/"]\n\n'
        '[sites.weekly]\nstart_urls = ["http://127.0.0.1:10/"]\nschedule = "0 5 * * 1"\n',
        encoding="utf-8",
    )
    port = free_port()
    env = {"PREFECT_HOME": str(tmp_path / "prefect"), "PREFECT_API_URL": ""}
    args = ("--config", str(config), "--db", sqlite_url, "--port", str(port))
    schedule = start_schedule(tmp_path, *args, **env)
    try:
        report = serving_report(schedule)
        assert report["local_server"] and report["ui_url"] == f"http://127.0.0.1:{port}"
        names = ("nightly-crawl/nightly", "nightly-crawl/nightly-weekly", "reprocess/on-demand")
        nightly, weekly, _ = read_deployments(report["api_url"], *names)
    finally:
        stderr = interrupt(schedule)
    assert schedule_of(nightly) == ("0 2 * * *", "Asia/Shanghai")  # the defaults
    assert (schedule_of(weekly), weekly.parameters) == (
        ("0 5 * * 1", "Asia/Shanghai"),
        {"sites": ["weekly"]},
    )
    assert nightly.parameters == {"sites": ["demo"]}
    assert schedule.returncode == 0, stderr
    assert not healthy(report["api_url"])  # the server went with it
    assert (tmp_path / "prefect" / "prefect.db").exists()


@pytest.mark.parametrize(
    "schedule,message",
    [
        ('cron = "61 * * * *"', "'61 * * * *' is not a valid cron expression"),
        ('timezone = "Mars/Olympus"', "'Mars/Olympus' is not an IANA time zone"),
    ],
)
def test_a_bad_schedule_in_the_config_is_one_line_and_exit_2(
    schedule: str, message: str, tmp_path: Path
) -> None:
    config = tmp_path / "wenku.toml"
    config.write_text(f"[schedule]\n{schedule}\n", encoding="utf-8")
    result = run_wenku("schedule", "--config", str(config), cwd=ROOT)
    lines = result.stderr.strip().splitlines()
    assert result.code == 2 and len(lines) == 1, result.stderr
    assert lines[0].startswith("wenku: error: ") and message in lines[0]

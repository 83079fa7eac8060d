"""`wenku schedule`, run as the real command: deployments read back through Prefect's API.

One test serves against the session's Prefect server (as an operator's would be) and stops
with Ctrl-C (SIGINT); the others let `wenku schedule` start its own and stop it with SIGTERM
while serving, or with either signal while it loads and while its server starts. Every
server has its own PREFECT_HOME; each `wenku schedule` runs in a session of its own, killed
whole when the test ends.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from prefect.client.orchestration import SyncPrefectClient, get_client
from prefect.client.schemas.objects import FlowRun
from prefect.client.schemas.responses import DeploymentResponse
from prefect.exceptions import ObjectNotFound
from prefect.settings import PREFECT_API_URL, temporary_settings
from sqlalchemy import select

from demosite import DemoServer
from storage.engine import session_factory
from storage.models import CrawlRun
from tests.conftest import ROOT, WAIT_SECONDS, kill_session, run_wenku, wait_for
from wenku.schedule import free_port, healthy


@contextmanager
def schedule_process(cwd: Path, *args: str, **env: str) -> Iterator[subprocess.Popen[str]]:
    """`wenku schedule --json` in a session of its own; nothing of it outlives the test."""
    environment = {**os.environ, "WENKU_DB_URL": "", **env}
    command = [sys.executable, "-m", "wenku", "schedule", "--json", *args]
    process = subprocess.Popen(
        command,
        cwd=cwd,
        env=environment,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    try:
        yield process
    finally:
        if process.poll() is None:
            process.kill()
        process.communicate()
        kill_session(process)  # its Prefect server, if it left one


def serving_report(schedule: subprocess.Popen[str]) -> dict[str, Any]:
    """The JSON `wenku schedule --json` prints once it serves."""
    assert schedule.stdout is not None
    lines: list[str] = []
    while not lines or lines[-1] != "}\n":
        line = schedule.stdout.readline()
        assert line, f"wenku schedule exited: {schedule.wait()} {schedule.stderr.read()}"  # type: ignore[union-attr]
        lines.append(line)
    return dict(json.loads("".join(lines)))


def stop(schedule: subprocess.Popen[str], number: int = signal.SIGINT) -> str:
    """Ctrl-C (or a service manager's SIGTERM); returns what it said on stderr."""
    schedule.send_signal(number)
    _, stderr = schedule.communicate(timeout=WAIT_SECONDS)
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
    prefect_api: str, tmp_path: Path, sqlite_url: str
) -> None:
    with DemoServer(pages=60, seed=7) as site:
        config = tmp_path / "wenku.toml"
        config.write_text(
            '[schedule]\ncron = "15 4 * * *"\ntimezone = "Europe/Berlin"\n\n'
            f'[sites.demo]\nstart_urls = ["{site.url}/"]\n',
            encoding="utf-8",
        )
        with schedule_process(
            tmp_path,
            *("--config", str(config), "--db", sqlite_url),
            PREFECT_API_URL=prefect_api,
            WENKU_STATE_DIR=str(tmp_path / "state"),
            WENKU_WARC_DIR=str(tmp_path / "warc"),
        ) as schedule:
            report = serving_report(schedule)
            assert (report["api_url"], report["local_server"]) == (prefect_api, False)
            run = trigger_recrawl(prefect_api, site.url + "/")
            stderr = stop(schedule)
            assert not kill_session(schedule)  # its runner and flow-run processes are gone
    assert run.state and run.state.is_completed(), run.state
    with session_factory(sqlite_url)() as session:
        [row] = session.scalars(select(CrawlRun))
    assert (row.kind, row.status, row.flow_run_id) == ("recrawl", "finished", str(run.id))
    assert schedule.returncode == 0 and "wenku schedule: stopped" in stderr


def trigger_recrawl(api_url: str, url: str) -> FlowRun:
    """What `prefect deployment run recrawl-url/on-demand --param url=URL` does."""
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


def own_server_config(tmp_path: Path) -> tuple[str, ...]:
    """Arguments for `wenku schedule` with two sites, one on a cron of its own."""
    config = tmp_path / "wenku.toml"
    config.write_text(
        '[sites.demo]\nstart_urls = ["http://127.0.0.1:9/"]\n\n'
        '[sites.weekly]\nstart_urls = ["http://127.0.0.1:10/"]\nschedule = "0 5 * * 1"\n',
        encoding="utf-8",
    )
    return ("--config", str(config), "--db", f"sqlite:///{tmp_path / 'archive.db'}")


OWN_SERVER_ENV = {"PREFECT_API_URL": ""}


def test_schedule_starts_its_own_prefect_server_and_stops_it_on_sigterm(tmp_path: Path) -> None:
    port = free_port()
    env = {**OWN_SERVER_ENV, "PREFECT_HOME": str(tmp_path / "prefect")}
    args = (*own_server_config(tmp_path), "--port", str(port))
    with schedule_process(tmp_path, *args, **env) as schedule:
        report = serving_report(schedule)
        assert report["local_server"] and report["ui_url"] == f"http://127.0.0.1:{port}"
        names = ("nightly-crawl/nightly", "nightly-crawl/nightly-weekly", "reprocess/on-demand")
        nightly, weekly, _ = read_deployments(report["api_url"], *names)
        stderr = stop(schedule, signal.SIGTERM)  # a service manager's stop; Ctrl-C: above
        assert schedule.returncode == 0, stderr
        assert not kill_session(schedule)  # its server went with it
    assert schedule_of(nightly) == ("0 2 * * *", "Asia/Shanghai")  # the defaults
    assert (schedule_of(weekly), weekly.parameters) == (
        ("0 5 * * 1", "Asia/Shanghai"),
        {"sites": ["weekly"]},
    )
    assert nightly.parameters == {"sites": ["demo"]}
    assert not healthy(report["api_url"])
    assert (tmp_path / "prefect" / "prefect.db").exists()


def _loading(home: Path, schedule: subprocess.Popen[str]) -> None:
    """Its signal handlers are in place and it goes on to load Prefect: nothing started yet.

    (Before that, in the interpreter's first tenth of a second, the default handlers act.)
    """
    wait_for(lambda: catches(schedule.pid, signal.SIGTERM), "wenku schedule to start")


def catches(pid: int, number: int) -> bool:
    """Whether process `pid` has a handler for signal `number` (Linux: /proc/PID/status)."""
    status = Path(f"/proc/{pid}/status").read_text()
    mask = next(line.split()[1] for line in status.splitlines() if line.startswith("SigCgt:"))
    return bool(int(mask, 16) >> (number - 1) & 1)


def _starting_server(home: Path, schedule: subprocess.Popen[str]) -> None:
    """The local server process exists (its log is open) but may not answer yet."""
    wait_for(lambda: (home / "wenku-server.log").exists(), "the server to be started")


@pytest.mark.parametrize(
    "moment,number",
    [
        pytest.param(_loading, signal.SIGINT, id="loading-SIGINT"),
        pytest.param(_loading, signal.SIGTERM, id="loading-SIGTERM"),
        pytest.param(_starting_server, signal.SIGINT, id="server-starting-SIGINT"),
        pytest.param(_starting_server, signal.SIGTERM, id="server-starting-SIGTERM"),
        # while serving: SIGINT in the first test, SIGTERM in the second
    ],
)
def test_schedule_stops_cleanly_on_a_signal_at_any_moment(
    moment: Any, number: int, tmp_path: Path
) -> None:
    home = tmp_path / "prefect"
    env = {**OWN_SERVER_ENV, "PREFECT_HOME": str(home)}
    with schedule_process(tmp_path, *own_server_config(tmp_path), **env) as schedule:
        moment(home, schedule)
        stderr = stop(schedule, number)
        assert schedule.returncode == 0, stderr
        assert "Traceback" not in stderr and "wenku schedule: stopped" in stderr
        assert not kill_session(schedule)  # nothing left behind: no server, no runner


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

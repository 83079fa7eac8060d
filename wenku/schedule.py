"""`wenku schedule`: serve the Prefect deployments (nightly crawl on its cron, recrawl on demand).

Prefect's temporary in-process server does not run the scheduler, so when no Prefect API is
configured (env PREFECT_API_URL or the active Prefect profile) this starts a local Prefect
server (SQLite, under PREFECT_HOME) in a child process, waits until it answers, serves, and
stops it on SIGINT (Ctrl-C) or SIGTERM, whenever either comes: while Prefect loads, while
the server starts, or while serving (wenku.stopping). Its log goes to
PREFECT_HOME/wenku-server.log.
"""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.error import URLError
from urllib.request import urlopen

from wenku.config import Settings
from wenku.stopping import Stopped, StopSignals

DEFAULT_PORT = 4200
# A first start migrates a new database: seconds on an idle machine, minutes on a busy one.
STARTUP_SECONDS = 300.0
STOP_SECONDS = 15.0


class ServerError(RuntimeError):
    """The local Prefect server did not start."""


@dataclass(frozen=True, slots=True)
class PrefectApi:
    api_url: str
    ui_url: str
    started_here: bool


def run_schedule(settings: Settings, port: int, report: Callable[[dict[str, Any]], None]) -> None:
    """Serve every deployment until SIGINT or SIGTERM; `report` hears where and what is served.

    Returns normally when stopped by either signal, whatever it had got to.
    """
    with StopSignals() as signals:
        try:
            _serve(settings, port, report, signals)
        except Stopped:
            return  # what was started has been stopped on the way out


def _serve(
    settings: Settings, port: int, report: Callable[[dict[str, Any]], None], signals: StopSignals
) -> None:
    from flows.deployments import build_deployments

    deployments = build_deployments(settings)  # configuration mistakes stop us here
    signals.check()
    with prefect_api(port, signals) as api:
        signals.check()
        report(serving_report(api, deployments))
        serve_until_stopped(deployments, signals)


def serve_until_stopped(deployments: list[Any], signals: StopSignals) -> None:
    """What `prefect.serve` does, stopped by our signals: the runner stops gracefully."""
    from prefect.runner import Runner

    runner = Runner(pause_on_shutdown=True)
    for deployment in deployments:
        runner.add_deployment(deployment)
    asyncio.run(_run_until_stopped(runner, signals))


async def _run_until_stopped(runner: Any, signals: StopSignals) -> None:
    running = asyncio.ensure_future(runner.start())
    await asyncio.sleep(0)  # its first step puts its own SIGTERM handler in place: ours again
    signals.install()
    while not running.done():
        if signals.requested is not None and runner.started:
            await runner.astop()  # cancels its flow runs; start() then returns
        await asyncio.wait({running}, timeout=0.2)
    running.result()


def serving_report(api: PrefectApi, deployments: list[Any]) -> dict[str, Any]:
    return {
        "api_url": api.api_url,
        "ui_url": api.ui_url,
        "local_server": api.started_here,
        "deployments": [_describe(deployment) for deployment in deployments],
    }


def print_serving(report: dict[str, Any]) -> None:
    """Where the UI is and what is served, for the operator's terminal."""
    from rich.console import Console

    console = Console()
    where = "a local Prefect server" if report["local_server"] else "the configured Prefect API"
    console.print(f"serving on {where}: UI at {report['ui_url']}  (API {report['api_url']})")
    for deployment in report["deployments"]:
        crons = ", ".join(f"{s['cron']} ({s['timezone']})" for s in deployment["schedules"])
        console.print(f"  {deployment['name']}: {crons or 'on demand'}", highlight=False)
    console.print("Ctrl-C stops serving" + (" and the server" if report["local_server"] else ""))


def _describe(deployment: Any) -> dict[str, Any]:
    crons = [
        {"cron": item.schedule.cron, "timezone": item.schedule.timezone}
        for item in deployment.schedules or []
    ]
    return {
        "name": f"{deployment.flow_name}/{deployment.name}",
        "schedules": crons,
        "parameters": deployment.parameters,
    }


@contextmanager
def prefect_api(port: int, signals: StopSignals) -> Iterator[PrefectApi]:
    """The configured Prefect API, or a local server started (and stopped) here."""
    from prefect.settings import get_current_settings

    settings = get_current_settings()
    if settings.api.url:
        yield PrefectApi(settings.api.url, settings.ui_url or settings.api.url, False)
        return
    with local_server(port, Path(settings.home), signals) as api:
        yield api


@contextmanager
def local_server(port: int, home: Path, signals: StopSignals) -> Iterator[PrefectApi]:
    """`prefect server start` on 127.0.0.1 (another free port when `port` is taken)."""
    from prefect.settings import PREFECT_API_URL, temporary_settings

    port = port if port_is_free(port) else free_port()
    home.mkdir(parents=True, exist_ok=True)
    log_path = home / "wenku-server.log"
    with open(log_path, "ab") as log:
        server = _start_server(port, log)
        try:
            api_url = f"http://127.0.0.1:{port}/api"
            wait_until_healthy(api_url, server, log_path, signals)
            os.environ["PREFECT_API_URL"] = api_url  # flow runs are child processes
            with temporary_settings(updates={PREFECT_API_URL: api_url}):
                yield PrefectApi(api_url, f"http://127.0.0.1:{port}", True)
        finally:
            stop_server(server)


def _start_server(port: int, log: Any) -> subprocess.Popen[bytes]:
    command = [sys.executable, "-m", "prefect", "server", "start"]
    return subprocess.Popen(
        [*command, "--host", "127.0.0.1", "--port", str(port)],
        stdin=subprocess.DEVNULL,
        stdout=log,
        stderr=subprocess.STDOUT,
        # Its own process group: the terminal's Ctrl-C reaches us alone and we stop it in
        # order. The same session: whoever ends our session ends it too.
        process_group=0,
    )


def wait_until_healthy(
    api_url: str, server: subprocess.Popen[bytes], log_path: Path, signals: StopSignals
) -> None:
    deadline = time.monotonic() + STARTUP_SECONDS
    while time.monotonic() < deadline:
        signals.check()
        if server.poll() is not None:
            raise ServerError(f"Prefect server exited with {server.returncode}; see {log_path}")
        if healthy(api_url):
            return
        time.sleep(0.25)
    raise ServerError(f"Prefect server did not answer in {STARTUP_SECONDS:g} s; see {log_path}")


def healthy(api_url: str) -> bool:
    try:
        with urlopen(f"{api_url}/health", timeout=2) as response:
            return bool(response.status == 200)
    except (URLError, OSError):
        return False


def stop_server(server: subprocess.Popen[bytes]) -> None:
    """SIGTERM to the server's process group, SIGKILL when it outlives STOP_SECONDS."""
    if server.poll() is not None:
        return
    os.killpg(server.pid, signal.SIGTERM)
    try:
        server.wait(timeout=STOP_SECONDS)
    except subprocess.TimeoutExpired:
        os.killpg(server.pid, signal.SIGKILL)
        server.wait()


def port_is_free(port: int) -> bool:
    with socket.socket() as probe:
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])

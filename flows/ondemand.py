"""`wenku recrawl URL`: the recrawl runs here, and a configured Prefect API hears of it.

The fetch and archiving run in this process (`crawler.recrawl`), whatever Prefect does.
With no Prefect API configured, Prefect is not even imported. With one that answers, the
recrawl is a `recrawl-url` flow run there, as a deployment run would be: created Running
before the fetch (its id goes into `crawl_runs.flow_run_id`), then its `recrawl` artifact
and its final state. An API that does not answer, or fails part-way, costs one warning
line; the recrawl goes on. No Prefect server is ever started here.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from typing import Any
from uuid import UUID

from crawler.recrawl import RecrawlResult, recrawl
from crawler.run import CrawlJob
from flows.api import configured_api_url, unreachable
from flows.report import recrawl_markdown

TAGS = ["wenku", "cli"]
# Reporting is a side line of the recrawl: bounded, never an ephemeral server.
_CLIENT_SETTINGS = {
    "PREFECT_SERVER_ALLOW_EPHEMERAL_MODE": "false",
    "PREFECT_CLIENT_MAX_RETRIES": "1",
    "PREFECT_API_REQUEST_TIMEOUT": "10",
}

Warn = Callable[[str], None]


def recrawl_reported(job: CrawlJob, warn: Warn, debug: bool = False) -> RecrawlResult:
    """Run `job` (a recrawl job) here; record it on the configured Prefect API if it answers."""
    _prepare_client(debug)
    api_url = configured_api_url()
    if api_url is None:
        return recrawl(job)
    problem = unreachable(api_url)
    if problem is not None:
        warn(f"Prefect API {api_url} does not answer ({problem}): not recorded there")
        return recrawl(job)
    url = job.profile.start_urls[0]
    run_id = _prefect_step("create its flow run", warn, _start_flow_run, url)
    job.flow_run_id = run_id
    started = time.monotonic()
    result = recrawl(job)
    if run_id is not None:
        seconds = time.monotonic() - started
        _prefect_step("report it", warn, _finish_flow_run, run_id, result, seconds)
    return result


def _prefect_step(what: str, warn: Warn, step: Callable[..., Any], *args: Any) -> Any:
    """Run one exchange with the Prefect API; a failure is a warning, not the recrawl's."""
    try:
        return step(*args)
    except Exception as exc:
        warn(f"Prefect API: could not {what} ({type(exc).__name__}: {exc})")
        return None


def _start_flow_run(url: str) -> str:
    from prefect.client.orchestration import get_client
    from prefect.states import Running

    from flows.recrawl import recrawl_url

    with get_client(sync_client=True) as client:
        run = client.create_flow_run(
            recrawl_url, parameters={"url": url}, tags=TAGS, state=Running()
        )
    return str(run.id)


def _finish_flow_run(run_id: str, result: RecrawlResult, seconds: float) -> None:
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.actions import ArtifactCreate
    from prefect.states import Completed, Failed, State

    error = result.error if result.outcome == "failed" else None
    markdown = recrawl_markdown(result.url, result.to_json(), error, seconds)
    artifact = ArtifactCreate(
        key="recrawl",
        type="markdown",
        data=markdown,
        description=f"wenku recrawl of {result.url}",
        flow_run_id=UUID(run_id),
    )
    message = f"recrawl of {result.url}: {result.outcome}"
    state: State[Any] = (
        Failed(message=f"{message}: {error}") if error else Completed(message=message)
    )
    with get_client(sync_client=True) as client:
        client.create_artifact(artifact)
        client.set_flow_run_state(run_id, state)


def _prepare_client(debug: bool) -> None:
    """Settings for Prefect's client in this process, set before Prefect is imported."""
    for key, value in _CLIENT_SETTINGS.items():
        os.environ.setdefault(key, value)
    if not debug:
        # Prefect's console handler sits on the root logger, where Scrapy's log goes too;
        # what matters reaches the terminal as the outcome, or as our own warning lines.
        os.environ.setdefault("PREFECT_LOGGING_HANDLERS_CONSOLE_LEVEL", "CRITICAL")

"""Prefect tasks: each runs one `wenku` command in a child process and returns its JSON.

A failed child raises `CrawlFailed` (retried by the task's retry policy); a usage mistake
(exit 2: an unknown site, a bad config) raises `CrawlUsageError`, which is not retried.
"""

from __future__ import annotations

import contextvars
import shutil
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from prefect import get_run_logger, task
from prefect.client.schemas.objects import TaskRun
from prefect.runtime import flow_run
from prefect.states import State
from prefect.tasks import Task

from flows.child import USAGE_EXIT, ChildResult, run_wenku
from flows.env import state_dir
from flows.runs import record_failure
from storage.repository import utcnow
from wenku.config import load_settings

GRACE_SECONDS = 30.0
STALE_JOBDIR_SECONDS = 7 * 24 * 3600.0


class CrawlFailed(RuntimeError):
    """A crawl or recrawl subprocess failed; `result` is its JSON output when it printed any."""

    def __init__(self, message: str, result: dict[str, Any] | None = None):
        super().__init__(message)
        self.result = result


class CrawlUsageError(CrawlFailed):
    """The child refused its arguments (exit 2): retrying cannot help."""


def retryable(task: Task[..., Any], task_run: TaskRun, state: State[Any]) -> bool:
    return not isinstance(state.data, CrawlUsageError)


@task(name="crawl-site", retries=2, retry_delay_seconds=60, retry_condition_fn=retryable)
def crawl_site(
    site: str, timeout_seconds: float, grace_seconds: float = GRACE_SECONDS, processes: int = 1
) -> dict[str, Any]:
    """`wenku crawl --site SITE --due-only --kind nightly` with a JOBDIR kept for retries.

    `processes` > 1 fans the site out to that many crawl processes sharing the Redis
    frontier of the configuration (`[frontier] url`), one crawl keyed by this flow run.
    """
    jobdir = site_jobdir(site, flow_run_id())
    args = ["crawl", "--site", site, "--due-only", "--kind", "nightly", "--json"]
    if processes > 1 and not load_settings().frontier_url:
        raise CrawlUsageError(f"crawl of {site} in {processes} processes needs [frontier] url")
    runs = [
        [*args, "--jobdir", str(jobdir / str(n) if processes > 1 else jobdir)]
        for n in range(processes)
    ]

    def crawl(run: list[str]) -> dict[str, Any]:
        return _run(f"crawl of {site}", run, timeout_seconds, grace_seconds)

    with ThreadPoolExecutor(processes) as pool:  # each thread with the task run's context
        futures = [pool.submit(contextvars.copy_context().run, crawl, run) for run in runs]
        summaries = [future.result() for future in futures]
    shutil.rmtree(jobdir, ignore_errors=True)  # finished: the next night starts afresh
    return summaries[0] if processes == 1 else _merged(summaries)


def _merged(summaries: list[dict[str, Any]]) -> dict[str, Any]:
    """One summary for a site crawled by several processes."""
    outcomes: Counter[str] = Counter()
    for summary in summaries:
        outcomes.update(summary.get("outcomes") or {})
    return {
        **summaries[0],
        "run_id": ",".join(str(summary.get("run_id")) for summary in summaries),
        "fetched": sum(int(summary.get("fetched", 0)) for summary in summaries),
        "seconds": max(float(summary.get("seconds", 0)) for summary in summaries),
        "outcomes": dict(outcomes),
        "processes": summaries,
    }


@task(name="recrawl-page", retries=2, retry_delay_seconds=10, retry_condition_fn=retryable)
def recrawl_page(
    url: str, timeout_seconds: float, grace_seconds: float = GRACE_SECONDS
) -> dict[str, Any]:
    """`wenku recrawl URL` (its direct path): one conditional fetch, archived."""
    return _run(
        f"recrawl of {url}", ["recrawl", url, "--direct", "--json"], timeout_seconds, grace_seconds
    )


def _run(what: str, args: list[str], timeout: float, grace: float) -> dict[str, Any]:
    logger = get_run_logger()
    run_id, started = flow_run_id(), utcnow()
    logger.info("running wenku %s", " ".join(args))
    child = run_wenku(args, timeout, grace, {"WENKU_FLOW_RUN_ID": run_id})
    result = child.json()
    if child.ok and result is not None:
        logger.info("%s finished in %.1f s", what, child.seconds)
        return result
    error = child.error()
    closed = record_failure(load_settings().db_url, run_id, started, error)
    logger.error("%s failed: %s (crawl_runs %s marked failed)", what, error, closed or "none")
    _log_tail(child)
    raise _failure(child, f"{what} failed: {error}", result)


def _failure(child: ChildResult, message: str, result: dict[str, Any] | None) -> CrawlFailed:
    usage = child.code == USAGE_EXIT and not child.timed_out
    return (CrawlUsageError if usage else CrawlFailed)(message, result)


def _log_tail(child: ChildResult, lines: int = 20) -> None:
    tail = "\n".join(child.stderr.splitlines()[-lines:])
    if tail:
        get_run_logger().warning("last lines of its stderr:\n%s", tail)


def flow_run_id() -> str:
    return str(flow_run.get_id())


def site_jobdir(site: str, run_id: str) -> Path:
    """state/jobs/SITE/FLOW_RUN_ID: a retry of this flow run resumes it.

    A finished crawl deletes its JOBDIR; those of failed runs go once untouched for a week.
    """
    site_dir = state_dir() / "jobs" / site
    for stale in site_dir.glob("*"):
        if stale.name != run_id and _idle_seconds(stale) > STALE_JOBDIR_SECONDS:
            shutil.rmtree(stale, ignore_errors=True)
    return site_dir / run_id


def _idle_seconds(folder: Path) -> float:
    try:
        times = [path.stat().st_mtime for path in [folder, *folder.rglob("*")]]
    except OSError:  # going away under us
        return 0.0
    return time.time() - max(times)

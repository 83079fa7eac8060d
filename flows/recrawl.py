"""`recrawl_url(url)`: fetch one URL now (conditional GET when known) and archive it.

`wenku recrawl URL` runs this flow too: against the configured Prefect API when there is
one, else in Prefect's ephemeral mode; its child process takes the direct path.
"""

from __future__ import annotations

import time
from datetime import datetime
from typing import Any

from prefect import flow, get_run_logger
from prefect.artifacts import create_markdown_artifact

from crawler.recrawl import RecrawlResult
from flows.report import recrawl_markdown
from flows.tasks import GRACE_SECONDS, CrawlFailed, CrawlUsageError, recrawl_page


@flow(name="recrawl-url")
def recrawl_url(
    url: str,
    timeout_minutes: float = 10.0,
    retries: int = 2,
    retry_delay_seconds: float = 10.0,
    grace_seconds: float = GRACE_SECONDS,
) -> dict[str, Any]:
    """Recrawl `url`; the run fails when the fetch does (outcome `failed`)."""
    started = time.monotonic()
    page = recrawl_page.with_options(retries=retries, retry_delay_seconds=retry_delay_seconds)
    try:
        result = page(url, timeout_minutes * 60, grace_seconds)
    except CrawlFailed as exc:
        _publish(url, exc.result or {}, str(exc), started)
        raise
    _publish(url, result, None, started)
    get_run_logger().info("recrawl of %s: %s", url, result.get("outcome"))
    return dict(result)


def _publish(url: str, result: dict[str, Any], error: str | None, started: float) -> None:
    markdown = recrawl_markdown(url, result, error, time.monotonic() - started)
    create_markdown_artifact(markdown, key="recrawl", description=f"wenku recrawl of {url}")


def run_recrawl(url: str) -> RecrawlResult:
    """What `wenku recrawl URL` does: one run of the flow, without retries.

    A failed fetch comes back with outcome `failed` and its error; a usage mistake the child
    refused (exit 2) is raised as `CrawlUsageError`.
    """
    state = recrawl_url(url, retries=0, return_state=True)
    value = state.result(raise_on_failure=False)
    if isinstance(value, CrawlFailed) and not isinstance(value, CrawlUsageError):
        return _result(url, value.result or {}, str(value))
    if isinstance(value, BaseException):
        raise value
    return _result(url, value, None)


def _result(url: str, data: dict[str, Any], error: str | None) -> RecrawlResult:
    fetched_at = data.get("fetched_at")
    return RecrawlResult(
        url=data.get("url") or url,
        outcome=data.get("outcome") or "failed",
        content_hash=data.get("content_hash"),
        fetched_at=datetime.fromisoformat(fetched_at) if fetched_at else None,
        http_status=data.get("http_status"),
        error=data.get("error") or error,
        run_id=data.get("run_id"),
    )

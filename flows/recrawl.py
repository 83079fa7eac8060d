"""`recrawl_url(url)`: fetch one URL now (conditional GET when known) and archive it.

The deployment `recrawl-url/on-demand` runs this flow: its task runs `wenku recrawl URL
--direct` in a child process. `wenku recrawl URL` itself does not run the flow; it fetches
in its own process and records a run of this flow on a configured Prefect API
(`flows.ondemand`).
"""

from __future__ import annotations

import time
from typing import Any

from prefect import flow, get_run_logger
from prefect.artifacts import create_markdown_artifact

from flows.report import recrawl_markdown
from flows.tasks import GRACE_SECONDS, CrawlFailed, recrawl_page


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

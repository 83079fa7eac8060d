"""`reprocess(since)`: re-run today's cleaning over archived WARC captures, without refetching.

No crawler runs here, so no subprocess: the task calls `wenku.reprocess.reprocess`, exactly
what `wenku reprocess` calls. A retry helps when the archive database was briefly away;
reprocessing is idempotent.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime
from typing import Any

from prefect import flow, get_run_logger, task
from prefect.artifacts import create_markdown_artifact

from flows.report import reprocess_markdown
from flows.runs import record_failure
from flows.tasks import flow_run_id
from storage.repository import utcnow
from wenku.config import load_settings
from wenku.reprocess import reprocess as reprocess_archive


@task(name="reprocess-captures")
def reprocess_captures(since: datetime | None) -> dict[str, Any]:
    db_url, run_id, started = load_settings().db_url, flow_run_id(), utcnow()
    try:
        return reprocess_archive(db_url, since, flow_run_id=run_id).to_json()
    except Exception as exc:
        record_failure(db_url, run_id, started, f"{type(exc).__name__}: {exc}")
        raise


@flow(name="reprocess", retries=1, retry_delay_seconds=60)
def reprocess(since: datetime | None = None) -> dict[str, Any]:
    """Re-clean every archived capture fetched at or after `since` (UTC; default: all)."""
    started = time.monotonic()
    if since is not None and since.tzinfo is None:
        since = since.replace(tzinfo=UTC)
    summary = reprocess_captures(since)
    markdown = reprocess_markdown(summary, time.monotonic() - started)
    create_markdown_artifact(markdown, key="reprocess", description="wenku reprocess")
    get_run_logger().info("reprocessed %s captures", summary.get("captures"))
    return summary

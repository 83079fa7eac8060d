"""What a flow records in `crawl_runs` when a crawl subprocess fails, times out or dies.

A child that was killed leaves its row `running`; one that shut down on SIGTERM closes it
`failed` without saying why. Either way the flow closes it `failed` with the error in
`stats["error"]`. Captures the child archived before it stopped are left untouched.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select

from storage.engine import session_factory
from storage.models import CrawlRun
from storage.repository import utcnow


def record_failure(db_url: str, flow_run_id: str, since: datetime, error: str) -> list[int]:
    """Mark this flow run's crawl_runs rows started at or after `since` failed with `error`."""
    query = select(CrawlRun).where(
        CrawlRun.flow_run_id == flow_run_id,
        CrawlRun.started_at >= since,
        CrawlRun.status.in_(("running", "failed")),
    )
    with session_factory(db_url).begin() as session:
        runs = list(session.scalars(query))
        for run in runs:
            _fail(run, error)
        return [run.id for run in runs]


def _fail(run: CrawlRun, error: str) -> None:
    stats = dict(run.stats or {})
    if not stats.get("error"):
        stats["error"] = error
    run.stats = stats
    run.status = "failed"
    run.finished_at = run.finished_at or utcnow()

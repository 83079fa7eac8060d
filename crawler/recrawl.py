"""Fetch one URL now (conditionally when known), archive it, and say what happened."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from crawler.profiles import SiteProfile, profile_for_urls
from crawler.run import CrawlJob, run_crawl
from storage.engine import session_factory
from storage.repository import run_captures


@dataclass(frozen=True, slots=True)
class RecrawlResult:
    url: str
    outcome: str
    content_hash: str | None
    fetched_at: datetime | None
    http_status: int | None
    error: str | None = None
    run_id: int | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "url": self.url,
            "outcome": self.outcome,
            "content_hash": self.content_hash,
            "fetched_at": self.fetched_at.isoformat() if self.fetched_at else None,
            "http_status": self.http_status,
            "error": self.error,
            "run_id": self.run_id,
        }


def recrawl(job: CrawlJob) -> RecrawlResult:
    """Run `job` (one start URL, no link following) and report its first capture."""
    url = job.profile.start_urls[0]
    summary = run_crawl(job)
    with session_factory(job.db_url)() as session:
        captures = [c for c in run_captures(session, summary.run_id) if c["url"] == url]
    if not captures:
        reason = summary.stats.get("wenku/archiver_error") or "not fetched (robots.txt or offsite)"
        return RecrawlResult(url, "skipped", None, None, None, reason, summary.run_id)
    last = captures[-1]
    return RecrawlResult(
        url,
        last["outcome"],
        last["content_hash"],
        last["fetched_at"],
        last["http_status"],
        last["error"],
        summary.run_id,
    )


def recrawl_job(
    url: str, db_url: str, profile: SiteProfile | None = None, **options: Any
) -> CrawlJob:
    """A CrawlJob that fetches just `url`, under `profile`'s site name when one is given."""
    single = profile_for_urls([url], profile.name if profile else None)
    return CrawlJob(
        single,
        db_url,
        kind="recrawl",
        progress=False,
        follow_links=False,
        only_urls=[url],
        **options,
    )

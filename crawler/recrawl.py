"""Fetch one URL now (conditionally when known), archive it, and say what happened.

A recrawl is answered as fast as the fetch allows: the page is archived in this process
(no archive worker to start), a refused connection or a failed DNS lookup is the answer at
once (no retry: the host that refused will refuse 0.3 s later too, and each failed
connection costs Twisted's HostnameEndpoint 0.3 s), a dropped connection, a timeout or a
5xx is retried once, robots.txt is asked for once, and Scrapy's own log stays quiet (the
failure is the result's `error`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from scrapy import Request
from scrapy.settings import default_settings

from crawler.profiles import SiteProfile, profile_for_urls
from crawler.run import CrawlJob, run_crawl
from crawler.settings import crawl_settings
from storage.engine import session_factory
from storage.repository import run_captures

_NOT_RETRIED = ("CannotResolveHostError", "DownloadConnectionRefusedError")

# What a one-URL crawl changes in the crawl settings (crawler.settings.crawl_settings).
RECRAWL_SETTINGS: dict[str, Any] = {
    "WENKU_ARCHIVE_INLINE": True,  # a second interpreter costs a second; the page, ms
    "RETRY_TIMES": 1,
    "RETRY_EXCEPTIONS": [
        kind
        for kind in default_settings.RETRY_EXCEPTIONS
        if not (isinstance(kind, str) and kind.endswith(_NOT_RETRIED))
    ],
    # Two requests (robots.txt, then the page): no politeness delay between them.
    "AUTOTHROTTLE_ENABLED": False,
    "DOWNLOAD_DELAY": 0,
    "LOG_LEVEL": "CRITICAL",  # the outcome says what failed; --debug shows the log
}
_ROBOTS_ONCE = {"crawler.recrawl.RobotsTxtAskedOnce": 90}  # before robots.txt is asked for


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


class RobotsTxtAskedOnce:
    """A recrawl asks for robots.txt once: when the host does not answer it (a timeout, a
    dropped connection), the page's own fetch, retried once, says what happened."""

    def process_request(self, request: Request, spider: Any = None) -> None:
        if request.meta.get("dont_obey_robotstxt") and request.url.endswith("/robots.txt"):
            request.meta.setdefault("dont_retry", True)


def recrawl_job(
    url: str, db_url: str, profile: SiteProfile | None = None, **options: Any
) -> CrawlJob:
    """A CrawlJob that fetches just `url`, under `profile`'s site name when one is given.

    `settings` in `options` are laid over RECRAWL_SETTINGS.
    """
    single = profile_for_urls([url], profile.name if profile else None)
    settings = {**RECRAWL_SETTINGS, **options.pop("settings", {})}
    middlewares = crawl_settings(single)["DOWNLOADER_MIDDLEWARES"]
    settings["DOWNLOADER_MIDDLEWARES"] = {**middlewares, **_ROBOTS_ONCE}
    return CrawlJob(
        single,
        db_url,
        kind="recrawl",
        progress=False,
        follow_links=False,
        only_urls=[url],
        settings=settings,
        **options,
    )

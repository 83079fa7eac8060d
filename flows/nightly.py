"""`nightly_crawl(sites)`: crawl each configured site's due pages, one crawl process per site.

Sites run one after another (one Scrapy process per machine at a time); a site that still
fails after its retries does not stop the others, but fails the flow run once all have run.
"""

from __future__ import annotations

import time
from typing import Any

from prefect import flow, get_run_logger
from prefect.artifacts import create_markdown_artifact

from flows.report import SiteResult, nightly_markdown
from flows.tasks import CrawlFailed, crawl_site
from wenku.config import ConfigError, load_settings


class NightlyCrawlFailed(RuntimeError):
    """At least one site's crawl failed after its retries."""


@flow(name="nightly-crawl")
def nightly_crawl(
    sites: list[str] | None = None,
    timeout_minutes: float = 240.0,
    retries: int = 2,
    retry_delay_seconds: float = 300.0,
    grace_seconds: float = 30.0,
    processes: int = 1,
) -> list[dict[str, Any]]:
    """Crawl `sites` (default: every site in the configuration) with `--due-only`;
    `processes` > 1 crawls each site with that many processes on the Redis frontier."""
    logger = get_run_logger()
    names = _site_names(sites)
    started = time.monotonic()
    crawl = crawl_site.with_options(retries=retries, retry_delay_seconds=retry_delay_seconds)
    timeout = timeout_minutes * 60
    results = [_crawl_one(crawl, name, timeout, grace_seconds, processes) for name in names]
    markdown = nightly_markdown(results, time.monotonic() - started)
    create_markdown_artifact(markdown, key="nightly-crawl", description="wenku nightly crawl")
    errors = [str(result.error) for result in results if result.error]
    if errors:
        raise NightlyCrawlFailed("; ".join(errors))
    logger.info("nightly crawl of %d sites finished", len(results))
    return [result.summary for result in results]


def _crawl_one(
    crawl: Any, site: str, timeout: float, grace: float, processes: int = 1
) -> SiteResult:
    try:
        return SiteResult(site, crawl(site, timeout, grace, processes))
    except CrawlFailed as exc:
        return SiteResult(site, exc.result or {}, str(exc))


def _site_names(sites: list[str] | None) -> list[str]:
    settings = load_settings()
    names = list(settings.sites) if sites is None else sites
    for name in names:
        settings.site(name)  # an unknown name is a ConfigError, before anything runs
    if not names:
        raise ConfigError("no sites configured: add [sites.NAME] to the config file")
    return names

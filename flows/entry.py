"""What the CLI calls to run a flow: export its flags, quiet Prefect, then import and run.

Prefect reads its settings when it is imported, so nothing here imports it at module level.
Without a configured Prefect API, flows run in Prefect's ephemeral mode (a temporary local
server for the length of the command).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from crawler.profiles import profile_for_urls
from flows.env import export_settings, quiet_prefect
from wenku.config import ConfigError

if TYPE_CHECKING:
    from crawler.recrawl import RecrawlResult


def recrawl_via_flow(
    url: str,
    db_url: str | None = None,
    config_file: str | None = None,
    warc_dir: Path | None = None,
    debug: bool = False,
) -> RecrawlResult:
    """`wenku recrawl URL`: one run of the `recrawl_url` flow, its outcome as a RecrawlResult."""
    profile_for_urls([url])  # a URL that cannot be crawled is a usage mistake: say so first
    export_settings(db_url, config_file, warc_dir)
    if not debug:
        quiet_prefect()
    from flows.recrawl import run_recrawl
    from flows.tasks import CrawlUsageError

    try:
        return run_recrawl(url)
    except CrawlUsageError as exc:
        raise ConfigError(str(exc)) from None

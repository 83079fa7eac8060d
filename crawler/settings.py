"""Scrapy settings for wenku crawls: polite by default, unthrottled on loopback."""

from __future__ import annotations

from typing import Any

from scrapy.settings import default_settings

from crawler.profiles import SiteProfile

USER_AGENT = "wenku/0.1 (document-library archiver)"


def _without(base: dict[str, int], switched_off: str) -> dict[str, int]:
    """Scrapy imports every component it lists to read its priority, even one that is
    switched off; these two cost every crawl process 0.15 s of start-up (the remote-control
    extension imports aiohttp, the cookies middleware tldextract) and are off (below)."""
    return {path: order for path, order in base.items() if not path.endswith(switched_off)}


BASE: dict[str, Any] = {
    "BOT_NAME": "wenku",
    "USER_AGENT": USER_AGENT,
    "ROBOTSTXT_OBEY": True,
    "COOKIES_ENABLED": False,
    "DOWNLOADER_MIDDLEWARES_BASE": _without(
        default_settings.DOWNLOADER_MIDDLEWARES_BASE, ".CookiesMiddleware"
    ),
    "TELNETCONSOLE_ENABLED": False,
    "REMOTE_CONTROL_ENABLED": False,
    "EXTENSIONS_BASE": _without(default_settings.EXTENSIONS_BASE, ".RemoteControl"),
    "LOG_INSTALL_ROOT_HANDLER": True,
    "HTTPERROR_ALLOW_ALL": True,  # every response becomes a capture, errors included
    "REDIRECT_ENABLED": False,  # the spider records each redirect, then follows it
    "METAREFRESH_ENABLED": False,  # and each page with a meta refresh, then follows it
    "RETRY_TIMES": 2,
    "RETRY_HTTP_CODES": [],  # the spider retries 5xx itself, after recording the response
    # …with get_retry_request, whose retry carries the count in meta["retry_times"] on
    # purpose: not a key copied by mistake (Scrapy 2.19's MetaCopyDetectionMiddleware).
    "META_COPY_WARN_SKIP_KEYS": ["retry_times"],
    # Scrapy starts this many tasks for every response's output; our pipeline hands items
    # on at once, and 100 (the default) cost a third of the crawler's CPU on small pages.
    "CONCURRENT_ITEMS": 8,
    # Responses whose items wait for the archive (back-pressure) stay in Scrapy's scraper
    # until the archive takes them; past this many bytes of them Scrapy stops downloading.
    # Scrapy's 5 MB held ~250 pages of the demo site, more than the archive's own queue
    # needs to stay fed, and their asyncio tasks cost the crawler CPU (docs/scaling.md).
    "SCRAPER_SLOT_MAX_ACTIVE_SIZE": 1_000_000,
    # Scrapy reads a callback's source (inspect, ast) to warn about `return value` in a
    # generator; its cache is keyed weakly by the bound method of each request, so it
    # misses whenever that request is gone: ~2 ms a miss, 0.2 ms a page on average here.
    "WARN_ON_GENERATOR_RETURN_VALUE": False,
    "DOWNLOAD_TIMEOUT": 30,
    "DOWNLOAD_MAXSIZE": 32 * 1024 * 1024,
    "LOG_LEVEL": "WARNING",
    "DOWNLOADER_MIDDLEWARES": {
        "scrapy.downloadermiddlewares.robotstxt.RobotsTxtMiddleware": None,
        "crawler.middlewares.RobotsTxtMiddleware": 100,
        "crawler.middlewares.ConditionalGetMiddleware": 560,
        "scrapy.downloadermiddlewares.httpcompression.HttpCompressionMiddleware": None,
        "crawler.middlewares.CompressionMiddleware": 590,  # a gzip bomb is a failed capture
    },
    "ITEM_PIPELINES": {"crawler.pipelines.ArchivePipeline": 300},
    "EXTENSIONS": {"crawler.progress.ProgressExtension": 500},
}

POLITE: dict[str, Any] = {
    "AUTOTHROTTLE_ENABLED": True,
    "AUTOTHROTTLE_START_DELAY": 1.0,
    "AUTOTHROTTLE_TARGET_CONCURRENCY": 1.5,
    "CONCURRENT_REQUESTS_PER_DOMAIN": 2,
    "DOWNLOAD_DELAY": 0.5,
}

LOOPBACK: dict[str, Any] = {
    "AUTOTHROTTLE_ENABLED": False,
    "CONCURRENT_REQUESTS": 16,
    "CONCURRENT_REQUESTS_PER_DOMAIN": 16,
    "DOWNLOAD_DELAY": 0,
}


def crawl_settings(profile: SiteProfile, overrides: dict[str, Any] | None = None) -> dict[str, Any]:
    """Settings for crawling `profile`: loopback hosts run unthrottled, others politely."""
    settings = {**BASE, **(LOOPBACK if profile.on_loopback else POLITE)}
    settings["DEPTH_LIMIT"] = profile.max_depth
    if profile.max_pages:
        settings["CLOSESPIDER_PAGECOUNT"] = profile.max_pages
    settings.update(overrides or {})
    return settings

"""The Scrapy item pipeline: a thin adapter that hands each Fetch to the archive's workers.

An item waits here (asynchronously) while the archive is behind, which is how Scrapy
learns to slow down. When the archive fails, no new request is sent, the responses in
flight land (and are kept in WARC), then the spider closes with the reason
`archive_failed` and the error lands in the stats (`wenku/archiver_error`).
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured
from scrapy.utils.defer import deferred_from_coro, maybe_deferred_to_future
from twisted.internet import task

from crawler.archiver import (
    ARCHIVED,
    Archiver,
    ArchiverFailed,
    ArchiveTarget,
    InlineArchiver,
    default_workers,
)
from pipeline.provenance import Discovered, Fetch

PUMP_SECONDS = 0.05


class ArchivePipeline:
    def __init__(self, crawler: Crawler, target: ArchiveTarget, workers: int, inline: bool = False):
        self.crawler = crawler
        self.archiver: Archiver | InlineArchiver = (
            InlineArchiver(target) if inline else Archiver(target, workers)
        )
        self._pump = task.LoopingCall(self._tick)
        self._stop_by: float | None = None
        self._closing = False

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> ArchivePipeline:
        settings = crawler.settings
        db_url = settings.get("WENKU_DB_URL")
        if not db_url:
            raise NotConfigured("WENKU_DB_URL is not set")
        warc_dir = settings.get("WENKU_WARC_DIR")
        target = ArchiveTarget(
            db_url=db_url,
            crawl_run_id=settings.getint("WENKU_CRAWL_RUN_ID") or None,
            warc_dir=Path(warc_dir) if warc_dir else None,
            warc_max_bytes=settings.getint("WENKU_WARC_MAX_MB", 512) * 2**20,
            min_interval_days=settings.getfloat("WENKU_MIN_REVISIT_DAYS", 1.0),
            max_interval_days=settings.getfloat("WENKU_MAX_REVISIT_DAYS", 30.0),
            retry_seconds=settings.getfloat("WENKU_ARCHIVE_RETRY_SECONDS", 60.0),
        )
        if target.crawl_run_id is None:  # started by `scrapy crawl`, not by wenku's commands
            from storage.engine import upgrade

            upgrade(db_url)
        workers = settings.getint("WENKU_ARCHIVE_WORKERS") or default_workers()
        return cls(crawler, target, workers, settings.getbool("WENKU_ARCHIVE_INLINE"))

    def open_spider(self) -> None:
        self.archiver.start()
        self._pump.start(PUMP_SECONDS, now=False)

    async def process_item(self, item: Any) -> Any:
        """A Fetch, or the links found on a page (a Discovered or a tuple of them)."""
        if not isinstance(item, Fetch | Discovered | tuple):
            return item
        try:
            await maybe_deferred_to_future(self.archiver.hand(item))
        except ArchiverFailed:
            self._stats.inc_value("wenku/unarchived")
            return item
        if isinstance(item, Fetch):
            self._stats.inc_value("wenku/fetch")
        else:
            self._stats.inc_value("wenku/discovered", len(item) if isinstance(item, tuple) else 1)
        return item

    def close_spider(self) -> None:
        if self._pump.running:
            self._pump.stop()
        try:
            self.archiver.close()
        finally:
            self._update_stats()
            self._report_archived()
            self._stats.set_value("wenku/archive_workers", self.archiver.usage)

    def _tick(self) -> None:
        self.archiver.pump()
        self._update_stats()
        self._report_archived()
        if self.archiver.failure is not None:
            self._stop_crawl()

    def _stop_crawl(self) -> None:
        """No new requests; once those in flight have landed (and been kept), close."""
        engine = self.crawler.engine
        if engine is None or self._closing:
            return
        if self._stop_by is None:
            engine.pause()
            timeout = self.crawler.settings.getfloat("DOWNLOAD_TIMEOUT", 180)
            self._stop_by = time.monotonic() + timeout + 10
        if engine.downloader.active and time.monotonic() < self._stop_by:
            return
        self._closing = True
        deferred_from_coro(engine.close_spider_async(reason="archive_failed"))

    def _report_archived(self) -> None:
        urls, self.archiver.archived = self.archiver.archived, []
        if urls:
            self.crawler.signals.send_catch_log(ARCHIVED, urls=urls)

    def _update_stats(self) -> None:
        for outcome, count in self.archiver.counts.items():
            self._stats.set_value(f"wenku/outcome/{outcome}", count)
        if self.archiver.failure:
            self._stats.set_value("wenku/archiver_error", self.archiver.failure)

    @property
    def _stats(self) -> Any:
        return self.crawler.stats

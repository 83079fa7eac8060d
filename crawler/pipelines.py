"""The Scrapy item pipeline: a thin adapter that hands each Fetch to the archive worker."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured
from twisted.internet import task

from crawler.archiver import Archiver, ArchiveTarget, InlineArchiver
from pipeline.provenance import Discovered, Fetch


class ArchivePipeline:
    def __init__(self, crawler: Crawler, target: ArchiveTarget, inline: bool = False):
        self.crawler = crawler
        self.archiver = InlineArchiver(target) if inline else Archiver(target)
        self._poll = task.LoopingCall(self._update_stats)

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
        )
        if target.crawl_run_id is None:  # started by `scrapy crawl`, not by wenku's commands
            from storage.engine import upgrade

            upgrade(db_url)
        return cls(crawler, target, settings.getbool("WENKU_ARCHIVE_INLINE"))

    def open_spider(self) -> None:
        self.archiver.start()
        self._poll.start(0.5, now=False)

    def process_item(self, item: Any) -> Any:
        if isinstance(item, Fetch | Discovered):
            self.archiver.submit(item)
            self._stats.inc_value(f"wenku/{type(item).__name__.lower()}")
        return item

    def close_spider(self) -> None:
        if self._poll.running:
            self._poll.stop()
        try:
            self.archiver.close()
        finally:
            self._update_stats()

    def _update_stats(self) -> None:
        for outcome, count in self.archiver.poll().items():
            self._stats.set_value(f"wenku/outcome/{outcome}", count)
        if self.archiver.error:
            self._stats.set_value("wenku/archiver_error", self.archiver.error)

    @property
    def _stats(self) -> Any:
        return self.crawler.stats

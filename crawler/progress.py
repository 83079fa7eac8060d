"""A live progress line for crawls: pages fetched, documents new and duplicate, failures, rate."""

from __future__ import annotations

import sys
import time
from typing import Any

from rich.console import Console
from rich.live import Live
from rich.text import Text
from scrapy import signals
from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured
from twisted.internet import task

SHOWN_OUTCOMES = ("new", "duplicate", "changed", "unchanged", "not_modified", "failed", "skipped")
PLAIN_EVERY_SECONDS = 10.0


class ProgressExtension:
    """Redraws a status line twice a second on a terminal; logs a line now and then elsewhere."""

    def __init__(self, crawler: Crawler):
        self.crawler = crawler
        self.console = Console(file=sys.stderr)
        self.live: Live | None = None
        self.started = time.monotonic()
        self.last_plain = self.started
        self.loop = task.LoopingCall(self.refresh)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> ProgressExtension:
        if not crawler.settings.getbool("WENKU_PROGRESS"):
            raise NotConfigured
        extension = cls(crawler)
        crawler.signals.connect(extension.opened, signal=signals.spider_opened)
        crawler.signals.connect(extension.closed, signal=signals.spider_closed)
        return extension

    def opened(self) -> None:
        if self.console.is_terminal:
            self.live = Live(console=self.console, refresh_per_second=4, transient=True)
            self.live.start()
        self.loop.start(0.5, now=True)

    def closed(self) -> None:
        if self.loop.running:
            self.loop.stop()
        if self.live is not None:
            self.live.stop()

    def refresh(self) -> None:
        assert self.crawler.stats is not None
        line = progress_line(self.crawler.stats.get_stats(), time.monotonic() - self.started)
        if self.live is not None:
            self.live.update(Text(line))
        elif time.monotonic() - self.last_plain >= PLAIN_EVERY_SECONDS:
            self.last_plain = time.monotonic()
            self.console.print(line, highlight=False)


def progress_line(stats: dict[str, Any], elapsed: float) -> str:
    fetched = stats.get("response_received_count", 0)
    parts = [f"fetched {fetched}"]
    for outcome in SHOWN_OUTCOMES:
        count = stats.get(f"wenku/outcome/{outcome}", 0)
        if count:
            parts.append(f"{outcome.replace('_', ' ')} {count}")
    rate = fetched / elapsed if elapsed > 0 else 0.0
    parts.append(f"{rate:.0f} pages/s")
    return " · ".join(parts)

"""The archive worker: a second process that keeps WARC, cleans and writes while Scrapy fetches.

Scrapy's reactor uses one core; decoding, cleaning, gzip and SQL run here on the other.
Fetches arrive on a bounded queue (back-pressure on the crawler when cleaning falls behind),
are written in batches, and each batch's outcome counts go back on a second queue.
A fetch that was archived is committed: a crash loses at most the batch in flight.
"""

from __future__ import annotations

import logging
import multiprocessing as mp
import queue
import traceback
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pipeline.provenance import Cleaned, Discovered, Fetch

logger = logging.getLogger(__name__)

_STOP = None
_BATCH_SECONDS = 0.5


@dataclass(frozen=True, slots=True)
class ArchiveTarget:
    db_url: str
    crawl_run_id: int | None
    warc_dir: Path | None
    warc_max_bytes: int = 512 * 2**20
    batch_size: int = 200
    min_interval_days: float = 1.0
    max_interval_days: float = 30.0


class ArchiverFailed(RuntimeError):
    pass


class Archiver:
    """Owns the worker process; used from the Scrapy item pipeline."""

    def __init__(self, target: ArchiveTarget, queue_size: int = 100):
        context = mp.get_context("spawn")
        self._inbox: Any = context.Queue(maxsize=queue_size)
        self._outbox: Any = context.Queue()
        self._process = context.Process(
            target=_worker_main, args=(target, self._inbox, self._outbox), daemon=True
        )
        self.counts: Counter[str] = Counter()
        self.error: str | None = None

    def start(self) -> None:
        self._process.start()

    def submit(self, item: Fetch | Discovered) -> None:
        self._check_alive()
        self._inbox.put(item)

    def poll(self) -> Counter[str]:
        """Take in the counts of every batch written since the last poll."""
        while True:
            try:
                message = self._outbox.get_nowait()
            except queue.Empty:
                return self.counts
            self._take(message)

    def close(self, timeout: float = 600) -> Counter[str]:
        if self._process.is_alive():
            self._inbox.put(_STOP)
        while self._process.is_alive() or not self._outbox.empty():
            try:
                self._take(self._outbox.get(timeout=0.2))
            except queue.Empty:
                continue
        self._process.join(timeout)
        if self.error:
            raise ArchiverFailed(self.error)
        return self.counts

    def _take(self, message: dict[str, Any]) -> None:
        if "error" in message:
            self.error = message["error"]
        else:
            self.counts.update(message)

    def _check_alive(self) -> None:
        if not self._process.is_alive() and self._process.exitcode is not None:
            self.poll()
            raise ArchiverFailed(self.error or f"archive worker exited ({self._process.exitcode})")


def _worker_main(target: ArchiveTarget, inbox: Any, outbox: Any) -> None:
    try:
        _WorkerLoop(target, outbox).run(inbox)
    except BaseException:
        outbox.put({"error": traceback.format_exc(limit=8)})
        raise


class _WorkerLoop:
    def __init__(self, target: ArchiveTarget, outbox: Any):
        from crawler.warc import WarcStore
        from storage.archive import RevisitPolicy
        from storage.engine import session_factory
        from storage.neardup import NearDuplicateIndex

        self.target = target
        self.outbox = outbox
        self.sessions = session_factory(target.db_url)
        self.warc = WarcStore(target.warc_dir, target.warc_max_bytes) if target.warc_dir else None
        self.policy = RevisitPolicy.from_days(target.min_interval_days, target.max_interval_days)
        self.near_duplicates = NearDuplicateIndex()

    def run(self, inbox: Any) -> None:
        try:
            stopping = False
            while not stopping:
                batch, stopping = _take_batch(inbox, self.target.batch_size)
                if batch:
                    self.outbox.put(self._archive(batch))
        finally:
            if self.warc:
                self.warc.close()

    def _archive(self, items: list[Fetch | Discovered]) -> dict[str, int]:
        from storage.archive import archive_batch
        from storage.repository import remember_links

        fetches = [item for item in items if isinstance(item, Fetch)]
        batch = [page for fetch in fetches for page in fetch.with_parts()]
        cleaned = [item for fetch in fetches for item in self._clean_article(fetch)]
        with self.sessions.begin() as session:
            remember_links(session, [item for item in items if isinstance(item, Discovered)])
            if self.warc:
                self._keep_raw(session, batch)
            outcomes = archive_batch(
                session,
                cleaned,
                self.target.crawl_run_id,
                self.policy,
                self.near_duplicates.add,
            )
        return dict(Counter(outcomes))

    def _keep_raw(self, session: Any, batch: list[Fetch]) -> None:
        from crawler.warc import EarlierCapture, payload_digest
        from storage.repository import last_raw_hashes

        assert self.warc is not None
        previous = last_raw_hashes(session, [fetch.url for fetch in batch])
        for fetch in batch:
            earlier = None
            raw_sha256, fetched_at = previous.get(fetch.url, (None, None))
            if fetched_at is not None and raw_sha256 == fetch.raw_sha256:
                earlier = EarlierCapture(fetch.url, fetched_at, payload_digest(fetch.body))
            self.warc.write(fetch, earlier)

    def _clean_article(self, fetch: Fetch) -> list[Cleaned]:
        """A page, or the pages of an article split over several, joined (pipeline.pagination)."""
        from pipeline.pagination import joined_article

        return joined_article([self._clean(page) for page in fetch.with_parts()])

    def _clean(self, fetch: Fetch) -> Cleaned:
        from pipeline import process_page

        ok = fetch.status is not None and 200 <= fetch.status < 300
        if not (ok and fetch.detail and fetch.is_html):  # list pages, PDFs, errors
            return Cleaned(fetch, None)
        try:
            return Cleaned(fetch, process_page(fetch.raw_page()))
        except Exception as exc:  # a page the cleaner cannot handle is recorded, not lost
            logger.exception("cleaning %s failed", fetch.url)
            return Cleaned(fetch, None, error=f"cleaning failed: {exc!r}")


def _crawler_gone() -> bool:
    """True once the crawler process has died (killed): nothing more will arrive."""
    parent = mp.parent_process()
    return parent is not None and not parent.is_alive()


def _take_batch(inbox: Any, size: int) -> tuple[list[Fetch | Discovered], bool]:
    """Up to `size` items, waiting a moment at most for more, and whether to stop after."""
    batch: list[Fetch | Discovered] = []
    while len(batch) < size:
        try:
            item = inbox.get(timeout=_BATCH_SECONDS)
        except queue.Empty:
            return batch, _crawler_gone()
        if item is _STOP:
            return batch, True
        batch.append(item)
    return batch, False


class InlineArchiver:
    """The worker's archiving done in this process, as each fetch arrives.

    For a recrawl of one URL a second interpreter (spawned, importing the cleaner and the
    storage layer again) costs more than a second; the page itself, milliseconds.
    """

    def __init__(self, target: ArchiveTarget):
        self.target = target
        self.counts: Counter[str] = Counter()
        self.error: str | None = None
        self._loop: _WorkerLoop | None = None

    def start(self) -> None:
        self._loop = _WorkerLoop(self.target, outbox=None)

    def submit(self, item: Fetch | Discovered) -> None:
        assert self._loop is not None, "start() first"
        if self.error:
            raise ArchiverFailed(self.error)
        try:
            self.counts.update(self._loop._archive([item]))
        except Exception:
            self.error = traceback.format_exc(limit=8)
            raise ArchiverFailed(self.error) from None

    def poll(self) -> Counter[str]:
        return self.counts

    def close(self, timeout: float = 600) -> Counter[str]:
        if self._loop is not None and self._loop.warc:
            self._loop.warc.close()
        if self.error:
            raise ArchiverFailed(self.error)
        return self.counts

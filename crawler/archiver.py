"""The crawler's side of the archive: starts the workers, hands them fetches, watches them.

Scrapy's reactor uses one core; cleaning runs in `workers` processes beside it and one
writer keeps WARC and the database (crawler/workers.py). Fetches go out in the order
Scrapy yielded them, on a bounded queue: when the archive falls behind, items wait in
the item pipeline, Scrapy's scraper fills up and stops downloading (back-pressure),
and the reactor itself never blocks. If a worker dies or the writer gives up on the
database, `failure` says why within a poll, and `close` ends every worker within a
bounded time whatever state they are in.
"""

from __future__ import annotations

import logging
import multiprocessing as mp
import os
import queue
import time
from collections import Counter, deque
from typing import Any

from twisted.internet import defer
from twisted.python.failure import Failure

from crawler.workers import (
    FINAL,
    STOP,
    ArchiveTarget,
    clean_article,
    cleaner_main,
    describe,
    writer_main,
)
from pipeline.provenance import Cleaned, Discovered, Fetch

logger = logging.getLogger(__name__)

__all__ = [
    "ARCHIVED",
    "ArchiveTarget",
    "Archiver",
    "ArchiverFailed",
    "InlineArchiver",
    "default_workers",
]

QUEUE_SIZE = 64
ARCHIVED = object()  # Scrapy signal: `urls` were committed to the archive
DISCOVERED_BATCH = 200
STOP_TIMEOUT = 300.0  # past the writer's own retry budget: then every worker is ended


class ArchiverFailed(RuntimeError):
    pass


def default_workers() -> int:
    """Cleaning processes: one per core the crawler's reactor leaves, at least one."""
    return max(1, (os.cpu_count() or 1) - 1)


class Archiver:
    """Owns the worker processes; used from the Scrapy item pipeline."""

    def __init__(self, target: ArchiveTarget, workers: int = 1, queue_size: int = QUEUE_SIZE):
        context = mp.get_context("spawn")
        self._tasks: Any = context.Queue(maxsize=queue_size)
        self._results: Any = context.Queue(maxsize=queue_size)
        self._outbox: Any = context.Queue()
        self.cleaners = [
            context.Process(
                target=cleaner_main,
                args=(self._tasks, self._results, self._outbox),
                name=f"wenku-cleaner-{n}",
                daemon=True,
            )
            for n in range(workers)
        ]
        self.writer = context.Process(
            target=writer_main,
            args=(target, self._results, self._outbox),
            name="wenku-writer",
            daemon=True,
        )
        self._waiting: deque[tuple[Fetch | tuple[Discovered, ...], defer.Deferred[None]]] = deque()
        self._discovered: list[Discovered] = []
        self._seq = 0
        self._closing = False
        self.counts: Counter[str] = Counter()
        self.usage: list[dict[str, Any]] = []
        self.archived: list[str] = []  # URLs committed since the pipeline last looked
        self.failure: str | None = None  # why the crawl must stop
        self.broken = False  # a worker died: nothing more can be handed over

    def start(self) -> None:
        for process in [*self.cleaners, self.writer]:
            process.start()

    def hand(self, item: Fetch | Discovered | tuple[Discovered, ...]) -> defer.Deferred[None]:
        """Queue `item` for archiving; fires once a worker has it, in the order handed.

        Links found (Discovered, or a page's as a tuple) go in bulk, a tuple at a time,
        ahead of the next fetch: the spider hands a page's links before the page, so they
        are archived no later than the page itself.
        """
        if not isinstance(item, Fetch):
            self._discovered.extend(item if isinstance(item, tuple) else (item,))
            if len(self._discovered) >= DISCOVERED_BATCH:
                self._send_discovered()
            return defer.succeed(None)
        self._send_discovered()
        handed: defer.Deferred[None] = defer.Deferred()
        self._waiting.append((item, handed))
        self.pump()
        return handed

    def _send_discovered(self) -> None:
        if self._discovered:
            unwatched: defer.Deferred[None] = defer.Deferred()
            unwatched.addErrback(lambda _failure: None)  # counted as unarchived if it fails
            self._waiting.append((tuple(self._discovered), unwatched))
            self._discovered = []

    def pump(self) -> int:
        """Move waiting items onto the queue while it has room; return how many still wait.

        After the writer gave up on the database it still keeps what it gets in WARC, so
        items keep flowing; only a dead worker makes them fail (counted as unarchived).
        """
        self.poll()
        if not self._waiting:
            self._send_discovered()
        while self._waiting and not self.broken:
            item, handed = self._waiting[0]
            try:
                self._tasks.put_nowait((self._seq, item))
            except queue.Full:
                break
            self._waiting.popleft()
            self._seq += 1
            handed.callback(None)
        if self.broken:
            self._fail_waiting()
        return len(self._waiting)

    def poll(self) -> Counter[str]:
        """Take in the writer's reports and notice a worker that died."""
        while (message := _get_nowait(self._outbox)) is not None:
            self._take(message)
        if not self.broken and not self._closing:
            dead = [p for p in [*self.cleaners, self.writer] if p.exitcode is not None]
            if dead:
                self._take(_get_nowait(self._outbox) or {})
                self.failure = self.failure or _death_of(dead[0])
                self.broken = True
        return self.counts

    def close(self) -> Counter[str]:
        """Let the workers finish what they hold and end; at most STOP_TIMEOUT seconds."""
        deadline = time.monotonic() + STOP_TIMEOUT
        self._send_discovered()
        while self.pump() and not self.broken and time.monotonic() < deadline:
            time.sleep(0.05)  # the last links found, and any fetch still waiting
        self._closing = True
        self._fail_waiting()
        self._send(self._tasks, [STOP] * len(self.cleaners), self.cleaners, deadline)
        self._wait(self.cleaners, deadline)
        if any(p.exitcode not in (0, None) for p in self.cleaners):
            # A cleaner killed mid-message may have cut the results pipe (and kept its
            # lock): tell the writer by signal to keep what it holds and leave.
            self.writer.terminate()
        else:
            self._send(self._results, [FINAL], [self.writer], deadline)
        self._wait([self.writer], deadline)
        self._end_survivors()
        self.poll()
        if self.writer.exitcode and self.failure is None:
            self.failure = _death_of(self.writer)
        for channel in (self._tasks, self._results, self._outbox):
            channel.cancel_join_thread()  # what is left has no reader: do not wait at exit
            channel.close()
        return self.counts

    def _take(self, message: dict[str, Any]) -> None:
        if "counts" in message:
            self.counts.update(message["counts"])
            self.archived.extend(message.get("archived", ()))
        if "usage" in message:
            self.usage.append(message["usage"])
        if "error" in message and self.failure is None:
            self.failure = message["error"]
            if "traceback" in message:
                logger.debug("archive writer failed:\n%s", message["traceback"])

    def _fail_waiting(self) -> None:
        reason = self.failure or "the crawl is stopping"
        while self._waiting:
            _, handed = self._waiting.popleft()
            handed.errback(Failure(ArchiverFailed(reason)))

    def _send(self, channel: Any, messages: list[str], readers: list[Any], deadline: float) -> None:
        for message in messages:
            while any(p.is_alive() for p in readers) and time.monotonic() < deadline:
                if not self.writer.is_alive() and self.writer not in readers:
                    return  # a cleaner may wait for ever on results nobody reads: ended below
                try:
                    channel.put(message, timeout=0.2)
                    break
                except queue.Full:
                    self.poll()

    def _wait(self, processes: list[Any], deadline: float) -> None:
        while any(p.is_alive() for p in processes) and time.monotonic() < deadline:
            if not self.writer.is_alive() and any(p.is_alive() for p in self.cleaners):
                return  # nobody reads their results any more: they are ended below
            self.poll()
            for process in processes:
                process.join(0.1)

    def _end_survivors(self) -> None:
        survivors = [p for p in [*self.cleaners, self.writer] if p.is_alive()]
        for process in survivors:
            process.terminate()
        for process in survivors:
            process.join(5)
            if process.is_alive():
                process.kill()
                process.join()
        if survivors and self.failure is None:
            self.failure = f"archive workers did not finish in {STOP_TIMEOUT:.0f} s: ended"


def _death_of(process: Any) -> str:
    return f"archive worker {process.name} exited unexpectedly (exit code {process.exitcode})"


def _get_nowait(channel: Any) -> Any:
    try:
        return channel.get_nowait()
    except queue.Empty:
        return None


class InlineArchiver:
    """The archiving done in this process as each fetch arrives (`WENKU_ARCHIVE_INLINE`).

    For a recrawl of one URL, spawning workers (interpreters importing the cleaner and the
    storage layer again) costs more than a second; the page itself, milliseconds.
    """

    def __init__(self, target: ArchiveTarget):
        self.target = target
        self.counts: Counter[str] = Counter()
        self.usage: list[dict[str, Any]] = []
        self.archived: list[str] = []
        self.failure: str | None = None
        self.broken = False
        self._writer: Any = None

    def start(self) -> None:
        self._writer = self.target.writer()

    def hand(self, item: Fetch | Discovered | tuple[Discovered, ...]) -> defer.Deferred[None]:
        if self.broken:
            return defer.fail(ArchiverFailed(self.failure or "the archive failed"))
        items: list[Cleaned | Discovered]
        if isinstance(item, Fetch):
            items = list(clean_article(item))
        else:
            items = list(item) if isinstance(item, tuple) else [item]
        try:
            self.counts.update(self._writer.write(items))
        except Exception as exc:  # the crawl stops; the error is the outcome's
            self.failure, self.broken = describe(exc), True
            return defer.fail(ArchiverFailed(self.failure))
        self.archived += [each.fetch.url for each in items if isinstance(each, Cleaned)]
        return defer.succeed(None)

    def pump(self) -> int:
        return 0

    def poll(self) -> Counter[str]:
        return self.counts

    def close(self) -> Counter[str]:
        if self._writer is not None:
            if not self.broken:
                self._writer.finish()
            self._writer.close()
        return self.counts

"""The archive's worker processes: cleaners (a pool) and the one writer.

    crawler ──tasks──▶ cleaner × N ──results──▶ writer ──outbox──▶ crawler
                 (seq, Fetch)      (seq, Cleaned)        counts, errors, usage

Cleaning is pure CPU and runs in as many processes as there are spare cores; the writer
puts the cleaned fetches back in the crawler's order (captures of one page keep theirs)
and writes them in batches. Every worker dies with the crawler: Linux sends it SIGTERM
when its parent dies (PR_SET_PDEATHSIG), and it also watches its parent's sentinel pipe,
which reaches EOF when the parent is gone however it went. The writer then commits what
it holds before leaving.
"""

from __future__ import annotations

import ctypes
import logging
import multiprocessing as mp
import os
import queue
import resource
import signal
import sys
import traceback
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pipeline.provenance import Cleaned, Discovered, Fetch

logger = logging.getLogger(__name__)

STOP = "stop"  # on `tasks`: a cleaner leaves
FINAL = "final"  # on `results`: the writer writes what it holds and leaves
BATCH_SECONDS = 0.5
DRAIN_SECONDS = 10.0  # after the crawler died: how long the writer keeps reading
_PR_SET_PDEATHSIG = 1


@dataclass(frozen=True, slots=True)
class ArchiveTarget:
    db_url: str
    crawl_run_id: int | None
    warc_dir: Path | None
    warc_max_bytes: int = 512 * 2**20
    batch_size: int = 200
    min_interval_days: float = 1.0
    max_interval_days: float = 30.0
    retry_seconds: float = 60.0

    def writer(self) -> Any:
        """The ArchiveWriter for this target (imported here: a cleaner never needs one)."""
        from crawler.writer import ArchiveWriter
        from storage.archive import RevisitPolicy

        policy = RevisitPolicy.from_days(self.min_interval_days, self.max_interval_days)
        return ArchiveWriter(
            self.db_url,
            self.crawl_run_id,
            self.warc_dir,
            self.warc_max_bytes,
            policy,
            self.retry_seconds,
        )


class ParentGone(Exception):
    """The crawler died while this worker waited for it."""


class _Lifeline:
    """Raises ParentGone in a worker blocked on its input once the crawler is gone."""

    def __init__(self) -> None:
        self.gone = False
        self.waiting = False

    def install(self) -> None:
        signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the crawler's to handle
        signal.signal(signal.SIGTERM, self._on_term)
        _die_with_parent(signal.SIGTERM)
        if not parent_alive():  # it died before the line above took effect
            self.gone = True

    def _on_term(self, _signum: int, _frame: Any) -> None:
        self.gone = True
        if self.waiting:  # interrupt a read that may never finish (a half-written message)
            raise ParentGone

    @contextmanager
    def waiting_for_input(self) -> Iterator[None]:
        self.waiting = True
        try:
            if self.gone:
                raise ParentGone
            yield
        finally:
            self.waiting = False


def _die_with_parent(sig: int) -> None:
    if not sys.platform.startswith("linux"):
        return
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(_PR_SET_PDEATHSIG, int(sig), 0, 0, 0)


def parent_alive() -> bool:
    """False once the parent has died: its sentinel pipe reached EOF."""
    parent = mp.parent_process()
    return parent is None or parent.is_alive()


def usage(role: str) -> dict[str, Any]:
    """This process's CPU time and peak memory, for the crawl's summary."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    return {
        "role": role,
        "pid": os.getpid(),
        "cpu_seconds": round(own.ru_utime + own.ru_stime, 3),
        "peak_rss_mb": round(peak_rss_bytes() / 2**20, 1),
    }


def peak_rss_bytes() -> int:
    """VmHWM: ru_maxrss would also count the forked parent's pages before exec."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def clean_fetch(fetch: Fetch) -> Cleaned:
    """What the cleaning path makes of one fetch; a page it cannot handle keeps the error."""
    from pipeline import process_page

    ok = fetch.status is not None and 200 <= fetch.status < 300
    if not (ok and fetch.detail and fetch.is_html):  # list pages, PDFs, errors
        return Cleaned(fetch, None)
    try:
        return Cleaned(fetch, process_page(fetch.raw_page()))
    except Exception as exc:
        logger.exception("cleaning %s failed", fetch.url)
        return Cleaned(fetch, None, error=f"cleaning failed: {exc!r}")


def clean_article(fetch: Fetch) -> list[Cleaned]:
    """A page, or the pages of an article split over several, joined (pipeline.pagination)."""
    from pipeline.pagination import joined_article

    return joined_article([clean_fetch(page) for page in fetch.with_parts()])


def clean_item(
    item: Fetch | tuple[Discovered, ...],
) -> list[Cleaned] | tuple[Discovered, ...]:
    return clean_article(item) if isinstance(item, Fetch) else item


def cleaner_main(tasks: Any, results: Any, outbox: Any) -> None:
    lifeline = _Lifeline()
    lifeline.install()
    try:
        while not lifeline.gone:
            with lifeline.waiting_for_input():
                message = tasks.get()
            if message == STOP:
                break
            seq, item = message
            results.put((seq, clean_item(item)))
    except ParentGone:
        pass
    outbox.put({"usage": usage("cleaner")})
    _exit_soon_if_orphaned(lifeline)


def writer_main(target: ArchiveTarget, results: Any, outbox: Any) -> None:
    lifeline = _Lifeline()
    lifeline.install()
    code = 0
    try:
        code = _WriterLoop(target, results, outbox, lifeline).run()
    except BaseException as exc:
        outbox.put({"error": describe(exc), "traceback": traceback.format_exc(limit=8)})
        code = 1
    outbox.put({"usage": usage("writer")})
    _exit_soon_if_orphaned(lifeline)
    sys.exit(code)


def _exit_soon_if_orphaned(lifeline: _Lifeline) -> None:
    """Leaving flushes the queues' pipes; with nobody left to read them that could block,
    so an orphan gives itself a few seconds (SIGALRM's default action ends the process)."""
    if lifeline.gone or not parent_alive():
        signal.signal(signal.SIGALRM, signal.SIG_DFL)
        signal.alarm(int(DRAIN_SECONDS))


def describe(exc: BaseException) -> str:
    from crawler.writer import ArchiveUnavailable, one_line

    return str(exc) if isinstance(exc, ArchiveUnavailable) else one_line(exc)


class _WriterLoop:
    def __init__(self, target: ArchiveTarget, results: Any, outbox: Any, lifeline: _Lifeline):
        self.target, self.results, self.outbox, self.lifeline = target, results, outbox, lifeline
        self.writer = target.writer()
        self.order = InOrder()
        self.batch: list[Cleaned | Discovered] = []

    def run(self) -> int:
        """Write until told to stop or orphaned; 1 when the database failed (reported)."""
        try:
            self._read_until_final()
        except ParentGone:
            self._drain()
        finally:
            self._flush()
            if self.writer.failure is None:
                self.writer.finish()
            self.writer.close()
        return 0 if self.writer.failure is None else 1

    def _read_until_final(self) -> None:
        while True:
            with self.lifeline.waiting_for_input():
                message = _get(self.results, BATCH_SECONDS)
            if message == FINAL:
                self.batch += _flat(self.order.release_all())
                return
            if message is not None:
                self.batch += _flat(self.order.add(*message))
            elif not parent_alive():
                raise ParentGone
            if self.batch and (message is None or len(self.batch) >= self.target.batch_size):
                self._flush()

    def _drain(self) -> None:
        """The crawler died: take in what the cleaners still send, for a few seconds."""
        signal.signal(signal.SIGALRM, _raise_parent_gone)
        signal.setitimer(signal.ITIMER_REAL, DRAIN_SECONDS)
        try:
            while (message := _get(self.results, 1.0)) is not None and message != FINAL:
                self.batch += _flat(self.order.add(*message))
        except ParentGone:
            pass
        finally:
            signal.setitimer(signal.ITIMER_REAL, 0)
        self.batch += _flat(self.order.release_all())

    def _flush(self) -> None:
        from crawler.writer import ArchiveUnavailable

        batch, self.batch = self.batch, []
        if not batch:
            return
        try:
            counts = self.writer.write(batch)
        except ArchiveUnavailable as exc:  # the crawler stops; WARC only from here on
            self.outbox.put({"error": str(exc)})
            return
        archived = (
            [] if self.writer.failure else [i.fetch.url for i in batch if isinstance(i, Cleaned)]
        )
        self.outbox.put({"counts": counts, "archived": archived})


def _raise_parent_gone(_signum: int, _frame: Any) -> None:
    raise ParentGone


def _get(channel: Any, timeout: float) -> Any:
    try:
        return channel.get(timeout=timeout)
    except queue.Empty:
        return None


def _flat(released: list[Any]) -> list[Cleaned | Discovered]:
    """What the cleaners sent, one by one: an article's pages come as a list, the links
    found in bulk as a tuple."""
    flat: list[Cleaned | Discovered] = []
    for item in released:
        if isinstance(item, list | tuple):
            flat.extend(item)
        else:
            flat.append(item)
    return flat


class InOrder:
    """Puts numbered items back in sequence: releases each once all before it are in."""

    def __init__(self) -> None:
        self.next = 0
        self.waiting: dict[int, Any] = {}

    def add(self, seq: int, item: Any) -> list[Any]:
        self.waiting[seq] = item
        ready = []
        while self.next in self.waiting:
            ready.append(self.waiting.pop(self.next))
            self.next += 1
        return ready

    def release_all(self) -> list[Any]:
        """Everything held, in order, gaps skipped (a cleaner died with an item)."""
        ready = [self.waiting[seq] for seq in sorted(self.waiting)]
        self.waiting.clear()
        return ready

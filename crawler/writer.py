"""The archive writer: raw responses into WARC first, then one transaction a batch.

WARC comes first so that a fetch the database could not take is still kept for
`wenku reprocess`. A database error that can pass (a connection refused or dropped, a
lock held too long, a deadlock between two writers) is retried with backoff for up to
`retry_seconds`; past that the writer fails with one line saying what failed, and keeps
writing WARC only until the crawl stops. Full-text indexing runs after each commit, in a
short transaction of its own, off the batch's critical path.
"""

from __future__ import annotations

import logging
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy.exc import DBAPIError, IntegrityError, InterfaceError, OperationalError
from sqlalchemy.orm import Session, sessionmaker

from pipeline.provenance import Cleaned, Discovered, Fetch

logger = logging.getLogger(__name__)

T = TypeVar("T")
Timer = Callable[[str], AbstractContextManager[None]]
# Errors a retry can cure: the server or the lock comes back, the other writer's row is there.
TRANSIENT = (OperationalError, InterfaceError, IntegrityError)
FIRST_BACKOFF_SECONDS = 0.5
MAX_BACKOFF_SECONDS = 8.0


class ArchiveUnavailable(RuntimeError):
    """The archive database kept failing for longer than the writer may wait."""


@contextmanager
def _untimed(_name: str) -> Iterator[None]:
    yield


class ArchiveWriter:
    def __init__(
        self,
        db_url: str,
        crawl_run_id: int | None,
        warc_dir: Path | None,
        warc_max_bytes: int = 512 * 2**20,
        policy: Any = None,
        retry_seconds: float = 60.0,
        timer: Timer = _untimed,
    ):
        from crawler.warc import WarcStore
        from storage.archive import RevisitPolicy
        from storage.engine import session_factory
        from storage.neardup import NearDuplicateIndex

        self.sessions = session_factory(db_url)
        self.crawl_run_id = crawl_run_id
        self.warc = WarcStore(warc_dir, warc_max_bytes) if warc_dir else None
        self.policy = policy or RevisitPolicy()
        self.retry_seconds = retry_seconds
        self.timer = timer
        self.near_duplicates = NearDuplicateIndex()
        self.failure: str | None = None

    def write(self, items: list[Cleaned | Discovered]) -> dict[str, int]:
        """Keep `items` (in order), return their outcome counts; raises ArchiveUnavailable."""
        fetches = [item.fetch for item in items if isinstance(item, Cleaned)]
        with self.timer("warc"):
            self._keep_raw(fetches)
        if self.failure is not None:  # the database is gone: WARC only, counted
            return {"unarchived": len(fetches)}
        try:
            with self.timer("sql"):
                outcomes = self._retrying(lambda session: self._archive(session, items))
            with self.timer("fts"):
                self._retrying(_index_new_documents)
        except ArchiveUnavailable as exc:
            self.failure = str(exc)
            raise
        return dict(Counter(outcomes))

    def finish(self) -> None:
        """Index whatever is left (search is complete once the run ends)."""
        if self.failure is None:
            self._retrying(_index_new_documents)

    def close(self) -> None:
        if self.warc is not None:
            self.warc.close()

    def _archive(self, session: Session, items: list[Cleaned | Discovered]) -> list[str]:
        from storage.archive import archive_batch
        from storage.repository import remember_links

        remember_links(session, [item for item in items if isinstance(item, Discovered)])
        cleaned = [item for item in items if isinstance(item, Cleaned)]
        return list(
            archive_batch(
                session, cleaned, self.crawl_run_id, self.policy, self.near_duplicates.add
            )
        )

    def _keep_raw(self, fetches: list[Fetch]) -> None:
        from crawler.warc import EarlierCapture, payload_digest

        if self.warc is None or not fetches:
            return
        previous = self._previous_raw([fetch.url for fetch in fetches])
        for fetch in fetches:
            earlier = None
            raw_sha256, fetched_at = previous.get(fetch.url, (None, None))
            if fetched_at is not None and raw_sha256 == fetch.raw_sha256:
                earlier = EarlierCapture(fetch.url, fetched_at, payload_digest(fetch.body))
            self.warc.write(fetch, earlier)
        self.warc.flush()  # in the file before the database names its offsets

    def _previous_raw(self, urls: list[str]) -> dict[str, Any]:
        """The last raw hash of each URL; none while the database is away (full records)."""
        from storage.repository import last_raw_hashes

        if self.failure is not None:
            return {}
        try:
            with self.sessions() as session:
                return last_raw_hashes(session, urls)
        except DBAPIError:
            return {}

    def _retrying(self, work: Callable[[Session], T]) -> T:
        return retrying(self.sessions, work, self.retry_seconds)


def retrying(sessions: sessionmaker[Session], work: Callable[[Session], T], budget: float) -> T:
    """Run `work` in a transaction; retry transient failures with backoff for `budget` s."""
    started, delay = time.monotonic(), FIRST_BACKOFF_SECONDS
    while True:
        try:
            with sessions.begin() as session:
                return work(session)
        except TRANSIENT as exc:
            waited = time.monotonic() - started
            if waited + delay > budget:
                raise ArchiveUnavailable(
                    f"the archive database failed for {waited:.0f} s: {one_line(exc)}"
                ) from exc
            logger.warning("archive write failed (%s); retrying in %.1f s", one_line(exc), delay)
            time.sleep(delay)
            delay = min(delay * 2, MAX_BACKOFF_SECONDS)


def _index_new_documents(session: Session) -> int:
    from storage.search import index_new_documents

    return index_new_documents(session)


def one_line(exc: BaseException) -> str:
    """The exception's first line; for a database error, the driver's own message."""
    cause = getattr(exc, "orig", None) or exc
    first = next((line for line in str(cause).splitlines() if line.strip()), "")
    return f"{type(cause).__name__}: {first.strip()}"

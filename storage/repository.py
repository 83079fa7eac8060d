"""Small queries the crawler, the CLI and the flows share. Each takes a Session."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from pipeline.provenance import Discovered
from storage.models import Capture, CrawlRun, Document, Page
from storage.runs import close_stale_runs, process_owner

RUN_KINDS = ("nightly", "recrawl", "manual", "reprocess", "demo")


@dataclass(frozen=True, slots=True)
class KnownPage:
    url: str
    etag: str | None
    last_modified: str | None
    next_fetch_at: datetime | None
    has_document: bool
    fetched: bool = True  # False: a link found on a page, not fetched yet
    article_part: int | None = None  # its place in an article split over pages


def utcnow() -> datetime:
    return datetime.now(UTC)


def remember_links(session: Session, found: list[Discovered]) -> None:
    """Record document links found on pages, as pages not fetched yet (idempotent)."""
    from storage.archive import insert_ignoring_conflicts

    rows = [
        {
            "url": d.url,
            "site": d.site,
            "first_seen_at": d.seen_at,
            "fetch_count": 0,
            "change_count": 0,
        }
        for d in sorted({d.url: d for d in found}.values(), key=lambda d: d.url)
    ]
    insert_ignoring_conflicts(session, Page, rows)


def start_run(session: Session, kind: str, flow_run_id: str | None = None) -> CrawlRun:
    if kind not in RUN_KINDS:
        raise ValueError(f"unknown crawl run kind {kind!r}; one of {', '.join(RUN_KINDS)}")
    close_stale_runs(session, utcnow())  # runs of killed crawls on this host: failed
    run = CrawlRun(kind=kind, started_at=utcnow(), status="running", flow_run_id=flow_run_id)
    run.stats = process_owner()
    session.add(run)
    session.flush()
    return run


def finish_run(session: Session, run_id: int, status: str, stats: dict[str, Any]) -> None:
    run = session.get_one(CrawlRun, run_id)
    run.status = status
    run.stats = stats
    run.finished_at = utcnow()


def known_pages(
    session: Session, urls: list[str] | None = None, hosts: tuple[str, ...] = ()
) -> Iterator[KnownPage]:
    """Pages in the archive (those of `urls`, or on `hosts`, or all), streamed: what
    conditional GETs and due dates need."""
    query = select(
        Page.url,
        Page.etag,
        Page.last_modified,
        Page.next_fetch_at,
        Page.document_id,
        Page.last_fetched_at,
        Page.article_part,
    ).execution_options(yield_per=2000)
    if urls is not None:
        query = query.where(Page.url.in_(urls))
    elif hosts:
        prefixes = [f"{scheme}://{host}/" for host in hosts for scheme in ("http", "https")]
        query = query.where(or_(*(Page.url.startswith(prefix) for prefix in prefixes)))
    for url, etag, modified, next_fetch_at, document_id, fetched_at, part in session.execute(query):
        has_document, fetched = document_id is not None, fetched_at is not None
        yield KnownPage(url, etag, modified, next_fetch_at, has_document, fetched, part)


def outcome_counts(session: Session, run_id: int) -> dict[str, int]:
    query = (
        select(Capture.outcome, func.count())
        .where(Capture.crawl_run_id == run_id)
        .group_by(Capture.outcome)
    )
    return {outcome: count for outcome, count in session.execute(query)}


def documents_beyond_url_rule(session: Session, run_id: int, rule: Callable[[str], bool]) -> int:
    """Documents a run's captures carried from pages `rule` calls no document, and from no
    page it does: what a crawl that cleaned only URLs matching the rule would have missed."""
    query = (
        select(Page.url, Capture.document_id)
        .join(Page, Page.id == Capture.page_id)
        .where(Capture.crawl_run_id == run_id, Capture.document_id.is_not(None))
        .distinct()
    )
    matched: set[int | None] = set()
    missed: set[int | None] = set()
    for url, document_id in session.execute(query):
        if document_id is not None:
            (matched if rule(url) else missed).add(document_id)
    return len(missed - matched)


def archive_totals(session: Session) -> dict[str, int]:
    return {
        "documents": session.scalar(select(func.count()).select_from(Document)) or 0,
        "pages": session.scalar(select(func.count()).select_from(Page)) or 0,
        "captures": session.scalar(select(func.count()).select_from(Capture)) or 0,
    }


def last_raw_hashes(session: Session, urls: list[str]) -> dict[str, tuple[str, datetime]]:
    """For each known URL, the raw SHA-256 and time of its latest capture with a body."""
    latest = (
        select(Capture.page_id, func.max(Capture.id).label("capture_id"))
        .join(Page, Page.id == Capture.page_id)
        .where(Page.url.in_(urls), Capture.raw_sha256.is_not(None), Capture.http_status == 200)
        .group_by(Capture.page_id)
        .subquery()
    )
    query = (
        select(Page.url, Capture.raw_sha256, Capture.fetched_at)
        .join(latest, latest.c.capture_id == Capture.id)
        .join(Page, Page.id == Capture.page_id)
    )
    return {url: (raw, at) for url, raw, at in session.execute(query) if raw is not None}


def run_captures(session: Session, run_id: int) -> list[dict[str, Any]]:
    """The captures a run made, with their page URL and document hash, in fetch order."""
    query = (
        select(
            Page.url,
            Capture.outcome,
            Document.content_hash,
            Capture.fetched_at,
            Capture.http_status,
            Capture.error,
        )
        .join(Page, Page.id == Capture.page_id)
        .outerjoin(Document, Document.id == Capture.document_id)
        .where(Capture.crawl_run_id == run_id)
        .order_by(Capture.id)
    )
    return [row._asdict() for row in session.execute(query)]

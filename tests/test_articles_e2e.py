"""An article split over three pages, crawled for real: joined into one document whose
pages all point at it, whatever page a crawl reaches first; a crawl killed between its
parts archives nothing half-done and the next crawl finishes it; a changed second page
changes the document on a recrawl; a part gone missing leaves the article flagged.

The pages are the demo site's own (its article `/doc/800001.html`, `…_2.html`, `…_3.html`;
night 2 changes the second page), served by a test server the test controls.
"""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from demosite import DemoSite
from pipeline.pagination import INCOMPLETE_FLAG
from storage.engine import session_factory
from storage.models import Capture, Document, Page
from tests.conftest import ROOT, run_wenku
from tests.pageserver import PageServer

NIGHTS = {night: DemoSite.build(pages=10, seed=7, night=night) for night in (1, 2)}
(PARTS,) = NIGHTS[1].truth(bodies=False)["special"]["articles"]


def article_hash(night: int) -> str:
    return str(NIGHTS[night].truth(bodies=False)["pages"][PARTS[0]]["content_hash"])


def serve(server: PageServer, path: str, night: int = 1) -> None:
    response = NIGHTS[night].render(path, server.url)
    server.set(path, response.body, response.content_type)


@pytest.fixture
def site() -> Iterator[PageServer]:
    with PageServer() as server:
        for path in PARTS:
            serve(server, path)
        yield server


def link_to(server: PageServer, path: str) -> None:
    server.set(
        "/", f'<html><body><a href="{path}">一篇文章</a></body></html>'.encode(), "text/html"
    )


def crawl(server: PageServer, db_url: str, tmp_path: Path, *extra: str) -> dict[str, Any]:
    result = run_wenku(
        "crawl", server.url + "/", "--db", db_url, "--warc-dir", str(tmp_path), "--json", *extra
    )
    assert result.code == 0, result.stderr[-3000:]
    return result.json()


def pages_of_article(server: PageServer, db_url: str) -> list[tuple[str, str | None, int | None]]:
    """(path, content hash, article_part) of each of the article's pages."""
    query = (
        select(Page.url, Document.content_hash, Page.article_part)
        .outerjoin(Document, Document.id == Page.document_id)
        .where(Page.url.in_([server.url + path for path in PARTS]))
        .order_by(Page.url)
    )
    with session_factory(db_url)() as session:
        rows = session.execute(query).all()
    return [(url.removeprefix(server.url), content_hash, part) for url, content_hash, part in rows]


def outcomes(server: PageServer, db_url: str, path: str) -> list[str]:
    query = (
        select(Capture.outcome)
        .join(Page, Page.id == Capture.page_id)
        .where(Page.url == server.url + path)
        .order_by(Capture.id)
    )
    with session_factory(db_url)() as session:
        return list(session.scalars(query))


def test_reached_by_a_later_page_then_changed_on_its_second(
    site: PageServer, sqlite_url: str, tmp_path: Path
) -> None:
    link_to(site, PARTS[1])  # a list that links to the second page, not the first
    crawl(site, sqlite_url, tmp_path)
    whole = [(path, article_hash(1), part) for part, path in enumerate(PARTS, 1)]
    assert pages_of_article(site, sqlite_url) == whole
    assert outcomes(site, sqlite_url, PARTS[1]) == ["skipped", "duplicate"]  # alone, then whole
    serve(site, PARTS[1], night=2)
    result = run_wenku(
        "recrawl", "--direct", site.url + PARTS[0], "--db", sqlite_url, "--json", "--warc-dir",
        str(tmp_path),
    )  # fmt: skip
    assert result.code == 0, result.stderr[-3000:]
    assert (result.json()["outcome"], result.json()["content_hash"]) == ("changed", article_hash(2))
    changed = [(path, article_hash(2), part) for part, path in enumerate(PARTS, 1)]
    assert pages_of_article(site, sqlite_url) == changed
    assert outcomes(site, sqlite_url, PARTS[2])[-1] == "changed"
    a_part_goes_missing(site, sqlite_url, tmp_path)


def a_part_goes_missing(site: PageServer, db_url: str, tmp_path: Path) -> None:
    """The article is kept without its third page, and flagged so."""
    del site.pages[PARTS[2]]  # 404
    result = run_wenku(
        "recrawl", "--direct", site.url + PARTS[0], "--db", db_url, "--json", "--warc-dir",
        str(tmp_path),
    )  # fmt: skip
    assert result.code == 0 and result.json()["outcome"] == "changed", result.stderr[-3000:]
    with session_factory(db_url)() as session:
        doc = session.scalars(
            select(Document).where(Document.content_hash == result.json()["content_hash"])
        ).one()
    shares = [NIGHTS[2].page_document(path).article.body for path in PARTS[:2]]
    assert doc.body == "\n".join(shares) and INCOMPLETE_FLAG in (doc.flags or [])
    assert outcomes(site, db_url, PARTS[2])[-1] == "failed"


def test_a_crawl_killed_between_parts_is_finished_by_the_next(
    site: PageServer, sqlite_url: str, tmp_path: Path
) -> None:
    link_to(site, PARTS[0])
    asked, release = site.hold(PARTS[1])
    command = [sys.executable, "-m", "wenku", "crawl", site.url + "/", "--db", sqlite_url]
    command += ["--warc-dir", str(tmp_path), "--json"]
    child = subprocess.Popen(
        command, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    try:
        assert asked.wait(120), "the crawl never asked for the second page"
        wait_for_frontier(site, sqlite_url)
    finally:
        child.send_signal(signal.SIGKILL)
        child.wait(30)
        release.set()
    assert outcomes(site, sqlite_url, PARTS[0]) == []  # held, not half archived
    crawl(site, sqlite_url, tmp_path, "--due-only")
    whole = [(path, article_hash(1), part) for part, path in enumerate(PARTS, 1)]
    assert pages_of_article(site, sqlite_url) == whole


def wait_for_frontier(server: PageServer, db_url: str, timeout: float = 120) -> None:
    """Until the home page's capture and its link to the article are committed."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with session_factory(db_url)() as session:
                urls = set(session.scalars(select(Page.url)))
        except Exception:  # the archive is still being created
            urls = set()
        if {server.url + "/", server.url + PARTS[0]} <= urls:
            return
        time.sleep(0.05)
    raise AssertionError("the crawl committed nothing in time")


def test_a_part_robots_txt_forbids_leaves_the_rest_archived(
    site: PageServer, sqlite_url: str, tmp_path: Path
) -> None:
    site.set("/robots.txt", f"User-agent: *\nDisallow: {PARTS[1]}\n".encode(), "text/plain")
    link_to(site, PARTS[0])
    crawl(site, sqlite_url, tmp_path)
    with session_factory(sqlite_url)() as session:
        (doc,) = session.scalars(select(Document)).all()
    assert doc.body == NIGHTS[1].page_document(PARTS[0]).article.body
    assert INCOMPLETE_FLAG in (doc.flags or [])
    assert outcomes(site, sqlite_url, PARTS[1]) == []  # never fetched

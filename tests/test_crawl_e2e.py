"""End to end: `wenku crawl` of the demo library into a real archive (SQLite and PostgreSQL).

The demo server runs in this process on loopback; the crawl runs as the real CLI in a
child process. Assertions compare the archive with the site's own ground truth and the
server's request log.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from collections import defaultdict
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from crawler.profiles import profile_for_urls
from demosite import DemoServer
from storage.engine import session_factory
from storage.models import Capture, CrawlRun, Document, Page
from tests.conftest import ROOT, run_wenku

PAGES = 60
MAX_DEPTH = 20


def crawl(server: DemoServer, db_url: str, warc: Path, *extra: str) -> dict[str, Any]:
    result = run_wenku(
        "crawl", server.url + "/", "--db", db_url, "--warc-dir", str(warc), "--json", *extra
    )
    assert result.code == 0, result.stderr[-3000:]
    assert "WARNING" not in result.stderr, result.stderr[-3000:]
    return result.json()


def expected_hashes(truth: dict[str, Any]) -> set[str]:
    """Every text a crawl can reach: pages robots.txt allows, and their 扩展阅读 articles."""
    hashes: set[str] = set()
    for page in truth["pages"].values():
        if page.get("content_hash") and page.get("crawlable", True) and page["status"] == 200:
            hashes.add(page["content_hash"])
            hashes.update(extra["content_hash"] for extra in page.get("extended_reading", []))
    return hashes


def captures_by_path(db_url: str, base: str) -> dict[str, list[tuple[Any, ...]]]:
    query = (
        select(Page.url, Capture.http_status, Capture.outcome, Capture.document_id, Capture.error)
        .join(Page, Page.id == Capture.page_id)
        .order_by(Capture.id)
    )
    found: dict[str, list[tuple[Any, ...]]] = defaultdict(list)
    with session_factory(db_url)() as session:
        for url, *rest in session.execute(query):
            found[url.removeprefix(base)].append(tuple(rest))
    return found


@pytest.fixture
def first_night(db_url: str, tmp_path: Path) -> Any:
    with DemoServer(pages=PAGES, seed=7, night=1) as server:
        summary = crawl(server, db_url, tmp_path / "warc")
        yield server, summary, db_url, tmp_path


def test_every_document_archived_exactly_once(first_night: Any) -> None:
    server, summary, db_url, _ = first_night
    truth = server.site.truth()
    assert summary["status"] == "finished"
    with session_factory(db_url)() as session:
        archived = set(session.scalars(select(Document.content_hash)))
        pages = dict(session.execute(select(Page.url, Page.document_id)).all())
    wanted = expected_hashes(truth)
    assert archived == wanted, (
        f"missing {len(wanted - archived)}, unexpected {len(archived - wanted)}"
    )
    # Mirrors and the two scripts of one text share one document row.
    rows_per_truth: dict[str, set[int | None]] = defaultdict(set)
    for path, page in truth["pages"].items():
        if page.get("content_hash") and server.url + path in pages:
            rows_per_truth[page["content_hash"]].add(pages[server.url + path])
    assert rows_per_truth and all(len(rows) == 1 for rows in rows_per_truth.values())
    assert any(
        len([p for p in truth["pages"].values() if p.get("content_hash") == h]) > 1
        for h in rows_per_truth
    ), "the demo site should publish some text twice"
    documents_by_content_whatever_their_url(server, summary, db_url)
    an_article_over_three_pages_is_one_document(server, db_url)
    authors_as_the_pages_name_them(truth, db_url)


def documents_by_content_whatever_their_url(
    server: DemoServer, summary: dict[str, Any], db_url: str
) -> None:
    truth, base = server.site.truth(), server.url
    with session_factory(db_url)() as session:
        pages = dict(session.execute(select(Page.url, Page.document_id)).all())
    documents = {path for path, page in truth["pages"].items() if page.get("content_hash")}
    shapes = {re.sub(r"\d+|[0-9a-f]{12}|[a-z]{6}(?=\.html)", "N", path) for path in documents}
    assert len(shapes) >= 7  # /doc/N.html, /view/N, /show.asp?id=N, /p-N.html, /p/N, …
    carried = {path for path in documents if truth["pages"][path]["crawlable"]}
    assert all(pages[base + path] is not None for path in carried)
    lists = [*truth["special"]["lists"], truth["special"]["home"], truth["special"]["trap_start"]]
    assert all(pages[base + path] is None for path in lists)  # links, not documents
    old_rule = profile_for_urls([base + "/"]).url_rule_matches
    found_by_rule = {
        doc
        for doc, entry in truth["documents"].items()
        if any(old_rule(base + p) for p in entry["paths"])
    }
    beyond = len(truth["documents"]) - len(found_by_rule)
    assert summary["documents_beyond_url_rule"] == beyond > 0
    with session_factory(db_url)() as session:
        stats = session.scalar(select(CrawlRun.stats).where(CrawlRun.id == summary["run_id"]))
    assert stats["wenku/documents_beyond_url_rule"] == beyond


def authors_as_the_pages_name_them(truth: dict[str, Any], db_url: str) -> None:
    with session_factory(db_url)() as session:
        authors = dict(session.execute(select(Document.content_hash, Document.author)).all())
    wanted = {content_hash: doc["author"] for content_hash, doc in truth["documents"].items()}
    assert {h: authors[h] for h in wanted} == wanted
    assert any(wanted.values()) and not all(wanted.values())


def an_article_over_three_pages_is_one_document(server: DemoServer, db_url: str) -> None:
    (parts,) = server.site.truth()["special"]["articles"]
    urls = [server.url + path for path in parts]
    with session_factory(db_url)() as session:
        rows = session.execute(
            select(Page.url, Page.document_id, Page.article_part, Page.etag).where(
                Page.url.in_(urls)
            )
        ).all()
        captures = session.execute(
            select(Capture.warc_file, Capture.warc_offset, Capture.outcome)
            .join(Page, Page.id == Capture.page_id)
            .where(Page.url.in_(urls))
        ).all()
    assert sorted((url, part) for url, _, part, _ in rows) == list(
        zip(urls, [1, 2, 3], strict=True)
    )
    assert len({document for _, document, _, _ in rows}) == 1  # one document, three pages
    assert all(etag is None for *_, etag in rows)  # fetched whole, so a changed part is seen
    assert len(captures) == 3 and len({(f, o) for f, o, _ in captures}) == 3  # own WARC records
    assert sorted(outcome for *_, outcome in captures) == ["duplicate", "duplicate", "new"]
    exported = run_wenku("export", "--db", db_url)
    assert exported.code == 0, exported.stderr[-2000:]
    rows_out = [json.loads(line) for line in exported.stdout.splitlines()]
    (article,) = [row for row in rows_out if set(urls) <= set(row["urls"])]
    assert article["urls"][:3] == urls


def test_robots_trap_flaky_pdf_and_missing(first_night: Any) -> None:
    server, _, db_url, _ = first_night
    special = server.site.truth()["special"]
    paths = [entry.path for entry in server.request_log]
    assert "/robots.txt" in paths
    assert not [p for p in paths if p.startswith(special["disallowed_prefix"])]
    assert 0 < len([p for p in paths if p.startswith(special["trap_prefix"])]) <= MAX_DEPTH + 1
    with session_factory(db_url)() as session:
        pages = session.execute(select(Page.url, Page.fetch_count)).all()
    # The frontier holds only links the crawl requested: nothing past the depth limit.
    trap = [url for url, _ in pages if url.startswith(server.url + special["trap_prefix"])]
    assert len(trap) <= MAX_DEPTH + 1
    assert not [url for url, _ in pages if "#" in url]  # a #fragment names no other page
    once = [path for path in paths if path not in special["flaky"]]
    assert len(once) == len(set(once))  # every page fetched once, the home page too
    captures = captures_by_path(db_url, server.url)
    for flaky in special["flaky"]:
        assert paths.count(flaky) >= 2  # a 500, then the retry that succeeded
        assert captures[flaky][0][:3] == (500, "failed", None)  # the 500 is a capture too
        assert captures[flaky][-1][:2] == (200, "new") or captures[flaky][-1][:2] == (
            200,
            "duplicate",
        )
        assert captures[flaky][-1][2] is not None
    for pdf in special["pdf"]:
        assert captures[pdf] == [(200, "skipped", None, None)]
    for missing in special["missing"]:
        assert captures[missing] == [(404, "failed", None, "HTTP 404")]
    # Nothing else answered 404: the crawl asks for no page the site does not link to.
    lost = {path for path, rows in captures.items() if any(row[0] == 404 for row in rows)}
    assert lost == set(special["missing"])


def test_robots_txt_holds_for_many_first_requests_at_once(sqlite_url: str, tmp_path: Path) -> None:
    # Every start URL waits for robots.txt together (scrapy/scrapy#6802 let all but one through).
    with DemoServer(pages=20, seed=7, night=1) as server:
        private = server.site.truth(bodies=False)["special"]["private"]
        urls = [server.url + "/"] + [server.url + path for path in private]
        result = run_wenku(
            "crawl", *urls, "--db", sqlite_url, "--warc-dir", str(tmp_path), "--json"
        )
        assert result.code == 0, result.stderr[-2000:]
        fetched = [entry.path for entry in server.request_log]
    assert len(private) >= 2
    assert not set(private) & set(fetched)


def test_scrapy_command_line_crawls_into_the_archive(sqlite_url: str, tmp_path: Path) -> None:
    from tests.pageserver import PageServer

    seed = (ROOT / "tests" / "fixtures" / "pages" / "seogis_583455.gbk.html").read_bytes()
    with PageServer() as server:
        server.set("/", b'<a href="/gongwen/583455.html">x</a>', "text/html")
        server.set("/gongwen/583455.html", seed)
        env = {**os.environ, "WENKU_DB_URL": sqlite_url, "WENKU_WARC_DIR": str(tmp_path)}
        command = [sys.executable, "-m", "scrapy", "crawl", "library", "-a", f"url={server.url}/"]
        done = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    with session_factory(sqlite_url)() as session:
        titles = session.scalars(select(Document.title)).all()
    assert "政府自身建设" in titles


def test_page_budget_stops_the_crawl(sqlite_url: str, tmp_path: Path) -> None:
    with DemoServer(pages=60, seed=7, night=1) as server:
        summary = crawl(server, sqlite_url, tmp_path / "warc", "--max-pages", "10")
    assert summary["finish_reason"] == "closespider_pagecount"
    assert 10 <= summary["fetched"] < 40  # requests already in flight still land
    with session_factory(sqlite_url)() as session:
        frontier = session.scalars(select(Page.url).where(Page.fetch_count == 0)).all()
    # Every in-scope link is remembered for the next crawl, whatever its URL looks like.
    old_rule = profile_for_urls([server.url + "/"]).url_rule_matches
    assert any(old_rule(url) for url in frontier) and any(not old_rule(url) for url in frontier)

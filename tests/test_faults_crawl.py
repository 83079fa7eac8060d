"""Issue 11, items 5 and 7: a hostile server on loopback against a real crawl.

Every response the server sends is a capture with an outcome (a gzip bomb, a meta
refresh); a robots.txt answering 5xx means complete disallow (RFC 9309), retried; 4xx
means allow all. Each test compares what the server logged with what the archive holds.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

from sqlalchemy import select

from storage.engine import session_factory
from storage.models import Capture, Page
from tests.conftest import ROOT, run_wenku
from tests.hostile import HostileServer, Reply, gzip_bomb, page

FAST = {"DOWNLOAD_DELAY": "0", "AUTOTHROTTLE_ENABLED": "False", "LOG_LEVEL": "INFO"}
HOME = '<a href="/doc/1.html">one</a> <a href="/private/2.html">two</a>'
ARTICLE = "<html><head><title>通知</title></head><body><p>" + "正文。" * 50 + "</p></body></html>"


def scrapy_crawl(
    server: HostileServer, db_url: str, warc: Path, start: str = "", **settings: str
) -> subprocess.CompletedProcess[str]:
    """`scrapy crawl library` (wenku's components; settings given with -s) into `db_url`,
    from `start` (comma-separated URLs; default the server's home page)."""
    flags = [
        arg for name, value in {**FAST, **settings}.items() for arg in ("-s", f"{name}={value}")
    ]
    url = start or f"{server.url}/"
    command = [sys.executable, "-m", "scrapy", "crawl", "library", "-a", f"url={url}"]
    env = {**os.environ, "WENKU_DB_URL": db_url, "WENKU_WARC_DIR": str(warc)}
    return subprocess.run(
        [*command, *flags], cwd=ROOT, env=env, capture_output=True, text=True, timeout=240
    )


def captures(db_url: str, base: str) -> dict[str, list[tuple[Any, ...]]]:
    query = (
        select(Page.url, Capture.http_status, Capture.outcome, Capture.error)
        .join(Page, Page.id == Capture.page_id)
        .order_by(Capture.id)
    )
    found: dict[str, list[tuple[Any, ...]]] = defaultdict(list)
    with session_factory(db_url)() as session:
        for url, *rest in session.execute(query):
            found[url.removeprefix(base)].append(tuple(rest))
    return found


def site(robots: Any) -> HostileServer:
    return HostileServer(
        {
            "/robots.txt": robots,
            "/": page(HOME),
            "/doc/1.html": page(ARTICLE),
            "/private/2.html": page(ARTICLE),
        }
    )


def test_a_robots_txt_answering_5xx_disallows_everything(sqlite_url: str, tmp_path: Path) -> None:
    allow_all = b"User-agent: *\nAllow: /\n"  # an error page's body is no robots.txt
    with site(page(allow_all, status=503, content_type="text/plain")) as server:
        done = scrapy_crawl(server, sqlite_url, tmp_path, WENKU_ROBOTSTXT_RETRY_DELAY="0.2")
        asked = list(server.log)
    assert done.returncode == 0, done.stderr[-3000:]
    assert asked == ["/robots.txt"] * 3  # the first answer and two retries; no page
    assert "'wenku/robotstxt_unavailable': 1" in done.stderr
    assert captures(sqlite_url, server.url) == {}


def test_a_robots_txt_that_recovers_is_obeyed_once_it_answers(
    sqlite_url: str, tmp_path: Path
) -> None:
    rules = b"User-agent: *\nDisallow: /private/\n"

    def robots(seen: int) -> Reply:
        status = 503 if seen == 0 else 200
        return Reply(status, rules, (("Content-Type", "text/plain"),))

    with site(robots) as server:
        done = scrapy_crawl(server, sqlite_url, tmp_path, WENKU_ROBOTSTXT_RETRY_DELAY="0.2")
        asked = list(server.log)
    assert done.returncode == 0, done.stderr[-3000:]
    assert asked.count("/robots.txt") == 2 and "/private/2.html" not in asked
    found = captures(sqlite_url, server.url)
    assert sorted(found) == ["/", "/doc/1.html"]
    assert found["/doc/1.html"] == [(200, "new", None)]


def test_a_robots_txt_answering_4xx_allows_everything(sqlite_url: str, tmp_path: Path) -> None:
    not_found = b"<html><body>User-agent: *<br>Disallow: /</body></html>"  # a 404 page's text
    with site(page(not_found, status=404)) as server:
        done = scrapy_crawl(server, sqlite_url, tmp_path)
        asked = list(server.log)
    assert done.returncode == 0, done.stderr[-3000:]
    assert sorted(set(asked)) == ["/", "/doc/1.html", "/private/2.html", "/robots.txt"]
    assert sorted(captures(sqlite_url, server.url)) == ["/", "/doc/1.html", "/private/2.html"]


def crawl_json(server: HostileServer, db_url: str, warc: Path) -> dict[str, Any]:
    result = run_wenku("crawl", server.url + "/", "--db", db_url, "--warc-dir", str(warc), "--json")
    assert result.code == 0, result.stderr[-3000:]
    return dict(result.json())


def every_answer_is_a_capture(server: HostileServer, found: dict[str, list[Any]]) -> None:
    answered = [path for path in server.log if path != "/robots.txt"]
    assert sorted(answered) == sorted(path for path, rows in found.items() for _ in rows)


def test_a_gzip_bomb_is_a_failed_capture_counted_in_the_summary(
    sqlite_url: str, tmp_path: Path
) -> None:
    home = '<a href="/bomb.html">bomb</a> <a href="/huge.html">huge</a> <a href="/doc/1.html">1</a>'
    routes = {"/": page(home), "/bomb.html": gzip_bomb(40 * 2**20), "/doc/1.html": page(ARTICLE)}
    routes["/huge.html"] = page(b" " * (33 * 2**20))  # past DOWNLOAD_MAXSIZE as it is
    with HostileServer(routes) as server:
        summary = crawl_json(server, sqlite_url, tmp_path / "warc")
        found = captures(sqlite_url, server.url)
        every_answer_is_a_capture(server, found)
    assert summary["status"] == "finished"
    assert summary["fetched"] == 4 and summary["outcomes"]["failed"] == 2
    [(status, outcome, error)] = found["/bomb.html"]
    assert (status, outcome) == (200, "failed")
    assert "exceeded DOWNLOAD_MAXSIZE" in error and "during decompression" in error
    [(status, outcome, error)] = found["/huge.html"]  # cancelled as its headers came in
    assert (status, outcome) == (None, "failed") and "larger than download max size" in error
    assert found["/doc/1.html"] == [(200, "new", None)]


def test_a_page_with_a_meta_refresh_is_a_capture_and_its_target_is_followed(
    sqlite_url: str, tmp_path: Path
) -> None:
    moved = (
        '<html><head><meta http-equiv="refresh" content="0; url=/new/1.html">'
        "<title>已迁移</title></head><body>本页已迁移</body></html>"
    )
    slow = '<html><head><meta http-equiv="refresh" content="3600; url=/never.html"></head></html>'
    home = '<a href="/old/1.html">old</a> <a href="/clock.html">clock</a>'
    routes = {"/": page(home), "/old/1.html": page(moved), "/new/1.html": page(ARTICLE)}
    routes["/clock.html"] = page(slow)  # a refresh an hour away only reloads: not followed
    with HostileServer(routes) as server:
        summary = crawl_json(server, sqlite_url, tmp_path / "warc")
        found = captures(sqlite_url, server.url)
        every_answer_is_a_capture(server, found)
        asked = list(server.log)
    assert sorted(found) == ["/", "/clock.html", "/new/1.html", "/old/1.html"]
    assert "/never.html" not in asked
    [(status, _, error)] = found["/old/1.html"]  # archived as what it is (the cleaner judges)
    assert status == 200 and error is None
    assert found["/new/1.html"] == [(200, "new", None)]
    assert summary["fetched"] == 4


def test_a_host_refused_for_its_robots_txt_is_asked_again_later(
    sqlite_url: str, tmp_path: Path
) -> None:
    """With no retries and no wait, the next request to the host asks for robots.txt again."""

    def robots(seen: int) -> Reply:
        return Reply(503 if seen == 0 else 200, b"User-agent: *\nAllow: /\n")

    with HostileServer({"/robots.txt": robots}) as other:
        other.routes["/b1.html"] = other.routes["/b2.html"] = page(ARTICLE)

        def after_other_robots(_: int) -> Reply:  # link to b2 once b1's robots.txt failed
            deadline = time.monotonic() + 120
            while other.requests_for("/robots.txt") == 0 and time.monotonic() < deadline:
                time.sleep(0.01)
            return Reply(200, f'<a href="{other.url}/b2.html">b2</a>'.encode())

        routes = {"/": page('<a href="/a2.html">a2</a>'), "/a2.html": after_other_robots}
        with HostileServer(routes) as server:
            done = scrapy_crawl(
                server,
                sqlite_url,
                tmp_path,
                start=f"{server.url}/,{other.url}/b1.html",
                WENKU_ROBOTSTXT_RETRIES="0",
                WENKU_ROBOTSTXT_RETRY_AFTER="0",
            )
            asked = list(other.log)
    assert done.returncode == 0, done.stderr[-3000:]
    assert asked == ["/robots.txt", "/robots.txt", "/b2.html"]  # b1 refused, b2 fetched
    assert "'wenku/robotstxt_unavailable': 1" in done.stderr

"""Several crawl processes sharing one crawl through a Redis frontier, into one PostgreSQL
archive (issue 12, item 4), against the demo site on loopback and the real servers.

Each test uses a frontier run name of its own (so a key prefix of its own in Redis) and
a PostgreSQL database of its own.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select

from demosite import DemoServer
from storage.engine import session_factory, upgrade
from storage.models import Document, Page
from tests.conftest import POSTGRES_URL, ROOT, SKIP_POSTGRES, fresh_postgres_database

REDIS_URL = os.environ.get("WENKU_TEST_REDIS_URL")
SKIP_REDIS = (
    "frontier tests need Redis: set WENKU_TEST_REDIS_URL=redis://127.0.0.1:6379/0 (.ci/run does)"
)
PAGES = 60
DEADLINE = 300.0


def fetched_twice(server: DemoServer) -> list[str]:
    """Paths the server answered more than once, less those fetched again by design: each
    process reads robots.txt; flaky pages are retried; an article split over pages may be
    fetched by two processes (each keeps its own article bookkeeping: docs/scaling.md)."""
    special = server.site.truth(bodies=False)["special"]
    expected = {"/robots.txt", *special["flaky"]}
    expected.update(path for article in special["articles"] for path in article)
    fetched = Counter(entry.path for entry in server.request_log)
    return sorted(path for path, n in fetched.items() if n > 1 and path not in expected)


@pytest.fixture
def frontier() -> Iterator[str]:
    if not REDIS_URL:
        pytest.skip(SKIP_REDIS)
    import redis

    run = f"test-{uuid.uuid4().hex[:12]}"
    yield run
    client = redis.Redis.from_url(REDIS_URL)
    keys = list(client.scan_iter(match=f"wenku:*:{run}:*"))
    if keys:
        client.delete(*keys)
    client.close()


@pytest.fixture
def archives() -> Iterator[tuple[str, str]]:
    """Two empty PostgreSQL archives: the shared crawl's and a single process's."""
    if not POSTGRES_URL:
        pytest.skip(SKIP_POSTGRES)
    with (
        fresh_postgres_database(POSTGRES_URL) as shared,
        fresh_postgres_database(POSTGRES_URL) as single,
    ):
        upgrade(shared)
        upgrade(single)
        yield shared, single


def start(url: str, db_url: str, warc: Path, *extra: str) -> subprocess.Popen[str]:
    command = [sys.executable, "-m", "wenku", "crawl", url + "/", "--db", db_url]
    command += ["--warc-dir", str(warc), "--json", *extra]
    env = {**os.environ, "WENKU_DB_URL": ""}
    return subprocess.Popen(
        command, cwd=ROOT, env=env, text=True, stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )


def finish(processes: list[subprocess.Popen[str]]) -> list[tuple[int, str]]:
    try:
        return [(p.wait(DEADLINE), p.communicate()[1]) for p in processes]
    finally:
        for process in processes:
            if process.poll() is None:
                process.kill()
                process.communicate()


def archive_of(db_url: str, base: str) -> tuple[set[str], set[str]]:
    """The page paths and document hashes an archive holds."""
    with session_factory(db_url)() as session:
        paths = {url.removeprefix(base) for url in session.scalars(select(Page.url))}
        hashes = set(session.scalars(select(Document.content_hash)))
    return paths, hashes


def single_crawl(server: DemoServer, db_url: str, tmp: Path) -> tuple[set[str], set[str]]:
    [(code, err)] = finish([start(server.url, db_url, tmp / "single")])
    assert code == 0, err[-2000:]
    return archive_of(db_url, server.url)


def test_two_processes_share_one_crawl_and_archive_what_one_would(
    frontier: str, archives: tuple[str, str], tmp_path: Path
) -> None:
    shared, single = archives
    flags = ("--frontier", str(REDIS_URL), "--frontier-run", frontier)
    with DemoServer(pages=PAGES, seed=7, night=1) as server:
        crawls = [start(server.url, shared, tmp_path / f"w{n}", *flags) for n in range(2)]
        results = finish(crawls)  # an empty frontier ends both
        twice = fetched_twice(server)
        server.request_log.clear()
        expected = single_crawl(server, single, tmp_path)
    for code, err in results:
        assert code == 0, err[-2000:]
    assert twice == []  # each URL fetched once across both processes
    assert archive_of(shared, server.url) == expected


def test_one_of_two_killed_the_other_finishes_and_nothing_is_lost(
    frontier: str, archives: tuple[str, str], tmp_path: Path
) -> None:
    shared, single = archives
    flags = ("--frontier", str(REDIS_URL), "--frontier-run", frontier)
    with DemoServer(pages=PAGES * 3, seed=7, night=1) as server:
        victim = start(server.url, shared, tmp_path / "victim", *flags)
        survivor = start(server.url, shared, tmp_path / "survivor", *flags)
        deadline = time.monotonic() + DEADLINE
        while len(server.request_log) < 40:
            assert time.monotonic() < deadline and survivor.poll() is None, "no progress"
            time.sleep(0.1)
        victim.send_signal(signal.SIGKILL)
        [(code, err)] = finish([survivor])
        finish([victim])
        server.request_log.clear()
        expected = single_crawl(server, single, tmp_path)
    assert code == 0, err[-2000:]
    paths, hashes = archive_of(shared, server.url)
    assert paths == expected[0]
    assert hashes == expected[1], (hashes - expected[1], expected[1] - hashes)


def test_the_nightly_flow_fans_a_site_out_to_processes_on_the_frontier(
    frontier: str,
    archives: tuple[str, str],
    prefect_api: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from prefect.settings import PREFECT_API_URL, temporary_settings

    from flows.nightly import nightly_crawl

    shared, _ = archives
    with DemoServer(pages=PAGES, seed=7, night=1) as server:
        config = tmp_path / "wenku.toml"
        config.write_text(
            f'[frontier]\nurl = "{REDIS_URL}"\n[sites.demo]\nstart_urls = ["{server.url}/"]\n'
        )
        for name, value in {
            "WENKU_DB_URL": shared,
            "WENKU_CONFIG": str(config),
            "WENKU_WARC_DIR": str(tmp_path / "warc"),
            "WENKU_STATE_DIR": str(tmp_path / "state"),
        }.items():
            monkeypatch.setenv(name, value)
        with temporary_settings(updates={PREFECT_API_URL: prefect_api}):  # the session's server
            [summary] = nightly_crawl(["demo"], processes=2, retries=0)
        fetched = Counter(entry.path for entry in server.request_log)
        twice = fetched_twice(server)
    assert len(summary["processes"]) == 2
    assert all(run["status"] == "finished" for run in summary["processes"])
    assert twice == []
    assert summary["fetched"] == sum(fetched.values()) - fetched["/robots.txt"]


def test_a_url_taken_twice_stays_in_flight_until_both_are_archived(frontier: str) -> None:
    """A 5xx is archived while its retry is out: a death then must not lose the retry."""
    import redis
    from scrapy.utils.test import get_crawler

    from crawler.frontier import SharedScheduler, frontier_key, frontier_settings
    from crawler.spiders.library import LibrarySpider

    key = frontier_key("demo", frontier)
    crawler = get_crawler(LibrarySpider, frontier_settings(str(REDIS_URL), key))
    crawler.spider = LibrarySpider.from_crawler(crawler, url="http://127.0.0.1:9/")
    scheduler = SharedScheduler.from_crawler(crawler)
    scheduler.open(crawler.spider)
    client = redis.Redis.from_url(str(REDIS_URL))
    inflight = scheduler._inflight(scheduler.worker)
    try:
        url = "http://127.0.0.1:9/gongwen/flaky.html"
        first = crawler.spider._request(url)
        retry = first.replace(dont_filter=True, meta={"retry_times": 1})
        for request in (first, retry):
            assert scheduler.enqueue_request(request)
            assert scheduler.next_request() is not None
        assert client.hlen(inflight) == 2
        scheduler.archived([url])  # the 500
        assert client.hlen(inflight) == 1
        scheduler.archived([url])  # the retry's 200
        assert client.hlen(inflight) == 0
    finally:
        scheduler.close("finished")
        client.close()

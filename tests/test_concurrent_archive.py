"""Several crawler processes archiving into one PostgreSQL at once (issue 12, item 3):
no duplicate document, page or link, no capture lost, no fetch count lost."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from sqlalchemy import func, select

from crawler.writer import retrying
from demosite import DemoServer
from storage.engine import session_factory, upgrade
from storage.models import Capture, Document, DocumentLink, Page
from tests.conftest import POSTGRES_URL, ROOT, SKIP_POSTGRES, fresh_postgres_database

CRAWLS = 3


@pytest.fixture
def postgres_url() -> object:
    if not POSTGRES_URL:
        pytest.skip(SKIP_POSTGRES)
    with fresh_postgres_database(POSTGRES_URL) as url:
        yield url


def test_three_crawls_of_one_site_into_one_postgresql_at_once(
    postgres_url: str, tmp_path: Path
) -> None:
    upgrade(postgres_url)
    with DemoServer(pages=80, seed=7, night=1) as server:
        crawls = [_start(server.url, postgres_url, tmp_path / f"warc{n}") for n in range(CRAWLS)]
        results = [crawl.communicate(timeout=300) for crawl in crawls]
        served = [entry for entry in server.request_log if entry.path != "/robots.txt"]
    for crawl, (_, err) in zip(crawls, results, strict=True):
        assert crawl.returncode == 0, err[-2000:]
    with session_factory(postgres_url)() as session:
        captures = session.scalar(select(func.count()).select_from(Capture))
        fetch_counts = session.scalar(select(func.sum(Page.fetch_count)))
        urls = session.scalars(select(Page.url)).all()
        hashes = session.scalars(select(Document.content_hash)).all()
        links = session.execute(select(DocumentLink.from_document_id, DocumentLink.to_document_id))
        link_rows = [tuple(row) for row in links]
    assert captures == len(served)  # every response every crawl received is a capture
    assert fetch_counts == captures  # no writer overwrote another's count
    assert len(urls) == len(set(urls)) and len(hashes) == len(set(hashes))
    assert len(link_rows) == len(set(link_rows))
    per_path = {entry.path for entry in served}
    assert len(served) >= CRAWLS * len(per_path) - 10  # each crawl fetched (nearly) all


def _start(base: str, db_url: str, warc: Path) -> subprocess.Popen[str]:
    command = [sys.executable, "-m", "wenku", "crawl", base + "/", "--db", db_url]
    command += ["--warc-dir", str(warc), "--json"]
    return subprocess.Popen(
        command,
        cwd=ROOT,
        env={**os.environ, "WENKU_DB_URL": ""},
        text=True,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )


def test_writers_racing_on_the_same_pages_lose_no_count(postgres_url: str) -> None:
    from tests.test_archive import cleaned

    upgrade(postgres_url)
    urls = [f"http://x/doc/{n}.html" for n in range(40)]
    start = threading.Barrier(WRITERS)
    errors: list[BaseException] = []

    def write() -> None:
        try:
            start.wait()
            for round_ in range(ROUNDS):
                items = [cleaned(url, f"正文{n % 7}{round_ % 2}") for n, url in enumerate(urls)]
                retrying(session_factory(postgres_url), _batch(items), 60)
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=write) for _ in range(WRITERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors, errors
    with session_factory(postgres_url)() as session:
        fetch_counts = session.scalars(select(Page.fetch_count)).all()
        captures = session.scalar(select(func.count()).select_from(Capture))
    assert len(fetch_counts) == len(urls)
    assert captures == WRITERS * ROUNDS * len(urls)
    assert sum(fetch_counts) == captures  # no update lost between writers


WRITERS, ROUNDS = 4, 5


def _batch(items: list) -> object:  # type: ignore[type-arg]
    from storage.archive import archive_batch

    return lambda session: archive_batch(session, items, None)

"""`wenku browse`: Datasette serves a SQLite archive read-only on loopback."""

from __future__ import annotations

import hashlib
import json
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

import pytest

from storage.engine import dispose_all
from tests.analyst_archive import build
from tests.conftest import ROOT, WAIT_SECONDS, kill_session, run_wenku


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def status_of(url: str) -> int:
    try:
        with urllib.request.urlopen(url, timeout=WAIT_SECONDS) as response:
            return int(response.status)
    except urllib.error.HTTPError as error:
        return int(error.code)


def fetch(url: str) -> str:
    """GET `url`, waiting for the server to come up (Datasette takes a while on a busy machine)."""
    deadline = time.monotonic() + WAIT_SECONDS
    while True:
        try:
            with urllib.request.urlopen(url, timeout=WAIT_SECONDS) as response:
                return str(response.read().decode("utf-8"))
        except (urllib.error.URLError, ConnectionError):
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    """A sample archive served by `wenku browse`; yields its base URL and file."""
    archive = tmp_path / "archive.db"
    build(f"sqlite:///{archive}")
    dispose_all()  # the last connection closes: the WAL is checkpointed into the file
    port = free_port()
    output = (tmp_path / "browse.out").open("w+b")  # Datasette prints tracebacks on stdout
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "wenku",
            "browse",
            "--db",
            f"sqlite:///{archive}",
            "--port",
            str(port),
        ],
        cwd=ROOT,
        env={**os.environ, "WENKU_DB_URL": ""},
        stdout=output,
        stderr=subprocess.PIPE,
        start_new_session=True,
    )
    try:
        yield f"http://127.0.0.1:{port}", archive
    finally:
        server.terminate()
        try:
            _, stderr = server.communicate(timeout=WAIT_SECONDS)
        finally:
            kill_session(server)
        output.seek(0)
        printed = output.read() + stderr
        output.close()
        assert b"Traceback" not in printed, printed.decode()


def test_serves_a_page_listing_the_tables_and_searches(served: tuple[str, Path]) -> None:
    base, archive = served
    before = hashlib.sha256(archive.read_bytes()).hexdigest()
    page = fetch(f"{base}/archive")
    for table in ("documents", "pages", "captures", "crawl_runs", "document_versions"):
        assert f'href="/archive/{table}"' in page
    found = json.loads(
        fetch(f"{base}/archive/documents.json?_shape=array&_search={quote('执行力')}")
    )
    assert [row["title"] for row in found] == ["政府自身建设"]
    assert hashlib.sha256(archive.read_bytes()).hexdigest() == before


BAD_REQUESTS = [
    "/archive/documents?_sort=nope",
    "/archive/documents?_sort_desc=nope",
    "/archive/documents?_sort=id&_sort_desc=id",
    "/archive/documents?_sort=rowid",
    "/archive/latest_documents?_sort=nope",
    "/archive/documents?_timelimit=abc",
    "/archive/documents?_size=abc",
    "/archive/documents.json?_sort=nope",
    "/archive/no_such_table",
    "/no_such_database/documents",
    "/archive/documents/999999",
]


def test_bad_paths_and_sorts_answer_4xx_without_a_traceback(served: tuple[str, Path]) -> None:
    base, _ = served
    fetch(f"{base}/archive")  # up
    statuses = {path: status_of(base + path) for path in BAD_REQUESTS}
    assert all(400 <= status < 500 for status in statuses.values()), statuses
    bad_sort = urllib.request.Request(f"{base}/archive/documents.json?_sort=nope")
    with pytest.raises(urllib.error.HTTPError) as answer:
        urllib.request.urlopen(bad_sort, timeout=WAIT_SECONDS)
    assert json.loads(answer.value.read())["error"] == "Cannot sort table by nope"
    # the fixture then checks that the server printed no traceback


@pytest.mark.parametrize(
    "db,message",
    [
        ("postgresql+psycopg://postgres@127.0.0.1:9/x", "SQLite archives only"),
        ("sqlite:///{tmp}/none.db", "no archive"),
    ],
)
def test_what_it_cannot_serve_is_a_usage_error(tmp_path: Path, db: str, message: str) -> None:
    result = run_wenku("browse", "--db", db.format(tmp=tmp_path), "--port", str(free_port()))
    assert result.code == 2 and message in result.stderr
    assert not (tmp_path / "none.db").exists()

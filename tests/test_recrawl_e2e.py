"""Recrawls that remember: night 2 of the demo site against night 1, recrawl, reprocess, resume.

Night 2 changes a paragraph in ~10% of pages, removes a few (410) and adds a few; every
expectation below is computed from the two nights' ground truth.
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select, text

from demosite import DemoServer, DemoSite
from storage.engine import session_factory
from storage.models import Document, DocumentLink, Page
from tests.conftest import ROOT, WAIT_SECONDS, kill_session, run_wenku, wait_for
from tests.test_crawl_e2e import captures_by_path, crawl, expected_hashes

PAGES = 60


def document_paths(truth: dict[str, Any]) -> dict[str, str]:
    return {
        path: page["content_hash"]
        for path, page in truth["pages"].items()
        if page.get("content_hash")
        and page.get("status", 200) == 200
        and page.get("crawlable", True)
    }


def night_two_expectations(night1: dict[str, Any], night2: dict[str, Any]) -> dict[str, set[str]]:
    before, after = document_paths(night1), document_paths(night2)
    gone = {
        p
        for p, page in night2["pages"].items()
        if page.get("status") == 410 and page.get("crawlable", True)
    }
    return {
        "changed": {p for p in before.keys() & after.keys() if before[p] != after[p]},
        "not_modified": {p for p in before.keys() & after.keys() if before[p] == after[p]},
        "gone": gone & before.keys(),
        "new": after.keys() - before.keys(),
    }


@pytest.fixture
def two_nights(db_url: str, tmp_path: Path) -> Any:
    with DemoServer(pages=PAGES, seed=7, night=1) as server:
        crawl(server, db_url, tmp_path / "warc")
        night1 = server.site.truth()
        server.set_night(2)
        mark = len(server.request_log)
        summary = crawl(server, db_url, tmp_path / "warc")
        yield server, night1, server.site.truth(), summary, server.request_log[mark:], db_url


def test_night_two_outcomes_match_the_truth(two_nights: Any) -> None:
    server, night1, night2, summary, log, db_url = two_nights
    expect = night_two_expectations(night1, night2)
    assert all(expect.values()), f"the demo's night 2 should change, remove and add: {expect}"
    (article,) = night2["special"]["articles"]  # its second page changed: all three did
    assert set(article) <= expect["changed"]
    captures = captures_by_path(db_url, server.url)
    last = {path: rows[-1][:2] for path, rows in captures.items()}  # (status, outcome)
    accepted = {
        "changed": {(200, "changed")},
        "not_modified": {(304, "not_modified")},
        "gone": {(410, "failed")},
        "new": {(200, "new"), (200, "duplicate")},  # a new page may repeat a known text
    }
    for kind, paths in expect.items():
        wrong = {path: last.get(path) for path in paths if last.get(path) not in accepted[kind]}
        assert not wrong, f"{kind}: {wrong}"
    conditional = [
        e for e in log if e.headers.get("if-none-match") or e.headers.get("if-modified-since")
    ]
    assert {e.path for e in conditional} >= expect["not_modified"]
    assert summary["outcomes"]["not_modified"] == len(expect["not_modified"])


def test_nothing_from_night_one_is_lost(two_nights: Any) -> None:
    server, night1, _, _, _, db_url = two_nights
    expect = night_two_expectations(night1, server.site.truth())
    with session_factory(db_url)() as session:
        archived = set(session.scalars(select(Document.content_hash)))
        assert expected_hashes(night1) <= archived
        for path in expect["changed"]:
            versions = (
                session.execute(
                    text("SELECT content_hash FROM document_versions WHERE url = :url"),
                    {"url": server.url + path},
                )
                .scalars()
                .all()
            )
            assert len(versions) == 2
        gone = session.scalars(
            select(Page).where(Page.url.in_([server.url + p for p in expect["gone"]]))
        ).all()
        assert len(gone) == len(expect["gone"])
        assert all(page.gone_at is not None and page.document_id is not None for page in gone)
        near = session.scalar(
            select(func.count())
            .select_from(DocumentLink)
            .where(DocumentLink.kind == "near_duplicate")
        )
        assert near >= len(expect["changed"]) // 2  # an edited paragraph leaves most text alike


def test_recrawl_reports_each_kind_of_page(db_url: str, tmp_path: Path) -> None:
    with DemoServer(pages=PAGES, seed=7, night=1) as server:
        crawl(server, db_url, tmp_path / "warc")
        night1 = server.site.truth()
        server.set_night(2)
        expect = night_two_expectations(night1, server.site.truth())
        cases = {
            "changed": sorted(expect["changed"])[0],
            "not_modified": sorted(expect["not_modified"])[0],
            "failed": sorted(expect["gone"])[0],
            "new": sorted(expect["new"])[0],
        }
        for outcome, path in cases.items():
            result = run_wenku(
                "recrawl",
                "--direct",
                server.url + path,
                "--db",
                db_url,
                "--json",
                "--warc-dir",
                str(tmp_path / "warc"),
            )
            assert result.code == (1 if outcome == "failed" else 0), result.stderr[-2000:]
            record = result.json()
            assert record["outcome"] in ({outcome, "duplicate"} if outcome == "new" else {outcome})
            assert set(record) >= {"url", "outcome", "content_hash", "fetched_at", "http_status"}
    assert record["http_status"] == 200
    gone = run_json_status(cases["failed"], server.url, db_url)
    assert gone == (410, True)


def run_json_status(path: str, base: str, db_url: str) -> tuple[int, bool]:
    captures = captures_by_path(db_url, base)[path]
    with session_factory(db_url)() as session:
        page = session.scalars(select(Page).where(Page.url == base + path)).one()
    return captures[-1][0], page.gone_at is not None


OLD_RULE = """
import dataclasses, hashlib
import pipeline
_process = pipeline.process_page

def _old_rule(raw):  # an older cleaner that left a signature line in every body
    record = _process(raw)
    doc = record.document
    if doc is None:
        return record
    body = doc.body + "\\n本文由旧版规则整理"
    digest = hashlib.sha256(body.encode()).hexdigest()
    new = dataclasses.replace(doc, body=body, content_hash=digest)
    return dataclasses.replace(record, document=new)

pipeline.process_page = _old_rule
"""


def test_reprocess_recleans_from_warc_alone(sqlite_url: str, tmp_path: Path) -> None:
    shim = tmp_path / "shim"
    shim.mkdir()
    (shim / "sitecustomize.py").write_text(OLD_RULE, encoding="utf-8")
    pythonpath = os.pathsep.join([str(shim), os.environ.get("PYTHONPATH", "")])
    with DemoServer(pages=PAGES, seed=7, night=1) as server:
        result = run_wenku(
            "crawl",
            server.url + "/",
            "--db",
            sqlite_url,
            "--warc-dir",
            str(tmp_path / "warc"),
            "--json",
            PYTHONPATH=pythonpath,
        )
        assert result.code == 0, result.stderr[-2000:]
        truth = server.site.truth()
    with session_factory(sqlite_url)() as session:
        assert not set(truth["documents"]) & set(session.scalars(select(Document.content_hash)))
    # The server is gone: reprocess can only read the WARC files.
    result = run_wenku("reprocess", "--db", sqlite_url, "--json")
    assert result.code == 0, result.stderr[-2000:]
    summary = result.json()
    assert summary["documents_changed"] > 0 and summary["unreadable"] == 0
    with session_factory(sqlite_url)() as session:
        current = set(
            session.scalars(
                select(Document.content_hash).join(Page, Page.document_id == Document.id)
            )
        )
    assert current == set(truth["documents"])


class Gate:
    """Wraps a DemoServer's `respond`: the first `open_for` responses go out, later ones wait
    until `release()`. A crawl then cannot finish before the test has stopped it, however
    fast the machine is or however slowly the test itself gets to run."""

    def __init__(self, respond: Any, open_for: int):
        self.respond, self.open_for = respond, open_for
        self.served = 0
        self.lock = threading.Lock()
        self.opened = threading.Event()

    def __call__(self, path: str) -> Any:
        with self.lock:
            self.served += 1
            held = self.served > self.open_for
        if held:
            self.opened.wait(WAIT_SECONDS)
        return self.respond(path)

    def release(self) -> None:
        self.opened.set()


def test_a_killed_crawl_resumes_without_refetching(sqlite_url: str, tmp_path: Path) -> None:
    pages = 400
    site = DemoSite.build(pages=pages, seed=7, night=1)
    with DemoServer(pages=pages, seed=7, night=1) as server:
        gate = Gate(server.respond, open_for=120)
        server.respond = gate  # type: ignore[method-assign]
        command = [
            sys.executable,
            "-m",
            "wenku",
            "crawl",
            server.url + "/",
            "--db",
            sqlite_url,
            "--warc-dir",
            str(tmp_path / "warc"),
            "--json",
        ]
        child = subprocess.Popen(
            command,
            cwd=ROOT,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        try:
            archived_before = wait_for_documents(sqlite_url, minimum=10)
        finally:
            kill_session(child)  # crawler and archive worker at once, as a power cut would
            child.wait()
            gate.release()
        archived = archived_urls(sqlite_url)
        mark = len(server.request_log)
        result = run_wenku(
            "crawl",
            server.url + "/",
            "--db",
            sqlite_url,
            "--due-only",
            "--json",
            "--warc-dir",
            str(tmp_path / "warc"),
        )
        assert result.code == 0, result.stderr[-2000:]
        refetched = {server.url + e.path for e in server.request_log[mark:]}
    assert archived_before >= 10
    assert len(archived) < len(document_paths(site.truth())), "the kill landed mid-crawl"
    assert not archived & refetched
    wanted = {server.url + path for path in document_paths(site.truth())}
    assert archived_urls(sqlite_url) == wanted  # the resumed crawl finished the job


def wait_for_documents(db_url: str, minimum: int) -> int:
    def archived() -> int | None:
        try:
            with session_factory(db_url)() as session:
                count = session.scalar(select(func.count()).select_from(Document)) or 0
        except Exception:  # the archive is still being created
            return None
        return count if count >= minimum else None

    return int(wait_for(archived, f"{minimum} documents archived"))


def archived_urls(db_url: str) -> set[str]:
    with session_factory(db_url)() as session:
        return set(session.scalars(select(Page.url).where(Page.document_id.is_not(None))))

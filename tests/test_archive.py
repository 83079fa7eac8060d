"""The archive writer on a real database: outcomes, idempotence, gone pages, links, views."""

from __future__ import annotations

import hashlib
from dataclasses import replace
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select, text

from pipeline.provenance import Cleaned, Fetch
from pipeline.types import CleanDocument, PageRecord
from storage.archive import RevisitPolicy, archive_batch
from storage.engine import session_factory, upgrade
from storage.models import Capture, Document, DocumentLink, Page

T0 = datetime(2026, 11, 1, 2, 0, tzinfo=UTC)


def doc(body: str, title: str = "标题") -> CleanDocument:
    return CleanDocument(title, body, hashlib.sha256(body.encode()).hexdigest())


def cleaned(url: str, body: str | None, status: int = 200, at: datetime = T0, **kw) -> Cleaned:
    fetch = Fetch(url, "demo", at, status, headers=kw.pop("headers", {}), body=b"<html>")
    if body is None:
        return Cleaned(fetch, None)
    extra = [doc(e, "扩展") for e in kw.pop("extended", [])]
    return Cleaned(fetch, PageRecord(url, None, "utf-8", False, doc(body), extra))


def write(url: str, items: list[Cleaned], run_id: int | None = None) -> list[str]:
    with session_factory(url).begin() as session:
        return archive_batch(session, items, run_id)


def test_outcomes_of_a_first_crawl(db_url: str) -> None:
    upgrade(db_url)
    outcomes = write(
        db_url,
        [
            cleaned("http://x/doc/1.html", "正文一"),
            cleaned("http://x/m/doc/1.html", "正文一"),  # the mobile mirror: same text
            cleaned("http://x/list/1.html", None),
            cleaned("http://x/missing.html", None, status=404),
        ],
    )
    assert outcomes == ["new", "duplicate", "skipped", "failed"]
    with session_factory(db_url)() as session:
        assert session.scalar(select(func.count()).select_from(Document)) == 1
        doc_ids = session.scalars(select(Page.document_id).where(Page.url.like("%doc/1.html")))
        assert len(set(doc_ids)) == 1
        error = session.scalar(select(Capture.error).where(Capture.http_status == 404))
        assert error == "HTTP 404"


def test_recrawl_outcomes_and_history(db_url: str) -> None:
    upgrade(db_url)
    write(db_url, [cleaned("http://x/doc/1.html", "旧文"), cleaned("http://x/doc/2.html", "不变")])
    later = T0 + timedelta(days=1)
    outcomes = write(
        db_url,
        [
            cleaned("http://x/doc/1.html", "新文", at=later),
            cleaned("http://x/doc/2.html", "不变", at=later),
            cleaned("http://x/doc/2.html", None, status=304, at=later),
        ],
    )
    assert outcomes == ["changed", "unchanged", "not_modified"]
    with session_factory(db_url)() as session:
        page = session.scalars(select(Page).where(Page.url == "http://x/doc/1.html")).one()
        assert (page.fetch_count, page.change_count, page.last_changed_at) == (2, 1, later)
        versions = session.execute(
            text("SELECT outcome FROM document_versions WHERE url = 'http://x/doc/1.html'")
        ).scalars()
        assert sorted(versions) == ["changed", "new"]
        assert session.scalar(select(func.count()).select_from(Document)) == 3


def test_gone_page_keeps_its_document_and_comes_back(db_url: str) -> None:
    upgrade(db_url)
    write(db_url, [cleaned("http://x/doc/9.html", "会消失的文")])
    write(db_url, [cleaned("http://x/doc/9.html", None, status=410, at=T0 + timedelta(days=1))])
    with session_factory(db_url)() as session:
        page = session.scalars(select(Page)).one()
        assert page.gone_at is not None and page.document_id is not None
    write(db_url, [cleaned("http://x/doc/9.html", "会消失的文", at=T0 + timedelta(days=2))])
    with session_factory(db_url)() as session:
        assert session.scalars(select(Page)).one().gone_at is None


def test_writing_a_batch_twice_makes_no_second_document(db_url: str) -> None:
    upgrade(db_url)
    batch = [cleaned("http://x/doc/1.html", "正文", extended=["共享的扩展阅读"])]
    write(db_url, batch)
    write(db_url, batch)
    with session_factory(db_url)() as session:
        assert session.scalar(select(func.count()).select_from(Document)) == 2
        assert session.scalar(select(func.count()).select_from(DocumentLink)) == 1
        assert session.scalar(select(func.count()).select_from(Page)) == 1


def test_revisit_interval_grows_with_stability() -> None:
    policy = RevisitPolicy(timedelta(days=1), timedelta(days=30))
    assert policy.next_fetch_at(T0, T0) == T0 + timedelta(days=1)
    assert policy.next_fetch_at(T0, T0 - timedelta(days=10)) == T0 + timedelta(days=5)
    assert policy.next_fetch_at(T0, T0 - timedelta(days=365)) == T0 + timedelta(days=30)


PARAGRAPH = (
    "执行力源于企业管理,近年来被逐步引入到政府管理中,并受到中央和各级政府领导的重视。"
    "对政府而言,执行力就是贯彻执行党和国家方针政策和上级决策部署,从而实现预定目标任务的力度和能力。"
)


def test_near_duplicates_are_linked_not_merged(db_url: str) -> None:
    from storage.neardup import NearDuplicateIndex

    upgrade(db_url)
    original = PARAGRAPH * 6
    typo = original.replace("预定目标", "预订目标", 1)
    unrelated = "今天召开全县农业农村工作会议,主要任务是总结去年工作,部署今年任务。" * 8
    index = NearDuplicateIndex()
    for url, body in (
        ("http://x/1.html", original),
        ("http://x/2.html", typo),
        ("http://x/3.html", unrelated),
    ):
        with session_factory(db_url).begin() as session:
            archive_batch(session, [cleaned(url, body)], None, on_new_documents=index.add)
    with session_factory(db_url)() as session:
        links = session.execute(
            select(DocumentLink.from_document_id, DocumentLink.to_document_id).where(
                DocumentLink.kind == "near_duplicate"
            )
        ).all()
        assert session.scalar(select(func.count()).select_from(Document)) == 3
        ids = dict(session.execute(select(Document.body, Document.id)).all())
    assert links == [(ids[typo], ids[original])]
    # Another writer (a new process) finds them through the stored bands.
    with session_factory(db_url).begin() as session:
        made = NearDuplicateIndex().add(session, {ids[original]: original})
    assert made == 1  # the typo'd text, already archived, is its near-duplicate


def test_two_writers_racing_on_one_text_count_it_new_once(db_url: str) -> None:
    import threading

    upgrade(db_url)
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def writer(url: str) -> None:
        with session_factory(db_url).begin() as session:
            barrier.wait()
            outcomes.extend(
                archive_batch(session, [cleaned(url, "两个抓取进程同时遇到的同一篇文章")], None)
            )

    threads = [threading.Thread(target=writer, args=(f"http://x/{i}.html",)) for i in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert sorted(outcomes) == ["duplicate", "new"]


def test_head_revision_constant_is_the_newest_migration(db_url: str) -> None:
    from alembic.script import ScriptDirectory

    from storage.engine import HEAD_REVISION, alembic_config, ensure_current

    assert ScriptDirectory.from_config(alembic_config(db_url)).get_current_head() == HEAD_REVISION
    ensure_current(db_url)  # an empty database is migrated
    with session_factory(db_url)() as session:
        assert (
            session.execute(text("SELECT version_num FROM alembic_version")).scalar()
            == HEAD_REVISION
        )


def test_the_author_the_pipeline_found_is_stored(db_url: str) -> None:
    upgrade(db_url)
    named = replace(doc("署名的文章"), author="张建国")
    url = "http://x/doc/9.html"
    write(
        db_url, [Cleaned(Fetch(url, "demo", T0, 200), PageRecord(url, None, "utf-8", False, named))]
    )
    write(db_url, [cleaned("http://x/doc/10.html", "没有署名")])
    with session_factory(db_url)() as session:
        authors = dict(session.execute(select(Document.body, Document.author)).all())
    assert authors == {"署名的文章": "张建国", "没有署名": None}

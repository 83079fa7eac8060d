"""A small, realistic archive for the analysts' tests: two sites, two crawl runs, no crawl.

Run 1 (manual, 2026-11-01 02:00 UTC) archives eight documents; run 2 (nightly, a day
later) changes the flood notice, loses the New Year letter (404) and finds one new text.
The government-building speech is on both sites; the speech appends an 扩展阅读 article;
the two versions of the flood notice are linked as near-duplicates.
Bodies are written here in the archive's normal form (docs/conventions.md).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, timezone

import pytest
from sqlalchemy import NullPool, create_engine, make_url, select, update
from sqlalchemy.orm import Session

from pipeline import content_hash, normalise_text
from pipeline.provenance import Cleaned, Fetch
from pipeline.types import CleanDocument, PageRecord, Repairs
from storage.archive import archive_batch, insert_ignoring_conflicts
from storage.engine import session_factory, upgrade
from storage.models import CrawlRun, Document, DocumentLink
from storage.search import index_new_documents
from tests.conftest import POSTGRES_URL, ROOT, SKIP_POSTGRES, fresh_postgres_database

BACKENDS = ["sqlite", "postgresql"]

T0 = datetime(2026, 11, 1, 2, 0, tzinfo=UTC)
T1 = T0 + timedelta(days=1)
CST = timezone(timedelta(hours=8))
GW = "http://gw.demo.test/gongwen/"
WM = "http://wm.demo.test/wenmi/"
SOURCE = "网络整理"
DISCLAIMER = "本站文章均来自网络,如有侵权请联系删除。"

TEXTS: dict[str, tuple[str, str | None, datetime | None, str]] = {
    "speech": (
        "在全县经济工作会议上的讲话",
        "公文素材 > 讲话稿",
        datetime(2019, 5, 28, 14, 10, 11, tzinfo=CST),
        "同志们:今天我们召开全县经济工作会议,主要任务是总结过去一年的经济工作,"
        "安排部署今年的重点任务。\n"
        "要扎实推进乡村振兴,严格落实粮食安全责任制,全年建设高标准农田5万亩。\n"
        "民生无小事,枝叶总关情。我们要持续办好群众关心的十件民生实事。",
    ),
    "rural": (
        "乡村振兴工作总结",
        "工作总结 > 年度总结",
        datetime(2020, 1, 10, 9, 0, tzinfo=CST),
        "今年以来,我镇紧紧围绕产业兴旺、生态宜居的总要求,大力发展特色种植。\n"
        "培育壮大家庭农场和农民合作社,拓宽农民增收渠道。",
    ),
    "govt": (
        "政府自身建设",
        "公文素材 > 范文素材",
        datetime(2019, 5, 28, 14, 10, 11, tzinfo=CST),
        "今天,召开这次政府务虚会,大家的发言有思考、有分析、有体会。\n"
        "总体来说,通过今天的务虚会,对提升政府执行力形成了共识,端正了态度,理清了思路。",
    ),
    "extra": (
        "加强政府自身建设",
        None,
        None,
        "加强政府自身建设,要坚持依法行政,严格规范公正文明执法。",
    ),
    "safety": (
        "安全生产月活动方案",
        "工作计划 > 活动方案",
        datetime(2021, 6, 1, 8, 30, tzinfo=CST),
        "为深入开展安全生产月活动,全面开展隐患排查治理,特制定本方案。\n"
        "各单位要落实安全生产主体责任,确保活动取得实效。",
    ),
    "flood_v1": (
        "关于做好防汛工作的通知",
        "公文素材 > 通知",
        datetime(2021, 7, 1, 10, 0, tzinfo=CST),
        "各乡镇、各部门:\n入汛以来,我县降雨偏多。各乡镇要在6月底前完成水库隐患排查。",
    ),
    "flood_v2": (
        "关于做好防汛工作的通知",
        "公文素材 > 通知",
        datetime(2021, 7, 1, 10, 0, tzinfo=CST),
        "各乡镇、各部门:\n入汛以来,我县降雨偏多。各乡镇要在7月10日前完成水库隐患排查。",
    ),
    "letter": (
        "新春慰问信",
        "公文素材 > 慰问信",
        datetime(2022, 1, 28, 9, 0, tzinfo=CST),
        "值此新春佳节来临之际,向全县广大干部群众致以新春的祝福。",
    ),
    "digital": (
        "数字政府建设中的AI应用",
        "调研报告 > 专题调研",
        datetime(2023, 3, 15, 9, 0, tzinfo=CST),
        "人工智能(AI)技术正在政务服务中推广,一网通办让群众少跑腿。",
    ),
    "winter": (
        "关于开展冬季安全生产大检查的通知",
        "公文素材 > 通知",
        datetime(2026, 10, 31, 9, 0, tzinfo=CST),
        "入冬以来,各地要立即开展安全生产大检查,坚决遏制重特大事故。",
    ),
}
# url → the text it carries in run 1 and in run 2 (None: not fetched; "404": gone).
PAGES: dict[str, tuple[str | None, str | None]] = {
    GW + "1001.html": ("speech", "speech"),
    GW + "1002.html": ("rural", "rural"),
    GW + "1003.html": ("govt", "govt"),
    WM + "583455.html": ("govt", None),
    WM + "2001.html": ("safety", "safety"),
    GW + "1005.html": ("flood_v1", "flood_v2"),
    GW + "1006.html": ("letter", "404"),
    WM + "2002.html": ("digital", None),
    WM + "2003.html": (None, "winter"),
}
EXTENDED = {"speech": ["extra"]}
# What cleaning found in a few texts (the rest: nothing), and texts without provenance lines.
REPAIRS = {"speech": Repairs(spam_lines=1, pinyin_annotations=4, mojibake_repaired=2)}
FLAGS = {"letter": ["masked_year"]}
UNATTRIBUTED = {"digital"}
AUTHORS = {"speech": "张建国", "digital": "县大数据中心课题组"}


@dataclass
class Sample:
    url: str
    hashes: dict[str, str] = field(default_factory=dict)  # text key → content_hash
    reader_url: str = ""  # the documented read-only role's URL (SQLite: `url` itself)

    def __post_init__(self) -> None:
        self.reader_url = self.reader_url or self.url


def document(key: str) -> CleanDocument:
    title, category, published, body = TEXTS[key]
    body = normalise_text(body)
    source, disclaimer = (None, None) if key in UNATTRIBUTED else (SOURCE, DISCLAIMER)
    doc = CleanDocument(title, body, content_hash(body), category, published, source, disclaimer)
    doc.repairs = REPAIRS.get(key, Repairs())
    doc.flags = list(FLAGS.get(key, []))
    return doc


def build(url: str) -> Sample:
    """Migrate an empty archive at `url` and write the two runs into it."""
    upgrade(url)
    with session_factory(url).begin() as session:
        first = CrawlRun(kind="manual", started_at=T0, finished_at=T0, status="finished")
        nightly = CrawlRun(kind="nightly", started_at=T1, finished_at=T1, status="finished")
        session.add_all([first, nightly])
        session.flush()
        archive_batch(session, _fetches(0, T0), first.id)
        archive_batch(session, _fetches(1, T1), nightly.id)
        _link_near_duplicates(session, "flood_v1", "flood_v2")
        _name_authors(session)
    with session_factory(url).begin() as session:
        index_new_documents(session)  # as the archive writer does after each commit
    return Sample(url, {key: document(key).content_hash for key in TEXTS})


def _name_authors(session: Session) -> None:
    """Authors written straight into the archive: the analysts' side is tested whatever the
    cleaner finds (archive_batch storing the pipeline's author: tests/test_archive.py)."""
    for key, author in AUTHORS.items():
        hash_ = document(key).content_hash
        session.execute(
            update(Document).where(Document.content_hash == hash_).values(author=author)
        )


def _link_near_duplicates(session: Session, key: str, other: str) -> None:
    hashes = [document(key).content_hash, document(other).content_hash]
    ids = session.scalars(
        select(Document.id).where(Document.content_hash.in_(hashes)).order_by(Document.id)
    ).all()
    link = {"from_document_id": ids[0], "to_document_id": ids[1], "kind": "near_duplicate"}
    insert_ignoring_conflicts(session, DocumentLink, [link])


@contextmanager
def sample_archive(backend: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Sample]:
    """The sample archive on "sqlite" or "postgresql" (skipped without a server)."""
    if backend == "sqlite":
        yield build(f"sqlite:///{tmp_path_factory.mktemp('sample') / 'archive.db'}")
        return
    if not POSTGRES_URL:
        pytest.skip(SKIP_POSTGRES)
    with fresh_postgres_database(POSTGRES_URL) as url:
        sample = build(url)
        with reader_role(url) as sample.reader_url:
            yield sample


def reader_role_sql() -> str:
    """The statements docs/analysts.md gives to create the analysts' read-only role."""
    doc = (ROOT / "docs" / "analysts.md").read_text(encoding="utf-8")
    blocks = re.findall(r"^```sql\n(.*?)^```", doc, flags=re.M | re.S)
    return next(block for block in blocks if "CREATE ROLE wenku_reader" in block)


@contextmanager
def reader_role(url: str) -> Iterator[str]:
    """The documented wenku_reader role, created on the PostgreSQL archive at `url` (one
    of its own: roles are the whole server's); yields its URL, drops it afterwards."""
    admin, database = make_url(url), make_url(url).database or ""
    name = f"wenku_reader_{database}"
    sql = reader_role_sql().replace("wenku_reader", name)
    sql = sql.replace("DATABASE wenku ", f'DATABASE "{database}" ')
    sql = sql.replace("FOR ROLE wenku ", f'FOR ROLE "{admin.username}" ')
    engine = create_engine(url, isolation_level="AUTOCOMMIT", poolclass=NullPool)
    try:
        with engine.connect() as connection:
            connection.exec_driver_sql(sql)
        yield admin.set(username=name, password="change me").render_as_string(False)
    finally:
        from storage.engine import dispose_all

        dispose_all()
        with engine.connect() as connection:
            connection.exec_driver_sql(f'DROP OWNED BY "{name}"; DROP ROLE "{name}"')
        engine.dispose()


def _fetches(run: int, at: datetime) -> list[Cleaned]:
    items = []
    for url, keys in PAGES.items():
        key = keys[run]
        if key is None:
            continue
        site = "gwdemo" if url.startswith(GW) else "wenmi"
        status = 404 if key == "404" else 200
        fetch = Fetch(url, site, at, status, headers={}, body=b"<html>")
        items.append(Cleaned(fetch, None if status == 404 else _record(url, key)))
    return items


def _record(url: str, key: str) -> PageRecord:
    extended = [document(extra) for extra in EXTENDED.get(key, [])]
    return PageRecord(url, url, "utf-8", False, document(key), extended)

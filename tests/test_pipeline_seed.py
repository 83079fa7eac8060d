"""The seed page (shared/seeds/seogis_583455.txt) rebuilt as HTML, with every artifact as it is.

Fixture: tests/fixtures/pages/seogis_583455.gbk.html — each seed line a `<p>`, declared
`charset=gbk`, encoded GB18030; rebuilt by tests/fixtures/pages/make_pages.py.

Decided here: the appended 扩展阅读 article keeps its closing `(来源:中国人事报)` in its
body — it is inside the article's last paragraph, and cutting it would cut article text.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from pipeline import process_page
from pipeline.types import PageRecord, RawPage

FIXTURES = Path(__file__).parent / "fixtures"
URL = "http://www.seogis.com/gongwen/583455.html"


@pytest.fixture(scope="module")
def record() -> PageRecord:
    body = (FIXTURES / "pages" / "seogis_583455.gbk.html").read_bytes()
    return process_page(RawPage(url=URL, body=body, headers={"content-type": "text/html"}))


def test_fixture_is_the_seed_byte_for_byte() -> None:
    seed = Path(__file__).parents[1].parent / "shared" / "seeds" / "seogis_583455.txt"
    if not seed.exists():
        pytest.skip("shared/ not beside the repository")
    assert (FIXTURES / "seogis_583455.txt").read_bytes() == seed.read_bytes()


def test_decoded_as_declared(record: PageRecord) -> None:
    assert record.encoding == "gb18030"
    assert record.declaration_lied is False


def test_fields(record: PageRecord) -> None:
    doc = record.document
    assert doc is not None
    assert doc.title == "政府自身建设"
    assert doc.category == "公文素材 > 范文素材"
    assert doc.published_at == datetime(
        2019, 5, 28, 14, 10, 11, tzinfo=timezone(timedelta(hours=8))
    )
    assert doc.published_at.isoformat() == "2019-05-28T14:10:11+08:00"
    assert doc.source == "网络整理"
    assert doc.disclaimer == "本文仅限学习分享,如产生版权问题,请联系我们及时删除。"
    assert record.canonical_url == URL


def test_body_starts_and_ends_with_the_article(record: PageRecord) -> None:
    assert record.document is not None
    lines = record.document.body.split("\n")
    assert lines[0] == "同志们:"
    assert lines[1].startswith("今天,召开这次政府务虚会")
    assert lines[-1].endswith("以政府执行力的提升进一步推进我县经济社会跨越式发展。")


@pytest.mark.parametrize(
    "absent",
    [
        "毛片",  # the injected spam line
        "一级日韩免费大片",
        "荟聚奇文",  # slogan
        "当前位置",  # breadcrumb
        "时间:2019",  # meta line
        "移动端",
        "扩展阅读",
        "加强政府自身建设任重道远",  # the appended article is a document of its own
        "友情提示",
        "免责声明",
        "来源:网络整理",
        "由互联网用户整理提供",
        "(来源:中国人事报)",
    ],
)
def test_body_has_no_chrome_spam_or_appended_article(record: PageRecord, absent: str) -> None:
    assert record.document is not None
    assert absent not in record.document.body


def test_no_glued_pinyin_left(record: PageRecord) -> None:
    assert record.document is not None
    bodies = [record.document.body] + [e.body for e in record.extended_reading]
    for body in bodies:
        assert not re.search(r"[\u4e00-\u9fff]\([a-zāáǎàēéěèīíǐìōóǒòūúǔùǖǘǚǜü]+\)", body)
    assert record.document.repairs.pinyin_annotations > 1000


def test_real_parentheses_survive(record: PageRecord) -> None:
    assert record.document is not None
    assert "一、提升政府执行力的重要意义(一)什么是政府执行力" in record.document.body
    assert "(二)为什么要提升政府执行力" in record.document.body


def test_masked_year_kept_and_flagged(record: PageRecord) -> None:
    assert record.document is not None
    assert "在201*年3月召开的十届全国人大四次会议上" in record.document.body
    assert "masked_year" in record.document.flags


def test_spam_and_chrome_counted(record: PageRecord) -> None:
    assert record.document is not None
    assert record.document.repairs.spam_lines == 1
    assert record.document.repairs.boilerplate_lines >= 6


def test_extended_reading(record: PageRecord) -> None:
    assert [e.title for e in record.extended_reading] == ["加强政府自身建设"]
    extended = record.extended_reading[0]
    assert extended.body.startswith("加强政府自身建设任重道远信息类型:人事要闻(201*-03-18)")
    assert extended.body.endswith("应是最根本。(来源:中国人事报)")
    assert "友情提示" not in extended.body
    assert "masked_year" in extended.flags
    assert extended.content_hash != record.document.content_hash  # type: ignore[union-attr]


def test_json_record(record: PageRecord) -> None:
    data = record.to_json()
    assert data["title"] == "政府自身建设"
    assert data["published_at"] == "2019-05-28T14:10:11+08:00"
    assert data["extended_reading"][0]["title"] == "加强政府自身建设"
    assert set(data["repairs"]) >= {
        "spam_lines",
        "pinyin_annotations",
        "mojibake_repaired",
        "mojibake_unrepaired",
        "boilerplate_lines",
    }


@pytest.mark.parametrize(
    ("damaged", "repaired"),
    [
        ("?傮w來說", "对执行力进行了客观评估。总体来说,通过今天的务虚会"),
        ("?梢哉f", "是衡量政府执行能力的重要标准。可以说,政府执行力"),
        ("!巴ㄟ^改革", "。“通过改革,"),
        ("!熬殐(nèi)功", "。“练内功”是根本"),
        ("!庇写碇赋觯啊殐(nèi)功", "。”有代表指出,“‘练内功’主要就是"),
        ("!比珖(guó)政協", "。”全国政协委员、无锡市人大常委会副主任麻建国说"),
        ("槊撾x實", "因为脱离实际而难"),
        ("閷?shí)實", "切实转变为实实在在的工作举措"),
        ("!叭绻还_,監督", "。“如果不公开,监督就形同虚设"),
    ],
)
def test_mojibake_repaired_to_the_original(record: PageRecord, damaged: str, repaired: str) -> None:
    bodies = "\n".join(d.body for d in [record.document, *record.extended_reading] if d)
    assert repaired in bodies


def test_mojibake_counts(record: PageRecord) -> None:
    docs = [d for d in [record.document, *record.extended_reading] if d]
    repaired = sum(d.repairs.mojibake_repaired for d in docs)
    unrepaired = sum(d.repairs.mojibake_unrepaired for d in docs)
    assert repaired >= 28
    assert unrepaired <= 3
    bodies = "\n".join(d.body for d in docs)
    for debris in ("傮", "ㄟ", "珖", "殐", "\ue195", "\ue300", "\ufffd", "?傮"):
        assert debris not in bodies
    assert len(re.findall(r"[\ue000-\uf8ff]", bodies)) <= 3

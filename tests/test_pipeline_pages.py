"""Whole pages through `process_page`: generated pages with known truth, clean pages,
pages without an article, and one text in several dresses hashing alike.

Fixtures: tests/fixtures/pages/generated (seed-like pages from the demo site's corpus
and forward process) and tests/fixtures/pages/clean, both with a manifest.json; the
demo site itself when it is importable.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from pipeline import content_hash, normalise_text, process_page, warm_up
from pipeline.models import char_model, converter, is_reading, readings
from pipeline.types import PageRecord, RawPage

PAGES = Path(__file__).parent / "fixtures" / "pages"
FIELDS = ("title", "category", "published_at", "source", "disclaimer", "canonical_url")
GLUED = re.compile(r"([\u3400-\u9fff])\(([a-zāáǎàēéěèīíǐìōóǒòūúǔùǖǘǚǜü]{1,7})\)")


def manifest(name: str) -> list[dict[str, Any]]:
    return json.loads((PAGES / name / "manifest.json").read_text("utf-8"))


def clean(raw: bytes, url: str, headers: dict[str, str] | None = None) -> PageRecord:
    return process_page(RawPage(url=url, body=raw, headers=headers or {}))


def check_against_truth(record: PageRecord, truth: dict[str, Any]) -> None:
    data = record.to_json()
    assert {k: data[k] for k in FIELDS} == {k: truth[k] for k in FIELDS}
    assert record.document is not None
    assert record.document.body == truth["body"]
    assert record.document.content_hash == content_hash(truth["body"])
    got = [(e.title, e.body) for e in record.extended_reading]
    assert got == [(e["title"], e["body"]) for e in truth["extended"]]
    for body in [record.document.body, *(e.body for e in record.extended_reading)]:
        assert not [m for m in GLUED.finditer(body) if is_reading(m.group(1), m.group(2))]


@pytest.mark.parametrize("page", manifest("generated"), ids=lambda p: p["file"])
def test_generated_pages_come_out_as_their_truth(page: dict[str, Any]) -> None:
    record = clean((PAGES / "generated" / page["file"]).read_bytes(), page["url"])
    check_against_truth(record, page["truth"])
    assert record.document is not None
    assert record.document.repairs.mojibake_repaired >= sum(page["runs"])
    assert record.document.repairs.mojibake_unrepaired == 0
    assert record.document.repairs.spam_lines == (0 if page["dress"][5] else 1)  # mobile: none
    if page["dress"][2] not in (None, page["dress"][1]):
        assert record.declaration_lied


@pytest.mark.parametrize("page", manifest("clean"), ids=lambda p: p["file"])
def test_clean_pages_come_out_unchanged(page: dict[str, Any]) -> None:
    record = clean((PAGES / "clean" / page["file"]).read_bytes(), page["url"])
    assert record.document is not None
    assert record.document.title == page["truth"]["title"]
    assert record.document.body == page["truth"]["body"]
    repairs = record.document.repairs
    assert repairs.pinyin_annotations == repairs.mojibake_repaired == repairs.spam_lines == 0
    assert repairs.conversion_repaired == repairs.latin1_repaired == 0


BODY = [
    "同志们:今天我们召开全县经济工作会议,主要任务是总结过去一年的经济工作。",
    "一、总体要求",
    "要坚持稳中求进工作总基调,以推动高质量发展为主题,全年力争引进亿元以上项目20个!",
]


def dressed(lines: list[str], script: str, codec: str, mobile: bool = False) -> bytes:
    convert = converter("s2t").convert if script == "traditional" else str
    title, body = convert("关于做好经济工作的讲话"), [convert(line) for line in lines]
    crumb = convert("当前位置:公文素材库 > 公文素材 > 讲话致辞 > ") + title
    meta = convert("网站:公文素材库 | 时间:2020-01-02 08:00:00 | 移动端:") + title
    if mobile:
        rows = "<br>".join([crumb, meta, *body])
        html = f'<html><head><meta charset="{codec}"><title>{title}_手机版</title></head>'
        html += f"<body><h1>{title}</h1><div>{rows}</div></body></html>"
    else:
        paragraphs = "".join(f"<p>{line}</p>" for line in body)
        html = f'<html><head><meta charset="{codec}"></head><body><div>{crumb}</div>'
        html += f"<h1>{title}</h1><div>{meta}</div><div>{paragraphs}</div></body></html>"
    return html.encode(codec, "xmlcharrefreplace")  # 爲 is not in Big5: &#29234;


def test_both_scripts_and_the_mobile_mirror_hash_alike() -> None:
    variants = [
        dressed(BODY, "simplified", "utf-8"),
        dressed(BODY, "traditional", "gbk"),
        dressed(BODY, "traditional", "big5"),
        dressed(BODY, "simplified", "utf-8", mobile=True),
        dressed([line.replace(",", ",") for line in BODY], "simplified", "gb18030"),
    ]
    records = [clean(raw, f"http://x.test/{i}.html") for i, raw in enumerate(variants)]
    hashes = {r.document.content_hash for r in records if r.document}
    assert len(hashes) == 1
    assert records[0].document is not None
    assert records[0].document.body == "\n".join(BODY)
    assert records[0].document.published_at is not None


def test_normal_form() -> None:
    assert (
        normalise_text("  當前\u3000位置：Ａ１（二）！ \n\n 第二段 ") == "当前 位置:A1(二)!\n第二段"
    )


@pytest.mark.parametrize(
    "html",
    [
        "",
        "<html><body></body></html>",
        "<html><head><title>公文素材库</title></head><body>"
        + "".join(f'<li><a href="/doc/{i}.html">文章标题{i}</a></li>' for i in range(30))
        + "</body></html>",
        "<html><body><h1>标题</h1><p>第1页 / 共2页</p><p>点击查看更多&gt;&gt;</p></body></html>",
    ],
    ids=["empty", "empty-body", "list-page", "chrome-only"],
)
def test_pages_without_an_article(html: str) -> None:
    record = clean(html.encode("utf-8"), "http://x.test/list/")
    assert record.document is None
    assert record.extended_reading == []
    assert record.to_json()["content_hash"] is None


@pytest.mark.parametrize(
    ("status", "content_type"),
    [(200, "text/plain"), (200, "application/pdf"), (404, "text/html"), (301, "text/html")],
)
def test_responses_that_are_not_articles(status: int, content_type: str) -> None:
    body = dressed(BODY, "simplified", "utf-8")
    raw = RawPage(url="http://x.test/a", body=body, headers={"content-type": content_type})
    record = process_page(RawPage(raw.url, raw.body, raw.headers, status))
    assert record.document is None
    assert record.encoding == "utf-8"


def test_models_load_once_per_process() -> None:
    warm_up()
    raw = dressed(BODY, "traditional", "gbk")
    for _ in range(3):
        clean(raw, "http://x.test/1.html")
    assert char_model.cache_info().misses == 1
    assert readings.cache_info().misses <= 1
    assert converter.cache_info().currsize <= 6  # one converter per OpenCC configuration


demosite = pytest.importorskip("demosite")


@pytest.fixture(scope="module")
def site_pages() -> list[dict[str, Any]]:
    site = demosite.DemoSite.build(pages=40, seed=11, night=1)
    return list(site.quality_pages())


def test_demo_site_pages_come_out_as_their_truth(site_pages: list[dict[str, Any]]) -> None:
    failures = []
    for page in site_pages:
        record = clean(page["bytes"], page["url"], page["headers"])
        try:
            check_against_truth(record, page["truth"])
        except AssertionError:
            failures.append(page["file"])
    assert failures == []


def test_demo_site_twins_and_mirrors_hash_alike() -> None:
    site = demosite.DemoSite.build(pages=40, seed=11, night=1)
    special, base = site.truth()["special"], "http://127.0.0.1:8000"

    def hash_of(path: str) -> str | None:
        response = site.render(path, base)
        headers = {"content-type": response.content_type}
        record = clean(response.body, base + path, headers)
        return record.document.content_hash if record.document else None

    pairs = [tuple(p) for p in special["twins"]]
    pairs += [(m.removeprefix("/m"), m) for m in special["mobile"]]
    assert pairs
    for one, other in pairs:
        assert hash_of(one) == hash_of(other) is not None

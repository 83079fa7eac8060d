"""pipeline.pagination: pagers read from links, and an article's parts joined into one."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from pipeline import content_hash
from pipeline.pagination import (
    INCOMPLETE_FLAG,
    find_pager,
    join_records,
    joined_article,
    part_numbers,
)
from pipeline.provenance import Cleaned, Fetch
from pipeline.types import CleanDocument, PageRecord, Repairs

H = "http://www.example.com"


@pytest.mark.parametrize(
    "url,other,numbers",
    [
        ("/gongwen/583455.html", "/gongwen/583455_2.html", (1, 2)),
        ("/gongwen/583455_2.html", "/gongwen/583455.html", (2, 1)),
        ("/gongwen/583455_2.html", "/gongwen/583455_3.html", (2, 3)),
        ("/a/257017.htm", "/a/257017-2.htm", (1, 2)),
        ("/show.asp?id=2348", "/show.asp?id=2348&page=2", (1, 2)),
        ("/show.asp?id=2348&page=3", "/show.asp?page=2&id=2348", (3, 2)),
        ("/view/1960418139209568258", "/view/1960418139209568258/2", (1, 2)),
        ("/view/1960418139209568258/3", "/view/1960418139209568258", (3, 1)),
        ("/thread-43846-1-1.html", "/thread-43846-2-1.html", (1, 2)),
        ("/p/aeeb0ab1dcbb", "/p/aeeb0ab1dcbb_2", (1, 2)),
        # not parts of one article
        ("/gongwen/583455.html", "/gongwen/583456.html", None),  # the next article
        ("/p-6552432.html", "/p-6552433.html", None),
        ("/list/xinde/", "/list/xinde/index_2.html", None),  # a list's pager
        ("/show.asp?id=2348", "/show.asp?id=2349", None),
        ("/gongwen/583455.html", "/fanwen/583455_2.html", None),
        ("/gongwen/583455.html", "/gongwen/583455.html", None),
        ("/gongwen/583455.html", "/", None),
    ],
)
def test_part_numbers(url: str, other: str, numbers: tuple[int, int] | None) -> None:
    assert part_numbers(H + url, H + other) == numbers


def test_other_hosts_are_never_parts() -> None:
    assert part_numbers(H + "/a/1.html", "http://m.example.com/a/1_2.html") is None


PAGER_1 = [("1", "/d/88.html"), ("2", "/d/88_2.html"), ("3", "/d/88_3.html")]
PAGER_1 += [("下一页", "/d/88_2.html"), ("尾页", "/d/88_3.html")]


def links(pairs: list[tuple[str, str]]) -> list[tuple[str, str]]:
    return [(H + path, text) for text, path in pairs]


def test_the_first_page_of_a_three_page_article() -> None:
    nav = [("首页", "/"), ("上一篇:旧文", "/d/87.html"), ("下一篇:新文", "/d/89.html")]
    pager = find_pager(H + "/d/88.html", links(nav + PAGER_1))
    assert pager is not None
    assert (pager.part, pager.next_url, pager.first_url) == (
        1,
        H + "/d/88_2.html",
        H + "/d/88.html",
    )
    assert pager.part_urls == {H + "/d/88_2.html", H + "/d/88_3.html"}


@pytest.mark.parametrize(
    "url,pairs,part,next_path",
    [
        ("/d/88_2.html", [("上一页", "/d/88.html"), ("3", "/d/88_3.html")], 2, "/d/88_3.html"),
        ("/d/88_3.html", [("上一页", "/d/88_2.html"), ("1", "/d/88.html")], 3, None),
        (
            "/list/index_3.html",
            [("2", "/list/index_2.html"), ("4", "/list/index_4.html")],
            3,
            "/list/index_4.html",
        ),
        # Link extractors keep one text a URL: "2" rather than 下一页
        ("/show.asp?id=7", [("2", "/show.asp?id=7&page=2")], 1, "/show.asp?id=7&page=2"),
        ("/v/123456789", [("下一页", "/v/123456789/2")], 1, "/v/123456789/2"),
        ("/thread-4-1-1.html", [("2", "/thread-4-2-1.html")], 1, "/thread-4-2-1.html"),
    ],
)
def test_later_parts_and_other_url_shapes(
    url: str, pairs: list[tuple[str, str]], part: int, next_path: str | None
) -> None:
    pager = find_pager(H + url, links(pairs))
    assert pager is not None and pager.part == part
    assert pager.next_url == (H + next_path if next_path else None)
    first = [link for link, _ in links(pairs) if part_numbers(H + url, link) == (part, 1)]
    assert pager.first_url == (H + url if part == 1 else (first[0] if first else None))


@pytest.mark.parametrize(
    "url,pairs",
    [
        ("/d/88.html", []),
        ("/d/88.html", [("下一篇", "/d/89.html"), ("首页", "/")]),
        ("/d/88.html", [("点击阅读全文", "/d/88_2.html")]),  # not a pager label
        (
            "/list/xinde/",
            [("2", "/list/xinde/index_2.html"), ("下一页", "/list/xinde/index_2.html")],
        ),
        ("/a/257017_2.htm", []),  # a URL like a later part's, but no pager: a page of its own
        ("/d/88_2.html", [("3", "/d/88_3.html")]),  # a later part must link back to be one
    ],
)
def test_no_pager(url: str, pairs: list[tuple[str, str]]) -> None:
    assert find_pager(H + url, links(pairs)) is None


def record(url: str, body: str | None, **fields: object) -> PageRecord:
    if body is None:
        return PageRecord(url, None, "utf-8", False, None)
    doc = CleanDocument("标题", body, content_hash(body), **fields)  # type: ignore[arg-type]
    return PageRecord(url, url, "utf-8", False, doc)


def test_parts_join_into_one_document_in_page_order() -> None:
    when = datetime(2019, 5, 28, 6, 10, tzinfo=UTC)
    first = record(H + "/d/88.html", "第一段\n第二段", published_at=when, category="公文")
    first.document.repairs = Repairs(spam_lines=1)  # type: ignore[union-attr]
    last = record(H + "/d/88_3.html", "第四段", source="网络整理")
    last.document.repairs = Repairs(spam_lines=2, pinyin_annotations=3)  # type: ignore[union-attr]
    joined = join_records([first, record(H + "/d/88_2.html", "第三段"), last])
    doc = joined.document
    assert doc is not None and joined.url == H + "/d/88.html"
    assert doc.body == "第一段\n第二段\n第三段\n第四段"
    assert doc.content_hash == content_hash(doc.body)
    assert (doc.title, doc.published_at, doc.category, doc.source) == (
        "标题",
        when,
        "公文",
        "网络整理",
    )
    assert (doc.repairs.spam_lines, doc.repairs.pinyin_annotations) == (3, 3)
    assert doc.flags == []


def cleaned(path: str, body: str | None, status: int = 200) -> Cleaned:
    fetch = Fetch(H + path, "s", datetime(2026, 11, 1, tzinfo=UTC), status, article_part=1)
    return Cleaned(fetch, record(H + path, body) if status == 200 else None)


def test_every_page_of_an_article_carries_the_joined_document() -> None:
    pages = joined_article([cleaned("/d/88.html", "甲"), cleaned("/d/88_2.html", "乙")])
    hashes = {page.record.document.content_hash for page in pages}  # type: ignore[union-attr]
    assert hashes == {content_hash("甲\n乙")}
    assert [page.record.url for page in pages] == [H + "/d/88.html", H + "/d/88_2.html"]  # type: ignore[union-attr]


def test_an_article_missing_a_part_is_kept_and_flagged() -> None:
    pages = joined_article([cleaned("/d/88.html", "甲"), cleaned("/d/88_2.html", None, 404)])
    assert pages[1].record is None  # the failed fetch stays a failed capture
    doc = pages[0].record.document  # type: ignore[union-attr]
    assert doc is not None and doc.body == "甲" and doc.flags == [INCOMPLETE_FLAG]


def test_an_article_whose_part_was_never_fetched_is_flagged() -> None:
    first = cleaned("/d/88.html", "甲")
    first.fetch.parts_missing = True  # robots.txt kept the spider from its second page
    (page,) = joined_article([first])
    assert page.record.document.flags == [INCOMPLETE_FLAG]  # type: ignore[union-attr]


def test_a_list_s_pager_gives_pages_not_an_article() -> None:
    pages = [cleaned("/list/index.html", None), cleaned("/list/index_2.html", None)]
    pages[0] = Cleaned(pages[0].fetch, record(H + "/list/index.html", None))
    assert joined_article(pages) == pages
    assert all(page.fetch.article_part is None for page in pages)

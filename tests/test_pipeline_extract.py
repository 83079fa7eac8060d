"""Extraction of a page's fields from its HTML (pure: `extract(decode(raw))`)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from pipeline.decode import decode
from pipeline.extract import extract, parse_datetime
from pipeline.types import Extracted, RawPage

CST = timezone(timedelta(hours=8))
CRUMB = "当前位置:公文素材库 > 公文素材 > 范文素材 > 政府自身建设"
META = "网站:公文素材库 | 时间:2019-05-28 14:10:11 | 移动端:政府自身建设"
TAIL = [
    "友情提示:本文中关于《政府自身建设》给出的范例仅供您参考拓展思维使用。",
    "来源:网络整理 免责声明:本文仅限学习分享,如产生版权问题,请联系我们及时删除。",
    "政府自身建设》由互联网用户整理提供,转载分享请保留原作者信息,谢谢!",
]


def page(lines: list[str], head: str = "", charset: str = "utf-8") -> Extracted:
    body = "".join(f"<p>{line}</p>" for line in lines)
    html = f'<html><head><meta charset="{charset}">{head}</head><body>{body}</body></html>'
    raw = RawPage(url="http://x.test/583455.html", body=html.encode(charset))
    return extract(decode(raw))


def test_seed_layout() -> None:
    got = page(
        ["薈聚奇文", CRUMB, "政府自身建设", META, "政府自身建设", "同志们:", "正文。", *TAIL]
    )
    assert (got.title, got.category, got.lines) == (
        "政府自身建设",
        "公文素材 > 范文素材",
        ["同志们:", "正文。"],
    )
    assert got.published_at == datetime(2019, 5, 28, 14, 10, 11, tzinfo=CST)
    assert (got.source, got.disclaimer) == (
        "网络整理",
        "本文仅限学习分享,如产生版权问题,请联系我们及时删除。",
    )
    assert got.canonical_url is None


@pytest.mark.parametrize(
    ("head", "lines", "title"),
    [
        ("<title>关于做好防汛工作的通知_公文素材库</title>", ["正文。"], "关于做好防汛工作的通知"),
        ("<title>年度工作总结 - 公文素材库</title>", ["正文。"], "年度工作总结"),
        ("<title>站名</title>", [CRUMB, "正文。"], "站名"),
        ("", [CRUMB, "正文。"], "政府自身建设"),  # the breadcrumb's last item
    ],
)
def test_title(head: str, lines: list[str], title: str) -> None:
    assert page(lines, head).title == title


def test_h1_wins_over_title() -> None:
    html = "<html><head><title>站内标题_站名</title></head>"
    html += "<body><h1>真标题</h1><p>正文。</p></body></html>"
    assert extract(decode(RawPage(url="u", body=html.encode()))).title == "真标题"


@pytest.mark.parametrize(
    ("crumb", "category"),
    [
        (CRUMB, "公文素材 > 范文素材"),
        ("您的位置:首页 » 工作总结 » 年度总结", "工作总结 > 年度总结"),
        (
            "當(dāng)前位置:公文素材庫(kù) > 公文素材 > 范文素材 > 政府自身建設(shè)",
            "公文素材 > 范文素材",
        ),
        ("当前位置:首页", None),
    ],
)
def test_category_from_the_breadcrumb(crumb: str, category: str | None) -> None:
    head = "<title>政府自身建设_公文素材库</title>"
    assert page([crumb, "政府自身建设", "正文。"], head).category == category


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("时间:2019-05-28 14:10:11", datetime(2019, 5, 28, 14, 10, 11, tzinfo=CST)),
        ("发布日期:2019年5月8日", datetime(2019, 5, 8, tzinfo=CST)),
        ("2019/05/28 14:10", datetime(2019, 5, 28, 14, 10, tzinfo=CST)),
        ("2019-05-28T06:10:11Z", datetime(2019, 5, 28, 6, 10, 11, tzinfo=UTC)),
        ("2019-05-28T14:10:11+08:00", datetime(2019, 5, 28, 14, 10, 11, tzinfo=CST)),
        ("2019-13-45", None),
        ("无日期", None),
        (None, None),
    ],
)
def test_datetimes(text: str | None, expected: datetime | None) -> None:
    assert parse_datetime(text) == expected


@pytest.mark.parametrize(
    "head",
    [
        '<meta property="article:published_time" content="2019-05-28T14:10:11+08:00">',
        '<meta name="pubdate" content="2019-05-28 14:10:11">',
    ],
)
def test_published_from_the_head(head: str) -> None:
    got = page(["<time datetime='2001-01-01'>x</time>正文。"], head)
    assert got.published_at == datetime(2019, 5, 28, 14, 10, 11, tzinfo=CST)


def test_published_from_time_element() -> None:
    got = page(["<time datetime='2019-05-28T14:10:11+08:00'>5月28日</time>正文。"])
    assert got.published_at == datetime(2019, 5, 28, 14, 10, 11, tzinfo=CST)


def test_canonical_link_address_wins_over_rel_canonical() -> None:
    head = '<link rel="canonical" href="http://m.x.test/583455.html">'
    lines = [CRUMB, "政府自身建设", META, "正文。", *TAIL, "链接地址:http://www.x.test/583455.html"]
    assert page(lines, head).canonical_url == "http://www.x.test/583455.html"
    assert page(lines[:-1], head).canonical_url == "http://m.x.test/583455.html"


def test_each_extended_reading_is_an_article_of_its_own() -> None:
    lines = [
        CRUMB,
        "政府自身建设",
        META,
        "正文。",
        "扩展阅读:第一篇",
        "甲。",
        "乙。(来源:中国人事报)",
    ]
    lines += ["扩展阅读:第二篇", "丙。", *TAIL]
    got = page(lines)
    assert got.lines == ["正文。"]
    assert [(a.title, a.lines, a.source) for a in got.extended_reading] == [
        ("第一篇", ["甲。", "乙。(来源:中国人事报)"], "中国人事报"),
        ("第二篇", ["丙。"], None),
    ]


def test_link_lines_are_not_body() -> None:
    lines = [
        CRUMB,
        "政府自身建设",
        META,
        "正文。",
        '<a href="/2">下一页</a>',
        '<a href="/a">相关</a>',
    ]
    assert page(lines).lines == ["正文。"]


def test_gbk_page_with_glued_pinyin_chrome() -> None:
    lines = [
        "當(dāng)前位置:公文素材庫(kù) > 公文素材 > 范文素材 > 政府自身建設(shè)",
        "政府自身建設(shè)",
        "網(wǎng)站:公文素材庫(kù) | 時(shí)間:2019-05-28 14:10:11 | 移動(dòng)端:政府",
        "正文。",
        "來(lái)源:網(wǎng)絡(luò)整理 免責(zé)聲明:本文僅限學(xué)習(xí)分享。",
    ]
    got = page(lines, charset="gbk")
    assert got.category == "公文素材 > 范文素材"
    assert got.published_at == datetime(2019, 5, 28, 14, 10, 11, tzinfo=CST)
    assert (got.source, got.disclaimer) == ("网络整理", "本文仅限学习分享。")
    assert got.lines == ["正文。"]

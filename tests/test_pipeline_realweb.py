"""Pages of the open web (not the demo site's layout): the failure families of issue 9.

Each page here is written for the test in a layout seen on real Chinese sites (a news
portal, a blog, a forum, a journal mirror, a document-sharing site); the article is
checked for what must be in the body and what must not.
"""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from pipeline import process_page
from pipeline.htmltext import parse_page
from pipeline.layout import has_prose
from pipeline.types import PageRecord, RawPage

ARTICLE = [
    "近日，县政府召开全县安全生产工作会议，总结上半年安全生产工作，部署下半年重点任务。",
    "会议指出，上半年全县安全生产形势总体平稳，各类事故起数和死亡人数实现双下降，"
    "重点行业领域专项整治取得明显成效，为全县经济社会发展营造了良好环境。",
    "会议强调，各乡镇、各部门要坚持人民至上、生命至上，压紧压实安全生产责任，"
    "深入开展隐患排查治理，坚决防范和遏制重特大事故发生。",
    "会议要求，要加强应急值守和信息报送，严格执行领导带班和二十四小时值班制度，"
    "确保一旦发生突发事件能够快速反应、有效处置。",
]
MENU = [f"栏目{i}" for i in range(40)]


def html(body: str, title: str = "全县安全生产工作会议召开", head: str = "") -> bytes:
    page = (
        f"<html><head><meta charset='utf-8'><title>{title}_某某县人民政府</title>{head}"
        f"</head><body>{body}</body></html>"
    )
    return page.encode("utf-8")


def paragraphs(lines: list[str]) -> str:
    return "".join(f"<p>{line}</p>" for line in lines)


def links(items: list[str]) -> str:
    return (
        "<ul>"
        + "".join(f"<li><a href='/{i}.html'>{t}</a></li>" for i, t in enumerate(items))
        + "</ul>"
    )


def record(
    body: bytes, url: str = "http://www.example.gov.cn/art/2021/6/1/art_1.html"
) -> PageRecord:
    return process_page(RawPage(url=url, body=body))


def body_of(body: bytes) -> str:
    doc = record(body).document
    assert doc is not None, "the page's article was not found"
    return doc.body


def test_a_byline_above_the_article_is_not_its_end() -> None:
    """Family 1: `来源:`, an empty `来源:`, `发稿时间`, `作者` above the text."""
    byline = (
        "<div>发布时间：2021-06-01 09:30　来源：县应急管理局　作者：李明</div><div>来源：</div>"
    )
    page = html(
        f"<div class='nav'>{links(MENU)}</div><h1>全县安全生产工作会议召开</h1>{byline}"
        f"<div class='content'>{paragraphs(ARTICLE)}</div>"
    )
    doc = record(page).document
    assert doc is not None
    assert doc.body.split("\n")[0].startswith("近日,县政府召开")
    assert "来源" not in doc.body and "作者" not in doc.body
    assert doc.published_at is not None and doc.published_at.date() == date(2021, 6, 1)
    assert (doc.source, doc.author) == ("县应急管理局", "李明")


def test_a_copyright_line_before_the_article_is_not_the_end_of_the_page() -> None:
    """Family 2: an off-canvas menu with © comes first in source order."""
    menu = (
        "<div class='offcanvas'><p>首页 | 关于我们 | 联系我们</p>"
        "<p>Copyright © 2021 某某县人民政府 版权所有</p></div>"
    )
    footer = "<div class='footer'><p>版权所有：某某县人民政府办公室 浙ICP备05012345号-2</p></div>"
    page = html(f"{menu}<h1>全县安全生产工作会议召开</h1>{paragraphs(ARTICLE)}{footer}")
    body = body_of(page)
    assert all(line.replace("，", ",") in body for line in ARTICLE[1:])
    assert "ICP" not in body and "版权所有" not in body


def test_without_a_recognised_header_the_chrome_stays_out() -> None:
    """Family 3: no breadcrumb, no meta line: the page's menus and lists are not the body."""
    aside = (
        "<div class='side'><h3>热门文章</h3>"
        + links([f"热门文章标题{i}" for i in range(12)])
        + "</div>"
    )
    page = html(f"<div>{links(MENU)}</div><div class='main'>{paragraphs(ARTICLE)}</div>{aside}")
    body = body_of(page)
    assert "栏目" not in body and "热门文章" not in body
    assert len(body) >= sum(map(len, ARTICLE)) - 10


def test_an_article_beside_a_big_link_menu_is_a_document() -> None:
    """Family 4: the whole page is mostly links, its article is not."""
    menu = links([f"某某县人民政府网站导航栏目名称{i}" for i in range(150)])
    page = html(f"<div>{menu}</div><div class='article'>{paragraphs(ARTICLE)}</div>")
    assert body_of(page).startswith("近日,县政府召开")


@pytest.mark.parametrize(
    "body",
    [
        links([f"关于做好第{i}批防汛工作的通知" for i in range(30)]),  # a list page
        "<h2>栏目导航</h2>" + links(MENU) + "<h2>最新文档</h2>" + links(MENU),  # a home page
    ],
)
def test_list_and_home_pages_carry_no_document(body: str) -> None:
    assert record(html(body, title="通知公告")).document is None


@pytest.mark.parametrize(
    ("body", "prose"),
    [
        (links([f"关于做好第{i}批防汛工作的通知" for i in range(30)]), False),
        ("<p>共30条。</p>" + links(MENU), False),  # a sentence, too short for an article
        (links(MENU) + "<p>" + "".join(f"<a href='/{i}'>{i}日</a>" for i in range(31)), False),
        (links(MENU) + paragraphs(ARTICLE[:1]), True),
        (
            links([f"某某县人民政府网站导航栏目名称{i}" for i in range(150)]) + paragraphs(ARTICLE),
            True,
        ),
    ],
)
def test_only_a_page_with_prose_outside_its_links_goes_to_the_main_text_vote(
    body: str, prose: bool
) -> None:
    """Lists, menus and calendars skip readability-lxml and trafilatura: whatever lines
    those chose, no article could be made of them (`process.is_article`)."""
    page = parse_page(html(body).decode())
    assert has_prose(page.lines, page.link_lines) is prose


def test_control_characters_do_not_stop_the_page() -> None:
    """Family 6: 0x07 and 0x1d in the text made lxml refuse the page."""
    page = html(paragraphs([ARTICLE[0] + "\x07", "\x1d" + ARTICLE[1]]))
    body = body_of(page)
    assert "\x07" not in body and "\x1d" not in body
    assert body.startswith("近日,县政府召开")


def test_a_whole_page_of_gbk_shown_as_latin1_is_read_back() -> None:
    """Family 12: `¹¤×÷×Ü½á` for 工作总结, saved as UTF-8."""
    page = html(paragraphs(ARTICLE), title="年度工作总结").decode("utf-8")
    shown = page.encode("gbk").decode("cp1252", "replace").replace("charset='utf-8'", "")
    rec = record(shown.encode("utf-8"))
    assert rec.document is not None
    assert rec.document.body.startswith("近日,县政府召开")
    assert "latin1_page" in rec.document.flags


def test_journal_metadata_is_fields_not_text() -> None:
    """Family 13: journal and issue, numbered authors, affiliations, keywords."""
    head = [
        "《地方治理研究》2021年第3期",
        "基层应急管理体系建设研究",
        "王磊1, 陈静2",
        "(1.某某大学 公共管理学院, 湖北 武汉 430072; 2.某某大学 学报编辑部,湖北 武汉 430079)",
        "关键词：应急管理；基层治理；安全生产",
        "中图分类号：D630　文献标识码：A　文章编号：1004-5678(2021)03-0012-08",
    ]
    page = html(paragraphs(head + ARTICLE), title="基层应急管理体系建设研究")
    body = body_of(page)
    for line in ("地方治理研究", "王磊", "公共管理学院", "关键词", "中图分类号"):
        assert line not in body
    assert body.startswith("近日,县政府召开")


def test_document_sharing_chrome_is_removed() -> None:
    """Family 7: upload metadata, preview notices, instructions, page markers, QQ lines."""
    chrome = [
        "上传人：z****8　文档编号：20418822　上传时间：2021-09-03　格式：DOCX　页数：18",
        "1、下载文档前请自行甄别文档内容的完整性，平台不提供额外服务。",
        "安全生产工作总结.docx_第1页",
    ]
    tail = ["已阅读5页，还剩42页未读， 继续免费阅读", "客服QQ：2851736620", "相关文档"]
    rec = record(html(paragraphs(chrome + ARTICLE + tail) + links(MENU[:8])))
    assert rec.document is not None
    body = rec.document.body
    for marker in ("上传人", "甄别", "_第1页", "还剩", "客服", "相关文档", "栏目"):
        assert marker not in body
    assert "truncated" in rec.document.flags
    assert body.startswith("近日,县政府召开")


def test_editorial_boilerplate_and_repeated_title_are_removed() -> None:
    """Family 8: 小编 introductions, 导语 disclaimers, the title as the first line(s)."""
    lead = [
        "全县安全生产工作会议召开",
        "导语：本文来源于网友上传，不代表本站观点，仅供参考。",
        "安全生产是一项长期任务。以下是小编为大家收集的会议报道，仅供参考，欢迎大家阅读。",
    ]
    body = body_of(html(paragraphs(lead + ARTICLE + ["希望对大家有所帮助！"])))
    assert body.split("\n")[0] == "安全生产是一项长期任务。"
    assert "小编" not in body and "导语" not in body and "希望对大家" not in body


def test_forum_chrome_and_anti_copy_noise_are_removed() -> None:
    """Family 9: Discuz's random characters, edit notes, profile column, reply bars."""
    post = [
        "本帖最后由 林间客 于 2021-5-3 10:42 编辑",
        ARTICLE[0] + " R7 e; j* Z4 W% p. ]",  # a chr(32) unit: a space before R
        "b3 K8 p. ~( Z! m& R",
        ARTICLE[1],
        "回复 支持 反对",
        "使用道具 举报",
    ]
    profile = ["积分", "91493", "威望", "0", "在线时间", "179 小时"]
    body = body_of(html(paragraphs(profile + post)))
    assert body == "\n".join(line.replace("，", ",") for line in ARTICLE[:2])


def test_spam_lines_of_other_sites_are_removed() -> None:
    """Family 10: keyword lines other than the seed's, in other places."""
    spam = [
        "精品久久一区二区_日韩无码视频_国产精品久久久久_亚洲一区在线观看",
        "快三彩票官网_快三彩票app下载",
    ]
    body = body_of(html(paragraphs([spam[0], *ARTICLE, spam[1]])))
    assert "彩票" not in body and "无码" not in body
    near = "严厉打击网络赌博、非法集资、电信诈骗等违法犯罪活动。"
    assert near in body_of(html(paragraphs([*ARTICLE, near])))


def test_a_mobile_mirrors_more_link_does_not_stay_in_an_extended_article() -> None:
    """Family 11: `点击查看更多` after a 扩展阅读 article made the mirror's copy differ."""
    extended = ["扩展阅读：防汛工作会议召开", "会议部署了今年的防汛工作，要求各地做好准备。"]
    desktop = record(html(paragraphs(ARTICLE + extended)))
    mobile = record(html(paragraphs([*ARTICLE, *extended, "点击查看更多>>"])))
    assert [e.content_hash for e in desktop.extended_reading] == [
        e.content_hash for e in mobile.extended_reading
    ]


def test_an_english_news_page() -> None:
    """The open web is not only Chinese: a news page's article and byline."""
    paragraphs_en = [
        "The city council approved a new budget on Tuesday, raising spending on schools "
        "and public transport by four percent over last year.",
        "Council members said the increase would be paid for by higher parking fees and a "
        "one-time transfer from the reserve fund, which has grown in recent years.",
        "Critics argued that the plan did little to address the housing shortage, and "
        "several residents spoke against it during the three-hour public hearing.",
    ]
    nav = links([f"Section {i}" for i in range(30)])
    side = "<aside><h3>Most read</h3>" + links([f"Another headline {i}" for i in range(10)])
    page = (
        f"<html><head><title>Council approves budget | Daily News</title></head><body>{nav}"
        "<h1>Council approves budget</h1><p>By Jane Smith, Staff Writer</p>"
        f"<article>{paragraphs(paragraphs_en)}</article>{side}</aside>"
        "<footer><p>© 2021 Daily News. All rights reserved.</p></footer></body></html>"
    )
    doc = record(page.encode(), "https://news.example.com/2021/03/03/budget.html").document
    assert doc is not None
    assert doc.body == "\n".join(paragraphs_en)
    assert doc.author == "Jane Smith"
    assert doc.published_at is not None and doc.published_at.date() == date(2021, 3, 3)


def test_a_page_nested_past_the_parsers_limit_is_flagged_and_its_capture_says_why() -> None:
    from pipeline.provenance import Cleaned, Fetch

    page = "<html><body>" + "<div>" * 100_000 + "<p>" + ARTICLE[0] + "</p></body></html>"
    rec = record(page.encode())
    assert rec.parser_gave_up and "parser_gave_up" in rec.to_json()["flags"]
    fetch = Fetch(url="http://x.test/1.html", site="x", fetched_at=datetime.now(UTC), status=200)
    assert (Cleaned(fetch, rec).error or "").startswith("HTML parser gave up part-way")
    assert Cleaned(fetch, record(html(paragraphs(ARTICLE)))).error is None

"""The demo site over real loopback HTTP, and its truth checked against its own pages."""

from __future__ import annotations

import hashlib
import html
import http.client
import re
import urllib.error
import urllib.request
from collections.abc import Iterator
from difflib import SequenceMatcher
from typing import Any

import pytest

from demosite import DemoServer, DemoSite
from demosite.forward import fullwidth_to_ascii, s2t, t2s, unshift_run
from demosite.listing import ROBOTS

PAGES, SEED = 120, 7
PINYIN = re.compile(r"\([a-zāáǎàēéěèīíǐìōóǒòūúǔùǖǘǚǜüńňǹḿ]+\)")
BASE = "http://127.0.0.1:8000"


@pytest.fixture(scope="module")
def site() -> DemoSite:
    return DemoSite.build(pages=PAGES, seed=SEED)


@pytest.fixture(scope="module")
def truth(site: DemoSite) -> dict[str, Any]:
    return site.truth()


@pytest.fixture(scope="module")
def server() -> Iterator[DemoServer]:
    with DemoServer(pages=PAGES, seed=SEED) as srv:
        yield srv


def fetch(url: str, headers: dict[str, str] | None = None) -> tuple[int, dict[str, str], bytes]:
    request = urllib.request.Request(url, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as error:
        with error:
            return error.code, dict(error.headers), error.read()


def pages_with(truth: dict[str, Any], **wanted: Any) -> list[str]:
    return [p for p, page in truth["pages"].items() if wanted.items() <= page.items()]


# --- a reference cleaner: proves every page's truth can be recovered from its bytes ---


def _repair(damaged: str, expected: str) -> str:
    """Undo each misalignment run, located by comparison with the expected text."""
    matcher = SequenceMatcher(None, expected, damaged, autojunk=False)
    parts = []
    for tag, _, _, j1, j2 in matcher.get_opcodes():
        parts.append(damaged[j1:j2] if tag == "equal" else unshift_run(damaged[j1:j2]))
    return "".join(parts)


def _clean(text: str, page: dict[str, Any], expected: str) -> str:
    text = fullwidth_to_ascii(html.unescape(text)).replace("x0dx0a", "")
    if page["variant"] == "gbk_dirty":
        text = _repair(PINYIN.sub("", text), s2t(expected))
    return t2s(text)


def _paragraphs(raw: bytes, page: dict[str, Any]) -> list[str]:
    text = raw.decode({"gbk": "gb18030"}.get(page["encoding"], page["encoding"]))
    block = re.search(
        r'class="content">\n(.*?)</div>\n<div class="(?:tip|dede_pages)">|<article>(.*?)</article>',
        text,
        re.S,
    )
    assert block is not None
    return re.findall(r"<p>(.*?)</p>", block.group(1) or block.group(2))


def test_reference_cleaning_recovers_every_truth(site: DemoSite, truth: dict[str, Any]) -> None:
    for path in pages_with(truth, status=200):
        page = truth["pages"][path]
        lines = _paragraphs(site.render(path, BASE).body, page)
        expected = [list(site.page_document(path).article.paragraphs)]  # an article's share
        expected += [ext["body"].split("\n") for ext in page["extended_reading"]]
        wanted = [page["title"], *expected[0]]
        for ext, ext_body in zip(page["extended_reading"], expected[1:], strict=True):
            wanted += [f"扩展阅读:{ext['title']}", *ext_body]
        assert len(lines) == len(wanted), path
        cleaned = [_clean(line, page, want) for line, want in zip(lines, wanted, strict=True)]
        assert cleaned == wanted, path


def test_truth_is_self_consistent(truth: dict[str, Any]) -> None:
    pages, documents = truth["pages"], truth["documents"]
    for path, page in pages.items():
        if page["status"] != 200:
            continue
        assert hashlib.sha256(page["body"].encode()).hexdigest() == page["content_hash"]
        assert page["document_key"] == page["content_hash"]
        if page["crawlable"]:
            assert path in documents[page["content_hash"]]["paths"]
        for ext in page["extended_reading"]:
            assert hashlib.sha256(ext["body"].encode()).hexdigest() == ext["content_hash"]
    assert sum(len(d["paths"]) for d in documents.values()) == len(
        pages_with(truth, status=200, crawlable=True)
    )
    for content_hash, ext in truth["extended_reading"].items():
        assert content_hash not in documents
        assert all(
            ext["title"] == e["title"] for p in ext["paths"] for e in pages[p]["extended_reading"]
        )


def test_truth_covers_variants_twins_and_mirrors(truth: dict[str, Any]) -> None:
    pages, special = truth["pages"], truth["special"]
    variants = {page.get("variant") for page in pages.values()}
    assert {"utf8", "gbk_dirty", "big5", "lying", "twin", "mobile"} <= variants
    for first, second in special["twins"]:
        assert pages[first]["content_hash"] == pages[second]["content_hash"]
        assert {pages[first]["encoding"], pages[second]["encoding"]} == {"utf-8", "gbk"}
    for mobile in special["mobile"]:
        desktop = pages[mobile]["canonical"]
        assert pages[desktop]["mirror"] == mobile
        assert pages[desktop]["content_hash"] == pages[mobile]["content_hash"]
    dirty = [pages[p]["forward"] for p in pages_with(truth, variant="gbk_dirty")]
    assert all(f["pinyin_in_body"] > 0 and f["mojibake_in_body"] > 0 for f in dirty)
    shared = list(truth["extended_reading"].values())
    assert len(shared) <= 8 and max(len(d["paths"]) for d in shared) > 2


def test_lying_pages_lie(site: DemoSite, truth: dict[str, Any]) -> None:
    lying = pages_with(truth, variant="lying")
    assert any(truth["pages"][p]["declared_header"] is None for p in lying)
    assert any(truth["pages"][p]["declaration_lied"] for p in lying)
    for path in lying:
        page, response = truth["pages"][path], site.render(path, BASE)
        declared = page["declared_header"]
        assert response.content_type == (
            f"text/html; charset={declared}" if declared else "text/html"
        )


def test_night_two(site: DemoSite, truth: dict[str, Any]) -> None:
    night2 = DemoSite.build(pages=PAGES, seed=SEED, night=2)
    truth2, special = night2.truth(), night2.truth()["special"]
    assert len(night2.plan.revised) == round(PAGES * 0.1) + 1  # and the article's 2nd page
    for path in special["gone"]:
        assert (truth["pages"][path]["status"], truth2["pages"][path]["status"]) == (200, 410)
    for path in special["new"]:
        assert path not in truth["pages"] and truth2["pages"][path]["status"] == 200
    lists = "".join(night2.render(lst, BASE).body.decode() for lst in special["lists"])
    assert all(path in lists for path in special["new"] if not path.startswith("/m/"))
    for path in pages_with(truth2, status=200):
        if path in special["new"]:
            continue
        old, new = truth["pages"][path], truth2["pages"][path]
        same = site.render(path, BASE).etag == night2.render(path, BASE).etag
        assert (old["content_hash"] == new["content_hash"]) is (path not in special["changed"])
        if new["article_part"] is None:
            assert same is (path not in special["changed"])
        else:  # the article changed on its second page alone
            assert same is (new["article_part"] != 2) and path in special["changed"]
        assert new.get("previous_hash", old["content_hash"]) == old["content_hash"]


def test_routes(server: DemoServer, truth: dict[str, Any]) -> None:
    special, url = truth["special"], server.url
    assert fetch(url + "/")[0] == 200
    status, headers, body = fetch(url + "/robots.txt")
    assert (status, body) == (200, ROBOTS.encode()) and "Disallow: /private/" in ROBOTS
    for path in special["lists"] + special["private"] + special["mobile"][:3]:
        assert fetch(url + path)[0] == 200, path
    for path in special["missing"] + ["/nothing.html", "/list/fanwen/index_99.html"]:
        assert fetch(url + path)[0] == 404, path
    status, headers, body = fetch(url + special["pdf"][0])
    assert headers["Content-Type"] == "application/pdf" and body.startswith(b"%PDF-1.4")
    assert body.rstrip().endswith(b"%%EOF")
    assert (
        special["pdf"][0].encode() in fetch(url + special["pdf_linked_from"][special["pdf"][0]])[2]
    )


def test_detail_page_lines_follow_the_seed_order(server: DemoServer, truth: dict[str, Any]) -> None:
    path = pages_with(truth, variant="utf8")[0]
    page, raw = truth["pages"][path], fetch(server.url + path)[2].decode()
    body = raw.split("<body>", 1)[1]
    text = fullwidth_to_ascii(html.unescape(re.sub(r"<[^>]+>", "", body)))
    spam = text.split("\n", 2)[1]
    assert t2s(spam) != spam and "," in spam  # the SEO line, in the other script
    markers = ["荟聚奇文、博采众长、见贤思齐", f"当前位置:公文素材库 > {page['category']} > "]
    markers += [page["title"], "网站:公文素材库 | 时间:", "友情提示:本文中关于《", "来源:"]
    markers += ["》由互联网用户整理提供,转载分享请保留原作者信息,谢谢!"]
    markers += [f"链接地址:{server.url}{path}"]
    positions = [text.index(marker) for marker in markers]
    assert positions == sorted(positions)
    assert f"时间:{page['published_at'][:10]} {page['published_at'][11:19]}" in text
    assert f"来源:{page['source']} 免责声明:{page['disclaimer']}" in text
    assert f'<link rel="canonical" href="{server.url}{path}">' in raw


def test_list_pagination_and_trap(server: DemoServer, truth: dict[str, Any]) -> None:
    body = fetch(server.url + "/list/xinde/")[2].decode()
    assert len(re.findall(r'<li><a href="', body)) == 20
    assert 'href="/list/xinde/index_2.html">下一页' in body and "尾页" in body
    trap = fetch(server.url + truth["special"]["trap_start"])[2].decode()
    assert 'href="/calendar/2024-02.html"' in trap
    assert (
        'href="/calendar/10000-01.html"' in fetch(server.url + "/calendar/9999-12.html")[2].decode()
    )


def test_redirect_and_head_over_one_keep_alive_connection(server: DemoServer) -> None:
    target = server.site.plan.redirects["/old/583001.html"]
    assert target == "/doc/583001.html"  # seed 7's first page has the old URL shape
    connection = http.client.HTTPConnection(server.url.removeprefix("http://"), timeout=10)
    connection.request("GET", "/old/583001.html")
    response = connection.getresponse()
    assert (response.status, response.read()) == (301, b"")
    assert response.getheader("Location") == server.url + target
    connection.request("HEAD", target + "?utm=x")  # a query string a page does not use
    head = connection.getresponse()
    assert (
        head.status == 200
        and head.read() == b""
        and int(head.getheader("Content-Length", "0")) > 5000
    )
    connection.request("GET", target)
    full = connection.getresponse()
    assert len(full.read()) == int(head.getheader("Content-Length", "0"))
    connection.close()


def test_conditional_get(server: DemoServer) -> None:
    for path in (server.site.plan.paths[583003], "/show.asp?id=2016", "/", "/robots.txt"):
        headers = fetch(server.url + path)[1]
        etag, modified = headers["ETag"], headers["Last-Modified"]
        assert fetch(server.url + path, {"If-None-Match": etag})[:1] == (304,)
        assert fetch(server.url + path, {"If-None-Match": etag})[2] == b""
        assert fetch(server.url + path, {"If-Modified-Since": modified})[0] == 304
        assert fetch(server.url + path, {"If-None-Match": '"stale"'})[0] == 200
        old = "Mon, 01 Jan 2001 00:00:00 GMT"
        assert fetch(server.url + path, {"If-Modified-Since": old})[0] == 200


def test_flaky_fails_once_per_server() -> None:
    for _ in range(2):
        with DemoServer(pages=10, seed=3) as srv:
            path = srv.site.truth()["special"]["flaky"][0]
            assert [fetch(srv.url + path)[0] for _ in range(3)] == [500, 200, 200]


def test_request_log(server: DemoServer) -> None:
    fetch(server.url + "/robots.txt", {"X-Probe": "yes"})
    entry = server.request_log[-1]
    assert (entry.method, entry.path, entry.status) == ("GET", "/robots.txt", 200)
    assert entry.headers["x-probe"] == "yes" and entry.bytes_sent == len(ROBOTS)


def test_set_night_switches_in_place() -> None:
    with DemoServer(pages=40, seed=5) as srv:
        url = srv.url
        before = {
            p: fetch(url + p)[1]["ETag"]
            for p, spec in srv.site.plan.specs.items()
            if spec.route == "doc"
        }
        srv.set_night(2)
        special = srv.site.truth()["special"]
        assert srv.url == url
        for path, etag in before.items():
            status = fetch(url + path, {"If-None-Match": etag})[0]
            expected = (
                410 if path in special["gone"] else 200 if path in special["changed"] else 304
            )
            assert status == expected, path
        assert fetch(url + special["new"][0])[0] == 200


def test_quality_pages_match_the_truth(site: DemoSite, truth: dict[str, Any]) -> None:
    for page in site.quality_pages(BASE):
        path = page["url"].removeprefix(BASE)
        expected = truth["pages"][path]
        assert page["bytes"] == site.render(path, BASE).body
        body = site.page_document(path).article.body  # an article's page: its own share
        assert page["truth"]["body"] == body
        assert (body == expected["body"]) is (expected["article_part"] is None)
        assert page["truth"]["canonical_url"] == BASE + expected["canonical"]
        assert sum(page["runs"]) == expected["forward"]["mojibake_in_body"]
        assert len(page["runs"]) == len(body.split("\n"))


SHAPES = {
    "doc": r"/doc/\d+\.html",
    "view": r"/view/\d{19}",
    "show": r"/show\.asp\?id=\d+",
    "p": r"/p-\d+\.html",
    "hex": r"/p/[0-9a-f]{12}",
    "thread": r"/thread-\d+-1-1\.html",
    "htm": r"/wk/\d+_2\.htm",
    "slug": r"/article\d+/[a-z]{6}\.html",
}


def test_documents_live_under_the_url_shapes_of_real_libraries(
    server: DemoServer, truth: dict[str, Any]
) -> None:
    found: dict[str, list[str]] = {}
    for path in pages_with(truth, status=200, route="doc"):
        shape = next(name for name, rule in SHAPES.items() if re.fullmatch(rule, path))
        found.setdefault(shape, []).append(path)
    assert set(found) == set(SHAPES)
    for paths in found.values():
        status, _, body = fetch(server.url + paths[0])
        assert status == 200 and len(body) > 5000, paths[0]


def test_the_article_split_over_three_pages(server: DemoServer, truth: dict[str, Any]) -> None:
    (parts,) = truth["special"]["articles"]
    assert parts[1:] == [parts[0].replace(".html", f"_{n}.html") for n in (2, 3)]
    pages = [fetch(server.url + path)[2].decode() for path in parts]
    assert all("共3页" in page for page in pages)
    assert f'href="{parts[1]}">下一页' in pages[0] and f'href="{parts[2]}">下一页' in pages[1]
    assert "下一页" not in pages[2] and f'href="{parts[1]}">上一页' in pages[2]
    (content_hash,) = {truth["pages"][path]["content_hash"] for path in parts}
    document = truth["documents"][content_hash]
    assert document["paths"] == parts
    shares = [re.findall(r"<p>(.*?)</p>", page.split('class="content">')[1]) for page in pages]
    joined = [html.unescape(p).replace("x0dx0a", "") for share in shares for p in share[1:]]
    assert document["body"].split("\n") == joined  # each page's share, after its title
    assert [truth["pages"][path]["article_part"] for path in parts] == [1, 2, 3]


FAMILIES = {  # issue 9's chrome families 7–11: a marker of each, in Simplified
    "upload metadata and counters": "阅读:",
    "page markers": ".docx_第2页",
    "preview notice": "预览已结束",
    "infringement notice": "如有侵权请联系客服删除",
    "download instructions": "下载文档前请自行甄别",
    "download instructions heading": "下载说明:",
    "spam of other keywords": "★",
    "customer service": "客服QQ:",
    "unzip password": "解压密码:",
    "related downloads": "相关下载",
    "editorial boilerplate": "以下是小编为大家收集的",
    "reprint notice": "本文来源于网友上传",
    "forum edit line": "本帖最后由",
    "forum anti-copy characters": 'class="jammer"',
    "forum attachment": "下载次数:",
    "mobile 点击查看更多 after 扩展阅读": "点击查看更多",
}


def test_pages_carry_the_chrome_families_and_the_truth_leaves_them_out(
    site: DemoSite, truth: dict[str, Any]
) -> None:
    seen: dict[str, int] = dict.fromkeys(FAMILIES, 0)
    for path in pages_with(truth, status=200):
        page = truth["pages"][path]
        raw = site.render(path, BASE).body
        text = t2s(
            fullwidth_to_ascii(
                raw.decode({"gbk": "gb18030"}.get(page["encoding"], page["encoding"]))
            )
        )
        text = PINYIN.sub("", text)
        for family, marker in FAMILIES.items():
            seen[family] += marker in text
        texts = [page["body"], *(ext["body"] for ext in page["extended_reading"])]
        assert not [m for m in FAMILIES.values() if any(m in body for body in texts)], path
    assert all(seen.values()), seen
    mobile = [p for p in truth["special"]["mobile"] if truth["pages"][p]["extended_reading"]]
    for path in mobile:
        text = PINYIN.sub("", t2s(site.render(path, BASE).body.decode()))
        assert text.index("点击查看更多") > text.index("扩展阅读")

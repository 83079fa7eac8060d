"""What the spider hands on for one response, and in which order.

A page goes to the archive after its links: a crash between the two must not leave the page
archived (so skipped by a resumed crawl, and no longer in flight on a shared frontier) with
links nobody queued or remembered.
"""

from __future__ import annotations

from scrapy import Request
from scrapy.http import HtmlResponse
from scrapy.utils.test import get_crawler

from crawler.profiles import profile_for_urls
from crawler.spiders.library import LibrarySpider
from pipeline.provenance import Discovered, Fetch

SITE = "http://library.example.cn"


def page(
    path: str, body: str, status: int = 200, headers: dict[str, str] | None = None
) -> HtmlResponse:
    html = f"<html><head><meta charset='utf-8'></head><body>{body}</body></html>"
    request = Request(SITE + path)
    return HtmlResponse(
        SITE + path, status=status, body=html.encode(), headers=headers, request=request
    )


def handed(response: HtmlResponse) -> list[object]:
    crawler = get_crawler(LibrarySpider)
    spider = LibrarySpider.from_crawler(crawler, profile=profile_for_urls([SITE + "/"]))
    return list(spider.parse(response))


def test_a_pages_links_are_handed_on_before_the_page() -> None:
    links = "".join(f"<a href='/doc/{n}.html'>第{n}篇</a>" for n in range(5))
    out = handed(page("/list_1.html", f"<p>列表</p>{links}<a href='/m/doc/1.html'>手机版</a>"))
    fetches = [n for n, item in enumerate(out) if isinstance(item, Fetch)]
    queued = [n for n, item in enumerate(out) if isinstance(item, Request)]
    remembered = [(n, item) for n, item in enumerate(out) if isinstance(item, tuple)]
    assert len(fetches) == 1 and len(queued) == 6  # six links, each queued
    assert len(remembered) == 1  # and remembered: the page's new links are one item
    assert [type(link) for link in remembered[0][1]] == [Discovered] * 6
    assert max(*queued, remembered[0][0]) < fetches[0]


def test_a_redirects_target_is_queued_before_the_redirect_is_handed_on() -> None:
    out = handed(page("/old.html", "", status=301, headers={"Location": "/new.html"}))
    kinds = [type(item).__name__ for item in out]
    assert kinds == ["Request", "Fetch"]
    assert out[0].url == SITE + "/new.html"  # type: ignore[attr-defined]

"""The pages around the documents: home, paginated lists, robots.txt, the calendar
trap, the PDF attachment and the error pages. All UTF-8, Simplified."""

from __future__ import annotations

import re
from collections.abc import Callable
from html import escape

from demosite.corpus import Category
from demosite.pages import SITE, SLOGAN
from demosite.plan import Plan

PER_PAGE = 20
WINDOW = 5
LATEST = 10
ROBOTS = "User-agent: *\nDisallow: /private/\n"
TRAP_START = "/calendar/2024-01.html"
_CALENDAR = re.compile(r"/calendar/(\d{4,})-(\d{2})\.html")
TitleOf = Callable[[str], str]


def _page(title: str, body: str) -> str:
    return (
        '<!DOCTYPE html>\n<html>\n<head>\n<meta charset="utf-8">\n'
        f"<title>{title}</title>\n</head>\n<body>\n{body}</body>\n</html>\n"
    )


def _links(paths: list[str], title_of: TitleOf) -> str:
    items = "".join(f'<li><a href="{escape(p)}">{escape(title_of(p))}</a></li>\n' for p in paths)
    return f"<ul>\n{items}</ul>\n"


def home_html(plan: Plan, categories: tuple[Category, ...], title_of: TitleOf) -> str:
    sections = "".join(
        f'<li><a href="/list/{c.slug}/">{c.path}</a> (共{len(plan.listed[c.slug])}篇)</li>\n'
        for c in categories
    )
    desktop = [spec for spec in plan.specs.values() if spec.route == "doc"]
    latest = [spec.path for spec in sorted(desktop, key=lambda s: s.doc_key)][-LATEST:]
    return _page(
        f"{SITE} - {SLOGAN}",
        f"<h1>{SITE}</h1>\n<div>{SLOGAN}</div>\n<h2>栏目导航</h2>\n<ul>\n{sections}</ul>\n"
        f"<h2>最新文档</h2>\n{_links(latest[::-1], title_of)}"
        f"<h2>热门推荐</h2>\n{_links(plan.special('flaky'), title_of)}"
        f"<h2>内部资料</h2>\n{_links(plan.special('private'), title_of)}"
        f"<h2>旧版入口</h2>\n{_links(list(plan.redirects), lambda p: '旧版文档 ' + p)}"
        f"<h2>失效链接</h2>\n{_links(plan.missing, lambda p: '已删除的文档')}"
        f'<h2>往期归档</h2>\n<a href="{TRAP_START}">2024年01月</a>\n',
    )


def list_url(slug: str, number: int) -> str:
    return f"/list/{slug}/" if number == 1 else f"/list/{slug}/index_{number}.html"


def page_count(plan: Plan, slug: str) -> int:
    return max(1, -(-len(plan.listed[slug]) // PER_PAGE))


def list_html(plan: Plan, category: Category, number: int, title_of: TitleOf) -> str:
    """List page `number` (1-based) of a category, 20 links and a pagination bar."""
    paths = plan.listed[category.slug][(number - 1) * PER_PAGE : number * PER_PAGE]
    crumbs = " &gt; ".join(category.names)
    pager = _pager(category.slug, number, page_count(plan, category.slug))
    return _page(
        f"{category.names[-1]}_{SITE}",
        f'<div class="position">当前位置:<a href="/">{SITE}</a> &gt; {crumbs}</div>\n'
        f"{_links(paths, title_of)}{pager}",
    )


def _pager(slug: str, number: int, last: int) -> str:
    def link(n: int, text: str) -> str:
        return f'<a href="{list_url(slug, n)}">{text}</a>'

    window = range(max(1, number - WINDOW), min(last, number + WINDOW) + 1)
    numbers = [f"<span>{n}</span>" if n == number else link(n, str(n)) for n in window]
    prev = [link(number - 1, "上一页")] if number > 1 else []
    after = [link(number + 1, "下一页")] if number < last else []
    items = [link(1, "首页"), *prev, *numbers, *after, link(last, "尾页")]
    return f'<div class="pages">{" ".join(items)}</div>\n'


def parse_list_path(path: str) -> tuple[str, int] | None:
    match = re.fullmatch(r"/list/([a-z]+)/(?:index_(\d+)\.html)?", path)
    if not match:
        return None
    number = int(match.group(2) or 1)
    return (match.group(1), number) if match.group(2) != "1" else None


def calendar_html(path: str) -> str | None:
    """A month of the trap; every month links to the next, forever."""
    match = _CALENDAR.fullmatch(path)
    if not match or not 1 <= int(match.group(2)) <= 12:
        return None
    year, month = int(match.group(1)), int(match.group(2))
    nxt = (year + month // 12, month % 12 + 1)
    href = f"/calendar/{nxt[0]:04d}-{nxt[1]:02d}.html"
    return _page(
        f"{year}年{month:02d}月归档_{SITE}",
        f'<div class="position">当前位置:<a href="/">{SITE}</a> &gt; 往期归档 &gt; '
        f"{year}年{month:02d}月</div>\n<ul>\n</ul>\n"
        f'<div class="pages"><a href="{href}">下一月</a></div>\n',
    )


def error_html(status: int) -> str:
    message = {404: "页面不存在", 410: "该文档已被删除", 500: "服务器内部错误"}[status]
    return _page(f"{status} {message}", f"<h1>{status}</h1>\n<p>{message}</p>\n")


def pdf_bytes(text: str) -> bytes:
    """A small valid one-page PDF (ASCII text, Helvetica)."""
    stream = f"BT /F1 18 Tf 72 760 Td ({text}) Tj ET".encode("ascii")
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R"
        b" /Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d >>\nstream\n%s\nendstream" % (len(stream), stream),
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out, offsets = bytearray(b"%PDF-1.4\n"), []
    for number, obj in enumerate(objects, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (number, obj)
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        xref,
    )
    return bytes(out)

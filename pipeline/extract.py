"""Decoded HTML → the page's fields and its still-dirty body lines.

The page's text lines are read once (`htmltext`); `layout` says where the header, the
article and the tail lie, on the fast path for document-library pages and through the
main-text vote (`maintext`) on any other; the fields are then read from the parts.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from pipeline import chrome, fields, markers, spam
from pipeline.chrome import key
from pipeline.htmltext import Page, parse_page, without_controls
from pipeline.layout import Layout, ends_body, general_layout, has_prose, library_layout
from pipeline.maintext import main_text
from pipeline.types import Article, Decoded, Extracted

_TITLE_SUFFIX = re.compile(r"\s*(?:_|\s-\s|\s\|\s|—).*$")
_INLINE_TAIL = 60  # characters at the end of a paragraph searched for `(来源:…)`
_SCRIPT_SAMPLE = 3000  # characters of the body that decide the page's script

parse_datetime = fields.parse_datetime  # kept importable from here (tests, reprocess)


def _title_hint(page: Page) -> str | None:
    return page.h1 or (_TITLE_SUFFIX.sub("", page.title) if page.title else None)


def _title(page: Page, crumb: list[str]) -> str:
    if page.h1:
        return page.h1
    if page.title:
        return _TITLE_SUFFIX.sub("", page.title) or page.title
    return crumb[-1] if crumb else ""


def _category(crumb: list[str], title_key: str) -> str | None:
    items = crumb[1:]
    if items and items[-1] == title_key:
        items = items[:-1]
    return " > ".join(items) or None


def _inline_source(line: str) -> str | None:
    """`…应是最根本。(来源:中国人事报)` → `中国人事报`."""
    match = markers.INLINE_SOURCE.search(key(line[-_INLINE_TAIL:]))
    return match.group(1).strip() if match else None


def _extended(lines: list[str], keys: list[str], start: int) -> tuple[list[Article], int]:
    """The 扩展阅读 sections from `start`; returns them and the index where the tail begins."""
    articles: list[Article] = []
    i = start
    while i < len(keys) and (match := markers.EXTENDED.match(keys[i])):
        j = i + 1
        while j < len(keys) and not ends_body(keys[j]):
            j += 1
        title = lines[i].split(":", 1)[-1].split("：", 1)[-1].strip()
        source = _inline_source(lines[j - 1]) if j > i + 1 else None
        articles.append(Article(title or match.group(1), lines[i + 1 : j], source))
        i = j
    return articles, i


@dataclass(slots=True)
class _Parts:
    page: Page
    layout: Layout
    title_key: str | None


def _read(text: str, fast_path: bool = True) -> _Parts:
    page = parse_page(text)
    hint = _title_hint(page)
    title_key = key(hint) if hint else None
    keys = chrome.keys(page.lines)
    links = page.link_lines
    layout = library_layout(keys, title_key, links) if fast_path else None
    if layout is None:
        chosen = main_text(text, page.lines) if has_prose(page.lines, links) else None
        if chosen is None:  # no prose, or neither extractor found a main text: the page's own lines
            chosen = [i for i in range(len(keys)) if i not in links]
        sizes = [0 if i in links else len(line) for i, line in enumerate(page.lines)]
        layout = general_layout(keys, sizes, chosen, title_key, links)
    return _Parts(page, layout, title_key)


def _head_counts(page: Page, layout: Layout, script: str) -> tuple[int, int]:
    """(spam lines, cloaking lines) among the lines before the article."""
    head = list(zip(page.lines[: layout.header_end], layout.keys, strict=False))
    spammed = sum(spam.is_spam(k, line, script) for line, k in head)
    return spammed, sum(1 for line, _ in head if markers.CLOAKING.fullmatch(line))


def extract(decoded: Decoded, fast_path: bool = True) -> Extracted:
    """The page's fields, its body lines (dirty) and its 扩展阅读 articles.

    `fast_path=False` reads even a document-library page through the main-text vote
    (`make quality` measures both ways)."""
    parts = _read(without_controls(decoded.text), fast_path)
    page, layout = parts.page, parts.layout
    title = _title(page, layout.crumb)
    extended, tail_at = _extended(page.lines, layout.keys, layout.tail_at)
    around = fields.Around(
        layout.keys, layout.header_end, tail_at, layout.body, layout.recognised, parts.title_key
    )
    found = fields.read(around, page.published, decoded.url)
    body = [page.lines[i] for i in layout.body]
    script = spam.script_of("".join(body)[:_SCRIPT_SAMPLE])
    spam_lines, cloaking = _head_counts(page, layout, script)
    return Extracted(
        url=decoded.url,
        title=title,
        lines=body,
        category=_category(layout.crumb, key(title)),
        published_at=found.published_at,
        author=found.author,
        source=found.source,
        disclaimer=found.disclaimer,
        canonical_url=found.link or page.canonical,
        extended_reading=extended,
        chrome_lines=_left_out(page, body, extended) - spam_lines - cloaking,
        spam_lines=spam_lines,
        cloaking_lines=cloaking,
        script=script,
        link_density=page.link_density(layout.region),
        parser_gave_up=page.parser_gave_up,
    )


def _left_out(page: Page, body: list[str], extended: list[Article]) -> int:
    return len(page.lines) - len(body) - sum(1 + len(a.lines) for a in extended)

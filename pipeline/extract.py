"""Decoded HTML → the page's fields and its still-dirty body lines.

The layout of document-library pages (SPEC.md, the seed page) is read line by line:

    [spam] [slogan] 当前位置:Root > A > B > Title   Title   网站:… | 时间:… | 移动端:…
    [Title again] body … 扩展阅读:T2  body of T2 … 友情提示:…  来源:… 免责声明:…  footer

Everything before the end of that header is chrome or spam; the body runs to the first
扩展阅读 or tail line (友情提示, 来源, 免责声明, 链接地址); each 扩展阅读 section runs to
the next one or the tail. Lines are matched on `chrome.key` (Simplified, no glued pinyin).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from pipeline import chrome
from pipeline.chrome import key
from pipeline.htmltext import Page, parse_page
from pipeline.types import Article, Decoded, Extracted

SHANGHAI = timezone(timedelta(hours=8), "Asia/Shanghai")
_HEADER_WINDOW = 15  # the header is looked for in the page's first lines
_TITLE_SUFFIX = re.compile(r"\s*(?:_|\s-\s|\s\|\s|—).*$")
_INLINE_TAIL = 60  # characters at the end of a paragraph searched for `(来源:…)`
_REPEAT_WINDOW = 4  # lines after the header where the title may be repeated
_SCRIPT_SAMPLE = 3000  # characters of the body that decide the page's script
_ISO = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}")


@dataclass(slots=True)
class _Layout:
    keys: list[str]
    header_end: int  # index of the first line after the header
    body_end: int  # index of the first 扩展阅读 or tail line
    crumb: list[str]


def parse_datetime(text: str | None) -> datetime | None:
    """`2019-05-28 14:10:11` or ISO 8601; a time without zone is Asia/Shanghai."""
    if not text:
        return None
    if _ISO.match(text):
        try:
            parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
        except ValueError:
            parsed = None
        if parsed is not None:
            return parsed if parsed.tzinfo else parsed.replace(tzinfo=SHANGHAI)
    match = chrome.DATETIME.search(text)
    if not match:
        return None
    y, mo, d, h, mi, s = (int(g) if g else 0 for g in match.groups())
    try:
        return datetime(y, mo, d, h, mi, s, tzinfo=SHANGHAI)
    except ValueError:
        return None


def _find(keys: list[str], pattern: re.Pattern[str], start: int, stop: int) -> int | None:
    return next((i for i in range(start, min(stop, len(keys))) if pattern.search(keys[i])), None)


def _crumb_items(k: str) -> list[str]:
    match = chrome.BREADCRUMB.match(k)
    items = chrome.CRUMB_SPLIT.split(match.group(1)) if match else []
    return [i.strip() for i in items if i.strip()]


def _header_end(keys: list[str], title_key: str | None) -> tuple[int, list[str]]:
    crumb_at = _find(keys, chrome.BREADCRUMB, 0, _HEADER_WINDOW)
    meta_at = _find(keys, chrome.META_LINE, crumb_at or 0, _HEADER_WINDOW)
    marks = [i for i in (crumb_at, meta_at) if i is not None]
    end = max(marks) + 1 if marks else 0
    if not marks and title_key:
        end = next((i + 1 for i, k in enumerate(keys[:_HEADER_WINDOW]) if k == title_key), 0)
    crumb = _crumb_items(keys[crumb_at]) if crumb_at is not None else []
    return end, crumb


def _layout(lines: list[str], title_key: str | None) -> _Layout:
    keys = chrome.keys(lines)
    header_end, crumb = _header_end(keys, title_key or None)
    title_key = title_key or (crumb[-1] if crumb else None)
    header_end = _skip_repeats(keys, header_end, title_key)
    body_end = next(
        (i for i in range(header_end, len(keys)) if _ends_body(keys[i])),
        len(keys),
    )
    return _Layout(keys, header_end, body_end, crumb)


def _skip_repeats(keys: list[str], start: int, title_key: str | None) -> int:
    """Past the title repeated as the body's first line, and chrome lines around it."""
    end = start
    while end < min(len(keys), start + _REPEAT_WINDOW):
        if keys[end] == title_key:
            start = end = end + 1
        elif chrome.is_chrome(keys[end]):
            end += 1
        else:
            break
    return start


def _ends_body(k: str) -> bool:
    return bool(chrome.EXTENDED.match(k) or chrome.TAIL.match(k) or chrome.FOOTER.search(k))


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
    match = chrome.INLINE_SOURCE.search(key(line[-_INLINE_TAIL:]))
    return match.group(1).strip() if match else None


def _extended(lines: list[str], keys: list[str], start: int) -> tuple[list[Article], int]:
    """The 扩展阅读 sections from `start`; returns them and the index where the tail begins."""
    articles: list[Article] = []
    i = start
    while i < len(keys) and (match := chrome.EXTENDED.match(keys[i])):
        j = i + 1
        while j < len(keys) and not _ends_body(keys[j]):
            j += 1
        title = lines[i].split(":", 1)[-1].split("：", 1)[-1].strip()
        source = _inline_source(lines[j - 1]) if j > i + 1 else None
        articles.append(Article(title or match.group(1), lines[i + 1 : j], source))
        i = j
    return articles, i


@dataclass(slots=True)
class _Tail:
    source: str | None = None
    disclaimer: str | None = None
    link: str | None = None


def _tail(keys: list[str], start: int) -> _Tail:
    """Source, disclaimer and link from the lines after the articles (key form)."""
    tail = _Tail()
    for k in keys[start:]:
        if tail.source is None and (m := chrome.SOURCE.search(k)):
            tail.source = m.group(1).strip()
        if tail.disclaimer is None and (m := chrome.DISCLAIMER.search(k)):
            tail.disclaimer = m.group(1).strip()
        if tail.link is None and (m := chrome.LINK.search(k)):
            tail.link = m.group(1)
    return tail


def _published(page: Page, keys: list[str], header_end: int) -> datetime | None:
    for k in keys[:header_end]:
        if match := chrome.META_LINE.search(k):
            return parse_datetime(k[match.start() :])
    return parse_datetime(page.published)


def _head_counts(page: Page, layout: _Layout, script: str) -> tuple[int, int]:
    """(spam lines, cloaking lines) among the lines before the end of the header."""
    head = list(zip(page.lines[: layout.header_end], layout.keys, strict=False))
    spam = sum(chrome.is_spam(k, line, script) for line, k in head)
    return spam, sum(1 for line, _ in head if chrome.CLOAKING.fullmatch(line))


def extract(decoded: Decoded) -> Extracted:
    """The page's fields, its body lines (dirty) and its 扩展阅读 articles."""
    page = parse_page(decoded.text)
    title_hint = page.h1 or (_TITLE_SUFFIX.sub("", page.title) if page.title else None)
    layout = _layout(page.lines, key(title_hint) if title_hint else None)
    title = _title(page, layout.crumb)
    extended, tail_at = _extended(page.lines, layout.keys, layout.body_end)
    tail = _tail(layout.keys, tail_at)
    span = range(layout.header_end, layout.body_end)
    body = [page.lines[i] for i in span if i not in page.link_lines]
    script = chrome.script_of("".join(body)[:_SCRIPT_SAMPLE])
    spam, cloaking = _head_counts(page, layout, script)
    left_out = layout.header_end - spam - cloaking + len(page.lines) - tail_at
    return Extracted(
        url=decoded.url,
        title=title,
        lines=body,
        category=_category(layout.crumb, key(title)),
        published_at=_published(page, layout.keys, layout.header_end),
        source=tail.source,
        disclaimer=tail.disclaimer,
        canonical_url=tail.link or page.canonical,
        extended_reading=extended,
        chrome_lines=left_out + len(span) - len(body),
        spam_lines=spam,
        cloaking_lines=cloaking,
        script=script,
        link_density=page.link_chars / page.text_chars if page.text_chars else 0.0,
    )

"""Where a page's header, article body and tail lie among its text lines.

Two readers, one result (`Layout`):

- `library_layout`, the fast path, reads the layout of document-library pages (SPEC.md,
  the seed page) when it is recognised with confidence, a breadcrumb and a meta line:

      [spam] [slogan] 当前位置:Root > A > B > Title   Title   网站:… | 时间:… | 移动端:…
      [Title again] body … 扩展阅读:T2  body of T2 … 友情提示:…  来源:… 免责声明:…  footer

- `general_layout` takes the lines that `pipeline.maintext` chose on any other page, and
  finds in them the same parts: byline lines above the article are header, not its end;
  the article ends at the first 扩展阅读 or tail line *after* its text has begun.

Lines are matched on `chrome.key` (Simplified, no glued pinyin, half-width punctuation).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from pipeline import chrome, markers

_HEADER_WINDOW = 15  # the library header is looked for in the page's first lines
_REPEAT_WINDOW = 4  # lines after the header where the title may be repeated
_HEADER_LOOKAHEAD = 6  # chosen lines among which a title or byline ends the header
_ARTICLE_BEGUN = 200  # characters of text after which a tail line ends the article
_PROSE_MIN = 40  # characters of text, at least one sentence among them
_SENTENCE = re.compile(r"[。！？；!?;]|\.(?:\s|$)")


@dataclass(slots=True)
class Layout:
    keys: list[str]
    header_end: int  # index of the first line after the header
    body: list[int]  # the article's lines, in order (chrome still among them)
    tail_at: int  # index of the first line after the article (扩展阅读 or tail)
    crumb: list[str] = field(default_factory=list)
    recognised: bool = False  # the document-library layout, read on the fast path

    region: Sequence[int] = ()  # the lines the article was chosen from, link lines too


def is_prose(text: str) -> bool:
    """Whether `text` could be an article: long enough, with a sentence in it."""
    return len(text) >= _PROSE_MIN and _SENTENCE.search(text) is not None


def has_prose(lines: Sequence[str], links: set[int]) -> bool:
    """Whether the page has prose outside its link lines. A page without (a list, a menu,
    a calendar) has no article whichever lines a main-text extractor would choose."""
    return is_prose("\n".join(line for i, line in enumerate(lines) if i not in links))


def ends_body(k: str) -> bool:
    return chrome.ends_article(k)


def crumb_items(k: str) -> list[str]:
    match = markers.BREADCRUMB.match(k)
    items = markers.CRUMB_SPLIT.split(match.group(1)) if match else []
    return [i.strip() for i in items if i.strip()]


def _find(keys: Sequence[str], pattern: re.Pattern[str], start: int, stop: int) -> int | None:
    return next((i for i in range(start, min(stop, len(keys))) if pattern.search(keys[i])), None)


def library_layout(keys: list[str], title_key: str | None, links: set[int]) -> Layout | None:
    """The document-library layout when its breadcrumb and meta line are both found."""
    crumb_at = _find(keys, markers.BREADCRUMB, 0, _HEADER_WINDOW)
    meta_at = _find(keys, markers.META_LINE, crumb_at or 0, _HEADER_WINDOW)
    if crumb_at is None or meta_at is None:
        return None
    crumb = crumb_items(keys[crumb_at])
    title_key = title_key or (crumb[-1] if crumb else None)
    header_end = _skip_repeats(keys, meta_at + 1, title_key)
    tail_at = next((i for i in range(header_end, len(keys)) if ends_body(keys[i])), len(keys))
    body = [i for i in range(header_end, tail_at) if i not in links]
    return Layout(keys, header_end, body, tail_at, crumb, True, range(header_end, tail_at))


def _skip_repeats(keys: list[str], start: int, title_key: str | None) -> int:
    """Past the title repeated as the body's first line, and chrome lines around it."""
    end = start
    while end < min(len(keys), start + _REPEAT_WINDOW):
        if keys[end] == title_key:
            start = end = end + 1
        elif chrome.is_chrome(keys[end]) or chrome.is_lead(keys[end]):
            end += 1
        else:
            break
    return start


def general_layout(
    keys: list[str],
    sizes: Sequence[int],
    chosen: Sequence[int],
    title_key: str | None,
    links: set[int],
) -> Layout:
    """The article among the lines `chosen` by the main-text stage.

    A tail or footer line ends the article only once its text has begun: one met before
    (a byline's `来源:`, an off-canvas menu's `©`) is header, and the article starts after.
    """
    rest = list(chosen[_past_header(keys, chosen, title_key) :])
    top = rest[0] + 1 if rest else _HEADER_WINDOW
    crumb_at = _find(keys, markers.BREADCRUMB, 0, top)
    crumb = crumb_items(keys[crumb_at]) if crumb_at is not None else []
    while (end := _first_end(keys, rest)) is not None and not _begun(sizes, rest, end):
        rest = rest[end + 1 :]
        rest = rest[_past_header(keys, rest, title_key) :]
    region = rest if end is None else rest[:end]
    body = [i for i in region if i not in links]
    tail_at = rest[end] if end is not None else len(keys)
    return Layout(keys, body[0] if body else tail_at, body, tail_at, crumb, False, region)


def _first_end(keys: list[str], lines: Sequence[int]) -> int | None:
    return next((n for n, i in enumerate(lines) if ends_body(keys[i])), None)


def _begun(sizes: Sequence[int], lines: Sequence[int], end: int) -> bool:
    """Whether the text before `lines[end]` is the article's (rather than what precedes it):
    enough of it, or more than what follows."""
    before = sum(sizes[i] for i in lines[:end])
    return before >= _ARTICLE_BEGUN or before >= sum(sizes[i] for i in lines[end + 1 :])


def _past_header(keys: list[str], chosen: Sequence[int], title_key: str | None) -> int:
    """How many of the chosen lines are header: the title, bylines, chrome, breadcrumb,
    and whatever stands before the last of those near the top (a slogan, a logo's text)."""
    marks = [
        n for n, i in enumerate(chosen[:_HEADER_LOOKAHEAD]) if _is_header_mark(keys[i], title_key)
    ]
    start = marks[-1] + 1 if marks else 0
    while start < len(chosen) and _is_header_line(keys[chosen[start]], title_key):
        start += 1
    under_title = start > 0 and keys[chosen[start - 1]] == title_key
    if under_title and start < len(chosen) and markers.is_names(keys[chosen[start]]):
        start += 1  # the author's name under the title
    return start


def _is_header_mark(k: str, title_key: str | None) -> bool:
    return bool(
        (title_key and k == title_key)
        or markers.BREADCRUMB.match(k)
        or markers.META_LINE.search(k)
        or chrome.is_lead(k)
    )


def _is_header_line(k: str, title_key: str | None) -> bool:
    return bool(
        (title_key and k == title_key)
        or chrome.is_lead(k)
        or markers.BREADCRUMB.match(k)
        or chrome.is_chrome(k)
    )

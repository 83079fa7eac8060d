"""A document's fields from the lines around its article: published time, author, source,
disclaimer, the page's own link. Lines are given in key form (`chrome.key`).

Where each is looked for, first to last:
- published: a labelled time above the article (`时间:…`, closest first); a short line
  with a date just above or at the start of the article; the page's `<meta>`/`<time>`;
  a labelled time just below it (a blog's `posted @`); a date in the URL;
- author: a labelled name just above the article, at its first or last lines, or below;
- source: the tail below the article (the document-library layout), then above it;
- disclaimer and link: the tail.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from itertools import pairwise

from pipeline import chrome, markers

SHANGHAI = timezone(timedelta(hours=8), "Asia/Shanghai")
_ISO = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}")
_URL_DATE = re.compile(
    r"/((?:19|20)\d{2})[-/_]?(0[1-9]|1[0-2])[-/_]?(0[1-9]|[12]\d|3[01])(?=[/_.-]|\d{0,2}/)"
)
_DATED_LINE_MAX = 60  # a line longer than this that holds a date is text, not a byline
_NEAR_ABOVE, _NEAR_BELOW = 8, 6  # lines around the article's start read as its byline
_POST_HEADER = 30  # first lines of the article where a labelled time may stand (forums)
_LABELLED_MAX = 100  # a longer line with a labelled time is text
_EDGE = 3  # first and last lines of the article where a byline may stand
_TAIL_WINDOW = 12  # lines after the article searched for its tail fields
_EARLIEST_YEAR = 1990  # the Chinese web starts here; an earlier "date" is a number


@dataclass(slots=True)
class Found:
    published_at: datetime | None = None
    author: str | None = None
    source: str | None = None
    disclaimer: str | None = None
    link: str | None = None


@dataclass(frozen=True, slots=True)
class Around:
    """The lines of a page around its article (key form)."""

    keys: Sequence[str]
    first: int  # the article's first line
    tail_at: int  # the first line after the article (and its 扩展阅读)
    body: Sequence[int]  # the article's lines
    library: bool = False  # the document-library layout: the tail runs to the page's end
    title_key: str | None = None

    @property
    def above(self) -> Sequence[str]:
        return self.keys[: self.first]

    @property
    def near(self) -> Sequence[str]:
        edge = [self.keys[i] for i in self.body[:_NEAR_BELOW]]
        return [*self.keys[max(0, self.first - _NEAR_ABOVE) : self.first], *edge]

    @property
    def opening(self) -> Sequence[str]:
        return [self.keys[i] for i in self.body[:_POST_HEADER]]

    @property
    def tail(self) -> Sequence[str]:
        end = None if self.library else self.tail_at + _TAIL_WINDOW
        return self.keys[self.tail_at : end]

    @property
    def edges(self) -> Sequence[str]:
        picked = [*self.body[:_EDGE], *self.body[-_EDGE:]]
        return [self.keys[i] for i in dict.fromkeys(picked)]


def parse_datetime(text: str | None) -> datetime | None:
    """`2019-05-28 14:10:11`, `2005年3月11日`, or ISO 8601; a time without zone is
    Asia/Shanghai."""
    if not text:
        return None
    if _ISO.match(text):
        try:
            parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
        except ValueError:
            parsed = None
        if parsed is not None:
            return parsed if parsed.tzinfo else parsed.replace(tzinfo=SHANGHAI)
    match = markers.DATETIME.search(text)
    if not match:
        return None
    y, mo, d, h, mi, s = (int(g) if g else 0 for g in match.groups())
    try:
        found = datetime(y, mo, d, h, mi, s, tzinfo=SHANGHAI)
    except ValueError:
        return None
    return found if found.year >= _EARLIEST_YEAR else None


def _labelled(lines: Iterable[str]) -> datetime | None:
    for k in lines:
        match = markers.META_LINE.search(k) if len(k) <= _LABELLED_MAX else None
        if match and (found := parse_datetime(k[match.start() :])):
            return found
    return None


def _dated(lines: Iterable[str]) -> datetime | None:
    for k in lines:
        short = len(k) <= _DATED_LINE_MAX or chrome.is_lead(k)
        if short and (found := parse_datetime(k)):
            return found
    return None


def _from_url(url: str | None) -> datetime | None:
    match = _URL_DATE.search(url or "")
    if not match:
        return None
    year, month, day = (int(g) for g in match.groups())
    try:
        return datetime(year, month, day, tzinfo=SHANGHAI)
    except ValueError:
        return None


def published(around: Around, meta: str | None, url: str | None) -> datetime | None:
    return (
        _labelled(reversed(around.above))
        or _dated(around.near)
        or _labelled(around.opening)
        or parse_datetime(meta)
        or _labelled(around.tail)
        or _from_url(url)
    )


def _first(pattern: re.Pattern[str], lines: Iterable[str]) -> str | None:
    for k in lines:
        match = pattern.search(k)
        value = next((g.strip() for g in match.groups() if g), None) if match else None
        if value:
            return value
    return None


def _label_above(lines: Sequence[str]) -> str | None:
    """`作者:` on a line of its own, the name on the next."""
    pairs = pairwise(lines)
    return next((b for a, b in pairs if markers.AUTHOR_LABEL.match(a) and 1 < len(b) <= 20), None)


def _names_under_title(around: Around) -> str | None:
    """A line of names right under the title at the top of the article."""
    if not around.title_key:
        return None
    lines = [*around.keys[max(0, around.first - 2) : around.first], *around.opening[:4]]
    pairs = pairwise(lines)
    return next((b for a, b in pairs if a == around.title_key and markers.is_names(b)), None)


def author(around: Around) -> str | None:
    return (
        _first(markers.AUTHOR, [*around.near, *around.opening, *around.edges, *around.tail])
        or _label_above(around.above[-_NEAR_ABOVE * 2 :])
        or _names_under_title(around)
        or _first(markers.AUTHOR, reversed(around.above))
    )


def read(around: Around, meta_published: str | None, url: str | None = None) -> Found:
    """The fields named around the article."""
    return Found(
        published_at=published(around, meta_published, url),
        author=author(around),
        source=_first(markers.SOURCE, [*around.tail, *reversed(around.above)]),
        disclaimer=_first(markers.DISCLAIMER, around.tail),
        link=_first(markers.LINK, around.tail),
    )

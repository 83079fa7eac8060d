"""A document's fields from its header and tail lines: published time, author, source,
disclaimer, the page's own link. Lines are given in key form (`chrome.key`)."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from pipeline import chrome

SHANGHAI = timezone(timedelta(hours=8), "Asia/Shanghai")
_ISO = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}")
_DATED_LINE_MAX = 60  # a header line longer than this that holds a date is text
_EARLIEST_YEAR = 1990  # the Chinese web starts here; an earlier "date" is a number


@dataclass(slots=True)
class Found:
    published_at: datetime | None = None
    author: str | None = None
    source: str | None = None
    disclaimer: str | None = None
    link: str | None = None


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
    match = chrome.DATETIME.search(text)
    if not match:
        return None
    y, mo, d, h, mi, s = (int(g) if g else 0 for g in match.groups())
    try:
        return datetime(y, mo, d, h, mi, s, tzinfo=SHANGHAI)
    except ValueError:
        return None


def _published(head: Sequence[str], meta: str | None) -> datetime | None:
    for k in head:  # 时间:2019-05-28 14:10:11, the document-library meta line
        if match := chrome.META_LINE.search(k):
            return parse_datetime(k[match.start() :])
    for k in head:  # a byline or a line that is a date
        if chrome.is_lead(k) or len(k) <= _DATED_LINE_MAX:
            found = parse_datetime(k)
            if found and found.year >= _EARLIEST_YEAR:
                return found
    return parse_datetime(meta)


def _first(pattern: re.Pattern[str], lines: Iterable[str]) -> str | None:
    for k in lines:
        match = pattern.search(k)
        value = next((g.strip() for g in match.groups() if g), None) if match else None
        if value:
            return value
    return None


def read(head: Sequence[str], tail: Sequence[str], meta_published: str | None) -> Found:
    """The fields named in the header lines, then in the tail lines."""
    return Found(
        published_at=_published(head, meta_published),
        author=_first(chrome.AUTHOR, [*head, *tail]),
        source=_first(chrome.SOURCE, [*tail, *head]),
        disclaimer=_first(chrome.DISCLAIMER, tail),
        link=_first(chrome.LINK, tail),
    )

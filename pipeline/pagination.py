"""Articles split over several pages (下一页, 共N页, `583455_2.html`): which part of its
article a page is, where the next part is, and the parts joined into one document.

A pager is read from the page's links, (URL, anchor text) pairs as a link extractor gives
them: links whose text is a pager label (下一页, 上一页, 首页, 尾页, a page number) and whose
URL names another part of the same article. Two URLs name parts of one article when they
differ only in a part marker in the last path segment or the query:

    583455.html      583455_2.html    583455-3.html     (a `_N` / `-N` suffix; none is part 1)
    show.asp?id=7    show.asp?id=7&page=2               (a page parameter)
    /view/1960418    /view/1960418/2                    (a trailing `/N`)
    thread-43846-1-1.html   thread-43846-2-1.html       (one small number that differs)

A list's pager (`/list/xinde/` → `index_2.html`) shares no article key with its page.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from urllib.parse import parse_qsl, urlsplit

from pipeline.fingerprint import content_hash
from pipeline.provenance import Cleaned, fetch_error
from pipeline.types import CleanDocument, PageRecord, Repairs

MAX_PART = 999  # part numbers are small; larger numbers are ids
PAGE_PARAMS = frozenset({"page", "p", "pn", "pg", "pageno", "page_no", "pagenum", "cp", "curpage"})
INCOMPLETE_FLAG = "article_incomplete"  # a part could not be fetched: the text lacks it

_NEXT = {
    "下一页",
    "下页",
    "下一頁",
    "下頁",
    "后页",
    "后一页",
    "後一頁",
    "next",
    ">",
    ">>",
    "›",
    "»",
}
_PREV = {
    "上一页",
    "上页",
    "上一頁",
    "上頁",
    "前页",
    "前一页",
    "prev",
    "previous",
    "<",
    "<<",
    "‹",
    "«",
}
_ENDS = {"首页", "首頁", "第一页", "尾页", "尾頁", "末页", "末頁", "最后一页", "first", "last"}
_NUMBER = re.compile(r"^\[?第?(\d{1,3})页?\]?$")
_SUFFIX = re.compile(r"^(?P<stem>.+?)[_-](?P<part>\d{1,3})(?P<ext>\.[A-Za-z0-9]{1,6})?$")
_TRAILING = re.compile(r"^(?P<stem>.*[^/])/(?P<part>\d{1,3})/?$")
_DIGITS = re.compile(r"(\d+)")


@dataclass(frozen=True, slots=True)
class Pager:
    """What a page's pager says about it."""

    part: int  # this page's place in its article, 1 for the first page
    next_url: str | None  # the next part, None on the last
    first_url: str | None  # the article's first page, when the pager links to it
    part_urls: frozenset[str]  # every other part the pager links to


def find_pager(url: str, links: Iterable[tuple[str, str]]) -> Pager | None:
    """The pager of the page at `url` among its `links` (URL, text); None without one."""
    parts: dict[int, str] = {}
    next_url, mine = None, None
    for link, text in links:
        label = _label(text)
        numbers = part_numbers(url, link) if label is not None else None
        if numbers is None:
            continue
        mine = mine or numbers[0]
        parts.setdefault(numbers[1], link)
        if label == "next" and numbers[1] > numbers[0]:
            next_url = next_url or link
    if mine is None or (mine > 1 and min(parts) >= mine):  # a later part links back
        return None
    next_url = next_url or parts.get(mine + 1)
    first = url if mine == 1 else parts.get(1)
    return Pager(mine, next_url, first, frozenset(parts.values()))


def _label(text: str) -> str | int | None:
    """The label's kind ("next", "prev", "end") or page number; None for other text."""
    text = text.strip().lower()
    if text in _NEXT:
        return "next"
    if text in _PREV:
        return "prev"
    if text in _ENDS:
        return "end"
    match = _NUMBER.match(text)
    return int(match.group(1)) if match else None


def part_numbers(url: str, other: str) -> tuple[int, int] | None:
    """(the part `url` is, the part `other` is) when both name parts of one article."""
    a, b = urlsplit(url), urlsplit(other)
    if (a.scheme, a.netloc) != (b.scheme, b.netloc) or url == other:
        return None
    if a.path == b.path:
        return _query_parts(a.query, b.query)
    head_a, _, last_a = a.path.rpartition("/")
    head_b, _, last_b = b.path.rpartition("/")
    if a.query != b.query:
        return None
    if head_a == head_b:
        return _segment_parts(last_a, last_b)
    return _trailing_parts(a.path, b.path)


def _query_parts(query: str, other: str) -> tuple[int, int] | None:
    mine, rest = _page_param(query)
    theirs, rest_other = _page_param(other)
    if rest != rest_other or (mine is None and theirs is None):
        return None
    return _plausible(mine or 1, theirs or 1)


def _page_param(query: str) -> tuple[int | None, list[tuple[str, str]]]:
    pairs = parse_qsl(query, keep_blank_values=True)
    pages = [v for k, v in pairs if k.lower() in PAGE_PARAMS and v.isdigit()]
    rest = [(k, v) for k, v in pairs if not (k.lower() in PAGE_PARAMS and v.isdigit())]
    return (int(pages[0]) if pages else None), rest


def _segment_parts(last: str, other: str) -> tuple[int, int] | None:
    """`583455.html` / `583455_2.html`, or one small number that differs."""
    stem, part = _suffix(last)
    stem_other, part_other = _suffix(other)
    if stem == other:
        return _plausible(part, 1)
    if stem_other == last:
        return _plausible(1, part_other)
    if stem is not None and stem == stem_other:
        return _plausible(part, part_other)
    return _one_number_differs(last, other)


def _suffix(segment: str) -> tuple[str | None, int]:
    match = _SUFFIX.match(segment)
    if not match:
        return None, 0
    return match.group("stem") + (match.group("ext") or ""), int(match.group("part"))


def _one_number_differs(last: str, other: str) -> tuple[int, int] | None:
    tokens, tokens_other = _DIGITS.split(last), _DIGITS.split(other)
    if len(tokens) != len(tokens_other):
        return None
    differ = [(x, y) for x, y in zip(tokens, tokens_other, strict=True) if x != y]
    if len(differ) != 1 or not (differ[0][0].isdigit() and differ[0][1].isdigit()):
        return None
    return _plausible(int(differ[0][0]), int(differ[0][1]))


def _trailing_parts(path: str, other: str) -> tuple[int, int] | None:
    """`/view/1960418` / `/view/1960418/2`."""
    for mine, theirs, swap in ((path, other, False), (other, path, True)):
        match = _TRAILING.match(theirs)
        if match and match.group("stem") == mine.rstrip("/"):
            numbers = (1, int(match.group("part")))
            return _plausible(*(numbers[::-1] if swap else numbers))
    return None


def _plausible(mine: int, theirs: int) -> tuple[int, int] | None:
    ok = 1 <= mine <= MAX_PART and 1 <= theirs <= MAX_PART and mine != theirs
    return (mine, theirs) if ok else None


def joined_article(pages: Sequence[Cleaned]) -> list[Cleaned]:
    """The fetches of one article (first page first, as `Fetch.with_parts` gives them), each
    page that cleaned carrying the joined article; as they are when the first page is no
    article (a list's pager), so that each page stands for itself."""
    first, lead = pages[0].record, pages[0].fetch
    if len(pages) == 1 and not lead.parts_missing:  # a page on its own
        return list(pages)
    if first is None or first.document is None:
        for page in pages:
            page.fetch.article_part = None  # a list's pages, say: no article's parts
        return list(pages)
    complete = fetch_error(pages[-1].fetch) is None and not lead.parts_missing
    joined = join_records([page.record for page in pages], complete)
    return [_carrying(page, joined) for page in pages]


def _carrying(page: Cleaned, joined: PageRecord) -> Cleaned:
    if page.record is None:  # failed, or its cleaning failed: the capture says why
        return page
    own = page.record
    record = replace(joined, url=own.url, canonical_url=own.canonical_url, encoding=own.encoding)
    return replace(page, record=replace(record, declaration_lied=own.declaration_lied))


def join_records(records: Sequence[PageRecord | None], complete: bool = True) -> PageRecord:
    """One article from its parts' records, in page order: the first part's record with
    the bodies of every part that has one joined (docs/conventions.md) and hashed again."""
    first = records[0]
    assert first is not None and first.document is not None
    docs = [r.document for r in records if r is not None and r.document is not None]
    document = _joined_document(docs, complete)
    extended = {e.content_hash: e for r in records if r is not None for e in r.extended_reading}
    return replace(first, document=document, extended_reading=list(extended.values()))


def _joined_document(docs: list[CleanDocument], complete: bool) -> CleanDocument:
    body = "\n".join(doc.body for doc in docs)
    repairs = Repairs()
    for doc in docs:
        repairs.add(doc.repairs)
    flags = {flag for doc in docs for flag in doc.flags} | (
        set() if complete else {INCOMPLETE_FLAG}
    )
    joined = replace(docs[0], body=body, content_hash=content_hash(body), repairs=repairs)
    joined.flags = sorted(flags)
    for name in ("category", "published_at", "author", "source", "disclaimer"):
        if getattr(joined, name) is None:
            setattr(joined, name, next((getattr(d, name) for d in docs if getattr(d, name)), None))
    return joined

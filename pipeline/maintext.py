"""The main text of a page whose layout wenku does not know: two maintained extractors vote.

readability-lxml (Arc90's scoring of the DOM) and trafilatura (tree pruning with its own
heuristics and fallbacks) each choose the page's main content. Measured on the shared
real pages (`make quality`), each alone errs differently: readability drops tables and
whole sections beside its best node; trafilatura keeps link lists and asides next to the
article. A page line is therefore taken when both extractors take it, and also when one
does and it joins on to those lines with no line between that neither took. When they
share too little to agree on the page, the one that found more text is taken alone.

The choice is made on wenku's own page lines (`htmltext.Page.lines`), so what follows
(header, fields, chrome, 扩展阅读, repairs) works the same on every page.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass

from lxml import html as lxml_html

logger = logging.getLogger(__name__)
# They log at ERROR what is only a page they cannot read (an empty document, a tree too
# deep); wenku records such pages itself, and a crawl's output should not fill with it.
for _name in ("trafilatura", "readability.readability"):
    logging.getLogger(_name).setLevel(logging.CRITICAL)

_SPACE = re.compile(r"\s+")
_SHORT = 6  # lines shorter than this vote only when an extractor has them as a whole line
_AGREEMENT = 0.5  # text both took, as a share of the larger choice, for the vote to hold
_ALONE = 0.5  # readability is preferred alone unless it found less than half as much


@dataclass(frozen=True, slots=True)
class Choice:
    """What one extractor took, in a form page lines can be looked up in."""

    whole: frozenset[str]  # its output lines, compacted
    joined: str  # all its output, compacted, for lines it split or merged differently

    def takes(self, compact_line: str) -> bool | None:
        """Whether it took the line; None for a short line it did not have whole (a table
        cell, a heading it joined to the next line): such a line says nothing."""
        if compact_line in self.whole:
            return True
        if len(compact_line) < _SHORT:
            return None
        return compact_line in self.joined


def compact(text: str) -> str:
    return _SPACE.sub("", text)


def _choice(lines: Sequence[str]) -> Choice:
    kept = [c for c in map(compact, lines) if c]
    return Choice(frozenset(kept), "\u0000".join(kept))


def readability_lines(html: str) -> list[str]:
    """readability-lxml's main content as text lines ([] when it finds none)."""
    from readability import Document

    from pipeline.htmltext import block_lines

    try:
        summary = Document(html).summary(html_partial=True)
        if not summary.strip():
            return []
        return block_lines(lxml_html.fragment_fromstring(summary, create_parent="div"))
    except Exception as exc:  # the peer failed on a broken page: that page, not the crawl
        logger.debug("readability gave up: %r", exc)
        return []


def trafilatura_lines(html: str) -> list[str]:
    """trafilatura's main text as lines, comments left out ([] when it finds none)."""
    import trafilatura

    try:
        text = trafilatura.extract(html, include_comments=False, include_tables=True)
    except Exception as exc:  # a peer's failure on a broken page: that page, not the crawl
        logger.debug("trafilatura gave up: %r", exc)
        return []
    return text.split("\n") if text else []


def vote(lines: Sequence[str], first: Sequence[str], second: Sequence[str]) -> list[int] | None:
    """Indices of `lines` in the main text, from two extractors' outputs; None if neither
    found any."""
    compacts = [compact(line) for line in lines]
    a, b = _choice(first), _choice(second)
    took_a = [a.takes(c) for c in compacts]
    took_b = [b.takes(c) for c in compacts]
    size_a, size_b = _size(compacts, took_a), _size(compacts, took_b)
    if not size_a and not size_b:
        return None
    both = [bool(x and y) for x, y in zip(took_a, took_b, strict=True)]
    if _size(compacts, both) < _AGREEMENT * min(size_a, size_b) or not (size_a and size_b):
        alone = took_a if size_a >= _ALONE * size_b else took_b
        return [i for i, took in enumerate(alone) if took]
    either = [_either(x, y) for x, y in zip(took_a, took_b, strict=True)]
    return _grow(both, either)


def _either(x: bool | None, y: bool | None) -> bool | None:
    return True if (x or y) else None if (x is None or y is None) else False


def _size(compacts: Sequence[str], taken: Sequence[bool | None]) -> int:
    return sum(len(c) for c, took in zip(compacts, taken, strict=True) if took)


def _grow(both: Sequence[bool], either: Sequence[bool | None]) -> list[int]:
    """The lines both took, and every line one took that is joined to them by lines one
    took (or that say nothing)."""
    keep = set[int]()
    for i, agreed in enumerate(both):
        if agreed and i not in keep:
            keep.update(_run(either, i))
    return sorted(keep)


def _run(either: Sequence[bool | None], i: int) -> range:
    start, end = i, i + 1
    while start > 0 and either[start - 1] is not False:
        start -= 1
    while end < len(either) and either[end] is not False:
        end += 1
    while either[start] is None:  # a run begins and ends with a line that was taken
        start += 1
    while either[end - 1] is None:
        end -= 1
    return range(start, end)


def main_text(html: str, lines: Sequence[str]) -> list[int] | None:
    """Indices of the page lines that make its main text (None: the extractors found none)."""
    return vote(lines, readability_lines(html), trafilatura_lines(html))

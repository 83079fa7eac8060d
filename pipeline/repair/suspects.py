"""Where mojibake may be: characters real Chinese text hardly uses.

A suspect is a private-use character, a CJK character the frequency model finds rare
(`RARE_LOGP`), a symbol outside ordinary punctuation (bopomofo, box drawing, enclosed
numbers), or an ASCII letter or symbol glued between two Han characters (a GBK trail
byte below 0x80 shown on its own). One regex, built once, finds them; a page without
any costs one scan.
"""

from __future__ import annotations

import re
from functools import cache

from pipeline.models import char_model

RARE_LOGP = -12.0
_GAP = 3  # suspects closer than this belong to one cluster
_ORDINARY = (
    r"\x00-\x7f\u00a0-\u024f\u0300-\u036f\u2010-\u2027\u2030-\u205e\u3000-\u3011"
    r"\u3014-\u301f\uff01-\uff5e\u2160-\u216b\u2460-\u2473"
)
_PRIVATE = re.compile("[\ue000-\uf8ff\ufffd]")
CJK = r"\u2010-\u206f\u3000-\u9fff\ue000-\uf8ff\uff00-\uffef"  # Han, marks, private use
# What may follow a trail byte shown as a letter: Chinese, an annotation, punctuation.
AFTER_TRAIL = rf"[{CJK}]|\([a-z]|[,.;:!?](?:[^\x00-\x7f]|$)"
_HAN = r"\u3400-\u9fff\ue000-\uf8ff"
_GLUED = re.compile(f"[{_HAN}][@-~][{_HAN}]")


@cache
def _common() -> str:
    """Every CJK character, in either script, the model does not find rare."""
    model = char_model()
    chars = {c for c, lp in model.unigram.items() if lp >= RARE_LOGP and ord(c) > 0x2E7F}
    chars |= {chr(t) for t, s in model.fold.items() if s in chars}
    return "".join(sorted(chars))


# A trail byte shown as ASCII (a narrowed mark may come first) after a non-ASCII character,
# a digit, `)` or `%`. Written to start with a character class: `re` then skips ahead to
# candidates instead of trying the lookbehind at every position (3× faster on the demo texts).
_GLUED_TRAIL = re.compile(
    rf"[!-~](?<=[)%0-9\x80-\U0010ffff][!-~])(?:(?<=[!-'*-~])[@-~]|(?<=[@-~]))(?={AFTER_TRAIL})"
)


@cache
def _odd_pattern() -> re.Pattern[str]:
    return re.compile(f"[^{_ORDINARY}{re.escape(_common())}]")


def _suspects(text: str) -> list[int]:
    odd = [m.start() for m in _odd_pattern().finditer(text)]
    glued = [m.start() for m in _GLUED_TRAIL.finditer(text)]
    return sorted(odd + glued) if odd and glued else odd or glued


def suspect_spans(text: str) -> list[tuple[int, int]]:
    """Clusters of suspect characters as (first index, index after the last)."""
    spans: list[tuple[int, int]] = []
    for i in _suspects(text):
        if spans and i - spans[-1][1] < _GAP:
            spans[-1] = (spans[-1][0], i + 1)
        else:
            spans.append((i, i + 1))
    return spans


def is_evident(segment: str) -> bool:
    """A cluster that rare but real text cannot be: private use, U+FFFD, a letter glued
    between Han characters, or two characters the dictionary has never seen."""
    if _PRIVATE.search(segment) or _GLUED.search(segment):
        return True
    model = char_model()
    return sum(1 for c in segment if model.char_logp(c) <= model.floor) >= 2


def in_word(text: str, i: int) -> bool:
    """Whether text[i] belongs to a dictionary word with its neighbours (`砥砺`, `推诿`):
    a rare character in a real word, not mojibake."""
    model = char_model()
    for size in (2, 3):
        for start in range(max(0, i - size + 1), i + 1):
            piece = text[start : start + size]
            if len(piece) == size and model.word(piece.translate(model.fold)) is not None:
                return True
    return False


def is_lone_rare(text: str, span: tuple[int, int]) -> bool:
    """A one-character cluster that is a rare Han character inside a real word."""
    start, stop = span
    return stop - start == 1 and "\u3400" <= text[start] <= "\u9fff" and in_word(text, start)


def warm_up() -> None:
    """Build the suspect pattern now (it is compiled from the model's common characters)."""
    _odd_pattern()

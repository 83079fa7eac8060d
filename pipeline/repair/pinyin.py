"""Glued pinyin: `當(dāng)前` → `當前`, `的(de)(de)` → `的`.

A parenthesised group right after a Han character goes only when its syllable is a
reading of that character (pypinyin's dictionary); `(API)`, `(一)` and real
parentheses stay. Repeated groups are checked one by one against the same character.
"""

from __future__ import annotations

import re

from pipeline.models import is_reading

_SYLLABLE = r"[(（][a-z\u00e0-\u00fc\u0101-\u01dc\u01f9\u1e3f\u0300-\u036f]{1,7}[1-5]?[)）]"
_GLUED = re.compile(rf"([\u3400-\u9fff\uf900-\ufaff\U00020000-\U0002ffff])((?:{_SYLLABLE})+)")
_GROUP = re.compile(_SYLLABLE)
# `動?dòng)`: the `(` was eaten, with a lost byte, by a GBK decoder that printed `?`.
_EATEN = re.compile(r"([\u3400-\u9fff])\?([a-z\u00e0-\u00fc\u0101-\u01dc]{1,7})\)")


_MEMO: dict[str, tuple[str, int]] = {}  # a page repeats the same few hundred annotations
_MEMO_MAX = 100_000


def _stripped(glued: str) -> tuple[str, int]:
    """A character and its groups → the character with the non-reading groups, and the count."""
    if (known := _MEMO.get(glued)) is not None:
        return known
    char, groups = glued[0], _GROUP.findall(glued, 1)
    kept = [g for g in groups if not is_reading(char, g[1:-1])]
    if len(_MEMO) >= _MEMO_MAX:
        _MEMO.clear()
    _MEMO[glued] = result = (char + "".join(kept), len(groups) - len(kept))
    return result


def _strip(match: re.Match[str], counter: list[int]) -> str:
    text, removed = _stripped(match.group(0))
    counter[0] += removed
    return text


def strip_pinyin(text: str) -> tuple[str, int]:
    """`text` without glued pinyin annotations, and how many were removed."""
    counter = [0]
    if "?" in text:
        text = _EATEN.sub(lambda m: _eaten(m, counter), text)
    if "(" not in text and "（" not in text:
        return text, counter[0]
    return _GLUED.sub(lambda m: _strip(m, counter), text), counter[0]


def _eaten(match: re.Match[str], counter: list[int]) -> str:
    """`動?dòng)` → `動`; a toned fragment whose character was lost goes too (`變?yōu)為`)."""
    char, syllable = match.groups()
    if not is_reading(char, syllable) and syllable.isascii():
        return match.group(0)
    counter[0] += 1
    return match.group(1)

"""Repairs of damaged text, each applied only on strong evidence and counted.

Order matters: mojibake first (its runs end in the ASCII bytes that glued pinyin
annotations carry, and an annotation is only recognised after its character is
restored), then GBK shown as Latin-1, then glued pinyin, then conversion damage.
What cannot be repaired is kept and flagged (a masked year `201*年`).
"""

from __future__ import annotations

import re

from pipeline.repair.conversion import choose_config, fix_characters, fix_phrases
from pipeline.repair.latin1 import repair_latin1
from pipeline.repair.mojibake import repair_mojibake
from pipeline.repair.pinyin import strip_pinyin
from pipeline.types import Repairs

__all__ = ["choose_config", "repair_line"]

_MASKED_YEAR = re.compile(r"(?<!\d)\d{2,3}\*{1,2}(?=\s*年|-\d)")


def repair_line(line: str, repairs: Repairs, flags: set[str]) -> str:
    """One paragraph repaired; counts go to `repairs`, findings to `flags`."""
    line, fixed, left = repair_mojibake(line)
    repairs.mojibake_repaired += fixed
    repairs.mojibake_unrepaired += left
    line, decoded = repair_latin1(line)
    repairs.latin1_repaired += decoded
    line, removed = strip_pinyin(line)
    repairs.pinyin_annotations += removed
    line, chars = fix_characters(line)
    line, phrases = fix_phrases(line)
    repairs.conversion_repaired += chars + phrases
    if _MASKED_YEAR.search(line):
        flags.add("masked_year")
    return line

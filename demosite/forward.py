"""The forward process: what careless 文库 sites do to a clean Simplified text.

These are the real transformations, not imitations of their output, so the cleaner
can be tested against them (and against the seed page they reproduce):

- `to_traditional`: OpenCC s2t (Big5 pages also swap OpenCC's standard forms such as
  爲/羣/裏 for the forms Big5 can encode: 為/群/裡; t2s maps both back).
- `glue_pinyin`: a site-wide "add pinyin" plugin appends `(dāng)` after characters;
  each character is annotated everywhere on a page or nowhere, as on the seed.
- `misalign_gbk`: a GBK lead byte 0xA1 (of `。` or `“`) is lost, the bytes after it
  decode shifted until an ASCII byte resynchronises, and the site then maps full-width
  ASCII to ASCII: `評估。總體來說` → `評估?傮w來說`, `。“通過改革` → `!巴ㄟ^改革`.
- `insert_debris`: a literal `x0dx0a` left where an escaped CR LF once was.
"""

from __future__ import annotations

import random
import re
import unicodedata
from functools import cache, lru_cache

import opencc
from pypinyin import Style, lazy_pinyin

_S2T = opencc.OpenCC("s2t.json")
_T2S = opencc.OpenCC("t2s.json")
# OpenCC's standard forms that Big5 cannot encode → the forms Big5 has.
_BIG5_FORMS = str.maketrans("爲羣裏衆啓牀僞", "為群裡眾啟床偽")
_TO_FULLWIDTH = str.maketrans(",:;!?()", "，：；！？（）")
_TO_ASCII = {code: code - 0xFEE0 for code in range(0xFF01, 0xFF5F)}
_CUT_MARKS = re.compile("[。“]")  # GBK A1A3 and A1B0: their lead byte is the one lost
_ASCII = re.compile(r"[\x00-\x7f]")
_DEBRIS_SPOT = re.compile("[。,;]")
_SENTENCE_END = re.compile("(?<=[。\n])")
DEBRIS = "x0dx0a"


def s2t(text: str) -> str:
    return _S2T.convert(text)


def t2s(text: str) -> str:
    return _T2S.convert(text)


def to_traditional(text: str, big5: bool = False) -> str:
    """OpenCC s2t; for Big5 pages with the variant forms that Big5 can encode."""
    traditional = _S2T.convert(text)
    return traditional.translate(_BIG5_FORMS) if big5 else traditional


def to_traditional_by_sentence(text: str, big5: bool = False) -> str:
    """`to_traditional`, one cached conversion per sentence: the same result, faster.

    No OpenCC dictionary entry contains `。` or a newline, so conversion never looks
    across them, and the corpus's sentences recur on many pages.
    """
    return "".join(_sentence_traditional(piece, big5) for piece in _SENTENCE_END.split(text))


@lru_cache(maxsize=16384)
def _sentence_traditional(sentence: str, big5: bool) -> str:
    return to_traditional(sentence, big5)


def to_fullwidth(text: str) -> str:
    """Render ASCII `,:;!?()` full-width, as many Simplified sites do."""
    return text.translate(_TO_FULLWIDTH)


def fullwidth_to_ascii(text: str) -> str:
    """U+FF01–U+FF5E → ASCII, what the seed site did to all of its text."""
    return text.translate(_TO_ASCII)


def _is_han(ch: str) -> bool:
    return "\u4e00" <= ch <= "\u9fff" or "\u3400" <= ch <= "\u4dbf"


@cache
def char_pinyin(ch: str) -> str | None:
    """The default tone-marked reading of one character, or None if it has none."""
    readings = lazy_pinyin(ch, style=Style.TONE, errors="ignore")
    reading = readings[0] if readings else ""
    return reading if reading.isalpha() else None


@cache
def _differs(ch: str) -> bool:
    return _T2S.convert(ch) != ch


class PinyinGluer:
    """Glues pinyin after characters, deciding once per character for a whole page.

    `share` of the characters whose Simplified form differs are annotated,
    `other_share` of the others; `double` of the annotations are doubled (`的(de)(de)`).
    """

    def __init__(
        self,
        rng: random.Random,
        share: float = 0.3,
        other_share: float = 0.02,
        double: float = 0.02,
    ) -> None:
        self._rng = rng
        self._rates = (share, other_share, double)
        self._annotation: dict[str, str] = {}

    def glue(self, text: str) -> tuple[str, int]:
        """The annotated text and the number of `(pinyin)` groups added."""
        present = set(text)
        for ch in sorted(present - self._annotation.keys()):
            self._annotation[ch] = self._decide(ch) if _is_han(ch) else ""
        table = {ord(ch): ann for ch in present if (ann := self._annotation[ch])}
        glued = text.translate(table)
        return glued, glued.count("(") - text.count("(")

    def _decide(self, ch: str) -> str:
        share, other_share, double = self._rates
        if self._rng.random() >= (share if _differs(ch) else other_share):
            return ""
        reading = char_pinyin(ch)
        if not reading:
            return ""
        return ch + f"({reading})" * (2 if self._rng.random() < double else 1)


def glue_pinyin(text: str, rng: random.Random, share: float = 0.3) -> tuple[str, int]:
    """Append `(pinyin)` after a share of the characters: `當前` → `當(dāng)前`."""
    return PinyinGluer(rng, share).glue(text)


def misalign_gbk(
    text: str, rng: random.Random, share: float = 0.3, lossy: bool = False
) -> tuple[str, int]:
    """Lose the GBK lead byte of some paragraph-internal `。`/`“`; return (text, runs).

    A share of the candidate marks is tried. Unless `lossy`, a mark is only cut when
    the damage keeps every byte (no invalid pair is dropped by the decoder), so the
    original is recoverable; the seed also shows lossy runs (`!熬殐(nèi)功`).
    """
    try:
        data = bytearray(text.encode("gbk"))
    except UnicodeEncodeError:
        return text, 0
    cuts = _choose_cuts(text, rng, share, lossy)
    for offset in reversed(cuts):
        del data[offset]
    if not cuts:
        return text, 0
    return fullwidth_to_ascii(bytes(data).decode("gbk", errors="ignore")), len(cuts)


def _choose_cuts(text: str, rng: random.Random, share: float, lossy: bool) -> list[int]:
    """Byte offsets of the lead bytes to delete, runs never overlapping."""
    cuts: list[int] = []
    free_from = 1
    for match in _CUT_MARKS.finditer(text, 1, len(text) - 1):
        start = match.start()
        if start < free_from or rng.random() >= share:
            continue
        end = _run_end(text, start)
        if end is not None and (lossy or is_lossless_run(text[start : end + 1])):
            cuts.append(len(text[:start].encode("gbk")))
            free_from = end + 1
    return cuts


def _run_end(text: str, start: int) -> int | None:
    """Index of the ASCII character that ends a run starting at `start`.

    It must be below 0x40 so that it can never be swallowed as a trail byte.
    """
    match = _ASCII.search(text, start + 1)
    if match is None or match.group() >= "\x40":
        return None
    return match.start()


def is_lossless_run(segment: str) -> bool:
    """Whether cutting the first byte of `segment` (a mark … an ASCII char) loses nothing.

    Lossless: the shifted bytes decode strictly, the result is stable under NFC and
    the normal form (no spaces, no full-width ASCII after its first character, which is
    the one the site maps to ASCII), and holds no private-use character.
    """
    try:
        decoded = segment.encode("gbk")[1:].decode("gbk")
    except (UnicodeEncodeError, UnicodeDecodeError):
        return False
    if unicodedata.normalize("NFC", decoded) != decoded:
        return False
    return not any(_unsafe(ch, first=index == 0) for index, ch in enumerate(decoded))


def _unsafe(ch: str, first: bool) -> bool:
    code = ord(ch)
    if ch.isspace() or 0xE000 <= code <= 0xF8FF or code == 0xFFFD:
        return True
    return not first and 0xFF01 <= code <= 0xFF5E


def unshift_run(damaged: str) -> str:
    """Undo one lossless run, given from its first character to the resynchronising
    one: the site's ASCII back to full-width, the lost 0xA1 back in front (a reference
    for tests: `unshift_run("?傮w")` → `"。總體"`)."""
    first = damaged[0]
    if "!" <= first <= "~":
        first = chr(ord(first) + 0xFEE0)
    return (b"\xa1" + (first + damaged[1:]).encode("gbk")).decode("gbk")


def insert_debris(text: str, rng: random.Random) -> tuple[str, int]:
    """Put one literal `x0dx0a` after an internal `。`, `,` or `;` (if there is one)."""
    spots = [m.end() for m in _DEBRIS_SPOT.finditer(text, 0, len(text) - 1)]
    if not spots:
        return text, 0
    at = rng.choice(spots)
    return text[:at] + DEBRIS + text[at:], 1

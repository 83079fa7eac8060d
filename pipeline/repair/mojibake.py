"""GBK misalignment mojibake: `!巴ㄟ^改革` was `。“通過改革`, `?傮w來說` was `。總體來說`.

When one byte of a GBK text is lost, the bytes after it pair up shifted (each old trail
byte read as a lead) until an ASCII byte resynchronises them: either a trail byte below
0x80 (shown as a stray letter: the `^` and `w` above; "mode A") or a real ASCII
character after the run, before which the unpaired last byte was dropped ("mode B").
Full-width characters may since have been narrowed (`！` shown as `!`).

Repair re-encodes a suspect run, puts the lost byte back (before the run's first byte,
or after it when a trail byte was lost) and, in mode B, the dropped last byte. Those
bytes are searched; a repair is kept only when the character frequency model finds it
far more plausible than the run as it stands (`MIN_GAIN` nats in all, `MIN_GAIN_PER_CHAR`
per character of the run). Runs the search cannot fix are counted as unrepaired.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from pipeline.models import CharModel, char_model, is_reading
from pipeline.repair.gbk import (
    A1_PRIOR,
    ANNOTATION,
    PINYIN_BONUS,
    char_before,
    reading_after,
    restore,
)
from pipeline.repair.suspects import AFTER_TRAIL, is_evident, is_lone_rare, suspect_spans

MIN_GAIN = 10.0
MIN_GAIN_PER_CHAR = 1.5
GLUED_LETTER_BONUS = 6.0  # a lone letter between Han characters is a trail byte shown
_MAX_BACK = 40  # characters a run may reach left of its first suspect character
_MAX_MID_STARTS = 4  # start positions tried up to the first suspect (a byte lost mid-word)
_MAX_SEGMENTS = 3  # stops at narrowed marks a run may go past
_CONTEXT = 3  # characters of context scored after the run
_GLUED_LETTER = re.compile(rf"(?<![0-9A-Za-z])[@-~](?:{AFTER_TRAIL})")


@dataclass(frozen=True, slots=True)
class Fix:
    start: int
    end: int
    text: str
    gain: float


@dataclass(slots=True)
class _Window:
    """The stretch of text every hypothesis about one run is scored on, with the
    log-probabilities of its prefixes computed once."""

    text: str
    lo: int
    hi: int
    prefix: list[float]

    @classmethod
    def of(cls, model: CharModel, text: str, lo: int, hi: int) -> _Window:
        prefix, prev = [0.0], model.folded(char_before(text, lo)) if lo else ""
        for char in text[lo:hi].translate(model.fold):
            prefix.append(prefix[-1] + model.next_logp(prev, char))
            prev = char
        return cls(text, lo, hi, prefix)

    def original(self) -> float:
        return self.prefix[-1]

    def with_fix(self, model: CharModel, fix: Fix) -> float:
        """Log-probability of the window with text[fix.start:fix.end] replaced by fix.text."""
        text = self.text
        prev = text[fix.start - 1] if fix.start > self.lo else char_before(text, self.lo)
        score = self.prefix[fix.start - self.lo] + model.logp(fix.text, prev)
        score += model.logp(text[fix.end : max(self.hi, fix.end)], fix.text[-1:] or prev)
        reading = reading_after(text, fix.end)
        if reading and fix.text and is_reading(fix.text[-1], reading):
            score += PINYIN_BONUS
        return score


def _prior(text: str, fix: Fix) -> float:
    """Prior weight of a hypothesis: a lost 0xA1, a letter shown between Han characters."""
    prior = A1_PRIOR if fix.text[:1].encode("gb18030")[:1] == b"\xa1" else 0.0
    if _GLUED_LETTER.search(text, max(0, fix.start - 1), fix.end + 1):
        prior += GLUED_LETTER_BONUS
    return prior


def _run_end(text: str, anchor: int) -> int:
    """First index at or after `anchor` that is ASCII (or U+FFFD), or the line's end."""
    j = anchor
    while j < len(text) and ord(text[j]) > 0x7F and text[j] != "\ufffd":
        j += 1
    return j


def _run_starts(text: str, anchor: int, floor: int) -> list[int]:
    """Where a run around `anchor` may start: a narrowed mark before it, then inside it."""
    i = anchor
    while i > max(floor, anchor - _MAX_BACK) and ord(text[i - 1]) > 0x7F:
        i -= 1
    starts = []
    if i > floor and _narrowed_mark(text, i - 1):
        starts.append(i - 1)
    starts += range(max(i, anchor - _MAX_MID_STARTS + 1), anchor + 1)
    return starts


def _narrowed_mark(text: str, i: int) -> bool:
    """Could text[i] be a full-width mark shown narrowed (not part of an ASCII word)?"""
    if not "!" <= text[i] <= "~" or text[i] in "()":
        return False
    return not (i and text[i - 1].isascii() and text[i - 1].isalnum())


def _ends(text: str, anchor: int) -> list[tuple[int, int, bool]]:
    """(end of run, end of replaced span, mode A) choices for a run through `anchor`.

    A run may go on past a narrowed full-width mark (an old trail byte 0xA3 paired with
    the next lead byte), so the next `_MAX_SEGMENTS` stops are choices too.
    """
    ends: list[tuple[int, int, bool]] = []
    j = anchor if ord(text[anchor]) <= 0x7F else _run_end(text, anchor)
    for _ in range(_MAX_SEGMENTS):
        if j > anchor:
            ends.append((j, j + (j < len(text) and text[j] == "\ufffd"), False))
        if j < len(text) and "@" <= text[j] <= "~":
            ends.append((j + 1, j + 1, True))
        if j + 1 >= len(text) or not "!" <= text[j] <= "~" or ord(text[j + 1]) <= 0x7F:
            break
        j = _run_end(text, j + 1)
    return ends


def _is_ascii_pair(text: str, anchor: int) -> bool:
    """`痛苦_@段` (was `痛苦。這段`): a narrowed mark and a trail byte, both ASCII."""
    pair = text[anchor : anchor + 2]
    return len(pair) == 2 and pair.isascii() and "@" <= pair[1] <= "~" and pair[0] not in "()"


def _single_run(text: str, start: int, end: int) -> bool:
    """A one-character run needs more evidence: private use, or an annotation after it."""
    private = "\ue000" <= text[start] <= "\uf8ff"
    return end > start and (private or bool(ANNOTATION.match(text, end)))


def _best_from(
    text: str, start: int, ends: list[tuple[int, int, bool]], window: _Window
) -> Fix | None:
    """The most plausible repair of a run starting at `start`, over its possible ends."""
    model = char_model()
    best: Fix | None = None
    for end, span_end, mode_a in ends:
        if end - start < 2 and not _single_run(text, start, end):
            continue
        fixed = restore(text, start, end, mode_a)
        if fixed is None:
            continue
        fix = Fix(start, span_end, fixed, 0.0)
        gain = window.with_fix(model, fix) - window.original() + _prior(text, fix)
        if best is None or gain > best.gain:
            best = Fix(start, span_end, fixed, gain)
    return best


def _accepted(fix: Fix | None) -> bool:
    return fix is not None and fix.gain >= max(MIN_GAIN, MIN_GAIN_PER_CHAR * (fix.end - fix.start))


def find_fix(text: str, anchor: int, floor: int = 0) -> Fix | None:
    """The best repair of a run through text[anchor], if one is far more plausible.

    Every hypothesis (start, end, restored bytes) is scored on the same window of text.
    Starts: a narrowed mark before the run (the usual lost 0xA1), and the characters up
    to its first suspect (a byte lost mid-word).
    """
    if _is_ascii_pair(text, anchor):  # `_@`: mark and trail; or a mark of a longer run
        starts = [anchor] if _narrowed_mark(text, anchor) else []
        starts, ends = [*starts, anchor + 1], _ends(text, anchor + 1)
    else:
        starts, ends = _run_starts(text, anchor, floor), _ends(text, anchor)
    if not starts or not ends:
        return None
    hi = min(len(text), max(e[1] for e in ends) + _CONTEXT)
    window = _Window.of(char_model(), text, starts[0], hi)
    best = None
    for start in starts:
        fix = _best_from(text, start, ends, window)
        if fix is not None and (best is None or fix.gain > best.gain):
            best = fix
    return best if _accepted(best) else None


def repair_mojibake(text: str) -> tuple[str, int, int]:
    """`text` with its mojibake runs repaired; (text, runs repaired, runs left)."""
    spans = suspect_spans(text)
    if not spans:
        return text, 0, 0
    out: list[str] = []
    pos = repaired = left = 0
    for anchor, stop in spans:
        if anchor < pos or is_lone_rare(text, (anchor, stop)):
            continue
        fix = find_fix(text, anchor, pos)
        if fix is None:
            left += is_evident(text[anchor:stop])
            continue
        out.append(text[pos : fix.start] + fix.text)
        pos, repaired = fix.end, repaired + 1
        if text.startswith("?", pos) and ANNOTATION.match(text, pos):
            out.append("(")  # the `(` the decoder ate with the run's last byte
            pos += 1
    out.append(text[pos:])
    return "".join(out), repaired, left


_LOSSY_MARK = re.compile(r"(?<=[\u4e00-\u9fff])[!?](?=[0-9])")


def lossy_marks(text: str) -> list[int]:
    """Marks that look like a run whose bytes were lost (`政府!2月` was `政府。”2月`: the
    quote's trail byte was dropped before an ASCII digit). Left as they are: a real `!`
    looks the same, so they only count as unrepaired on pages that show mojibake."""
    return [m.start() for m in _LOSSY_MARK.finditer(text)]

"""Restoring one GBK misalignment run, byte by byte (see `pipeline.repair.mojibake`).

`restore(text, start, end, mode_a)` re-encodes text[start:end] as the bytes the
decoder saw (narrowed marks widened again), decodes the middle shifted back, and picks
the lost first byte and, in mode B, the dropped last byte: among the likeliest
characters those bytes can make, the one the frequency model fits best between its
neighbours (a lost 0xA1 is favoured; a glued annotation after the run names the last
character's reading).
"""

from __future__ import annotations

import re
from functools import cache, lru_cache

from pipeline.models import CharModel, char_model, is_reading

LOST_TRAIL_PENALTY = 3.0  # lost bytes are mostly leads (the 0xA1 of 。 or “)
A1_PRIOR = 4.0  # the lost lead byte is most often 0xA1, of `。` or `“` (punctuation row)
PINYIN_BONUS = 8.0  # the annotation after the run is a reading of the restored character
MIN_MEAN_LOGP = -11.0  # of the characters a restored run decodes to
_OPTIONS = 32  # most frequent characters tried for a restored first or last character
# A glued annotation after the run; a `?` in place of its `(` means the decoder ate the
# parenthesis together with the run's unpaired last byte.
ANNOTATION = re.compile(r"[(（?]([a-z\u00e0-\u01dc]{1,7})[)）]")
CLOSES_ANNOTATION = re.compile(r"[(?][a-z\u00e0-\u01dc]{1,7}\)$")
_WIDE = 0xFEE0


def _gbk_pairs(byte: int, as_lead: bool) -> list[str]:
    found = []
    for other in range(0x40, 0xFF):
        pair = bytes((byte, other)) if as_lead else bytes((other, byte))
        try:
            char = pair.decode("gb18030")
        except UnicodeDecodeError:
            continue
        if len(char) == 1:
            found.append(char)
    return found


# A character, its folded form, its unigram log-probability, whether it is punctuation.
Option = tuple[str, str, float, bool]


@cache
def _options(byte: int, as_lead: bool) -> tuple[Option, ...]:
    """The likeliest characters with `byte` as their lead byte (else as their trail byte)."""
    model = char_model()
    chars = sorted(set(_gbk_pairs(byte, as_lead)), key=model.char_logp, reverse=True)
    return tuple(
        (c, model.folded(c), model.char_logp(c), model.backoff("", c) == 0.0)
        for c in chars[:_OPTIONS]
    )


def _encode(run: str, mode_a: bool) -> bytes | None:
    """The run's GBK bytes as they were decoded: narrowed marks widened again."""
    body = run[:-1] if mode_a else run
    wide = "".join(chr(ord(c) + _WIDE) if "!" <= c <= "~" else c for c in body)
    try:
        raw = wide.encode("gb18030") + (run[-1].encode("ascii") if mode_a else b"")
    except UnicodeEncodeError:
        return None
    return raw if len(raw) == 2 * len(run) - mode_a else None


def _pick(
    model: CharModel, options: tuple[Option, ...], prev: str, nxt: str, reading: str
) -> tuple[str, float]:
    """The option that best fits between `prev` and `nxt` (and has `reading`, if given).

    Bigram lookups inlined (see `CharModel.next_logp` and `Table`): this loop is the
    repair's hot path.
    """
    prev, nxt = prev and model.folded(prev), nxt and model.folded(nxt)
    rows, values, penalty = model.bigram.rows, model.bigram.values, model.backoff("", "")
    after_prev = rows.get(prev, ("", 0)) if prev else ("", 0)  # the pairs `prev` starts
    prev_mark, next_mark = model.backoff("", prev) == 0.0, model.backoff("", nxt) == 0.0
    after_single = model.next_logp("", nxt) if nxt else 0.0
    best, best_score = "", float("-inf")
    for char, folded, single, mark in options:
        score = single
        if (j := after_prev[0].find(folded)) >= 0:
            score = values[after_prev[1] + j]
        elif prev and not (mark or prev_mark):
            score += penalty
        if nxt and (row := rows.get(folded)) and (j := row[0].find(nxt)) >= 0:
            score += values[row[1] + j]
        elif nxt:
            score += after_single if mark or next_mark else after_single + penalty
        if reading and is_reading(char, reading):
            score += PINYIN_BONUS
        if score > best_score:
            best, best_score = char, score
    return best, best_score


@lru_cache(maxsize=8192)
def _last(byte: int, prev: str, nxt: str, reading: str) -> str:
    """The restored last character: `byte` is its lead, its trail byte was dropped.

    A glued annotation after the run names the character's reading: when some option
    has it, the choice is among those only.
    """
    options = _options(byte, True)
    if reading:
        options = tuple(o for o in options if is_reading(o[0], reading)) or options
    return _pick(char_model(), options, prev, nxt, "")[0]


@cache
def _a1_option(byte: int) -> tuple[Option, ...]:
    """The character 0xA1 `byte` (`。`, `“`, `、` …), the usual victim, as an option."""
    try:
        char = bytes((0xA1, byte)).decode("gb18030")
    except UnicodeDecodeError:
        return ()
    model = char_model()
    return ((char, model.folded(char), model.char_logp(char), True),)


@lru_cache(maxsize=8192)
def _first(byte: int, prev: str, nxt: str, narrowed: bool) -> str:
    """The restored first character: its lead byte was lost, or (less often) its trail.

    A run starting at a narrowed mark lost a lead byte (its mark is a shifted trail).
    """
    model = char_model()
    lead, lead_score = _pick(model, _options(byte, False), prev, nxt, "")
    mark, mark_score = _pick(model, _a1_option(byte), prev, nxt, "")
    if mark and mark_score + A1_PRIOR >= lead_score:
        lead, lead_score = mark, mark_score + A1_PRIOR
    if narrowed:
        return lead
    trail, trail_score = _pick(model, _options(byte, True), prev, nxt, "")
    return lead if lead and lead_score >= trail_score - LOST_TRAIL_PENALTY else trail


def ordinary(model: CharModel, text: str) -> bool:
    """Text real prose could hold: no private use, no character the dictionary lacks,
    and a mean character log-probability above `MIN_MEAN_LOGP`."""
    total = 0.0
    for char in text:
        logp = model.char_logp(char)
        if logp <= model.floor or "\ue000" <= char <= "\uf8ff":
            return False
        total += logp
    return total / len(text) >= MIN_MEAN_LOGP


def restore(text: str, start: int, end: int, mode_a: bool) -> str | None:
    """The run text[start:end] restored, or None when its bytes cannot be the damage."""
    raw = _encode(text[start:end], mode_a)
    if raw is None or len(raw) < 2:
        return None
    middle = raw[1:] if mode_a else raw[1:-1]
    try:
        mid = middle.decode("gb18030")
    except UnicodeDecodeError:
        return None
    model = char_model()
    if mid and not ordinary(model, mid):
        return None  # the restored middle is no better than mojibake: a wrong hypothesis
    prev = char_before(text, start)
    after = text[end : end + 1]
    last = ""
    if not mode_a:
        reading = reading_after(text, end)
        last = _last(raw[-1], mid[-1:] or prev, after, reading)
        if not last:
            return None
    first = _first(raw[0], prev, (mid + last)[:1], ord(text[start]) <= 0x7F)
    return first + mid + last if first else None


def char_before(text: str, start: int) -> str:
    """The character before `start`, skipping the glued annotation it may carry."""
    near = max(0, start - 12)  # an annotation is at most `(` + 7 letters + tone + `)`
    if start and text[start - 1] == ")" and (m := CLOSES_ANNOTATION.search(text, near, start)):
        start = m.start()
    return text[start - 1] if start else ""


def reading_after(text: str, end: int) -> str:
    match = ANNOTATION.match(text, end)
    return match.group(1) if match else ""

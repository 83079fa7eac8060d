"""GBK bytes shown as Latin-1 (or Windows-1252): `·çÏÕ¹ÜÀíÄÜÁ¦` was `风险管理能力`.

A run of four or more Latin-1 letters is re-encoded and decoded as GB18030; the result
is kept only when it decodes strictly into Chinese the frequency model finds ordinary
(`MIN_MEAN_LOGP` per character), which real Latin text (`café`, `Müller`) never does.
"""

from __future__ import annotations

import re

from pipeline.models import char_model

MIN_MEAN_LOGP = -10.5
_RUN = re.compile(
    r"[\u0080-\u00ff\u0152\u0153\u0160\u0161\u0178\u017d\u017e\u0192\u02c6\u02dc\u20ac\u2122]{4,}"
)
_CJK = re.compile(r"[\u3000-\u303f\u4e00-\u9fff\uff01-\uff5e]")


def _decoded(run: str) -> str | None:
    for codec in ("latin-1", "cp1252"):
        try:
            text = run.encode(codec).decode("gb18030")
        except (UnicodeEncodeError, UnicodeDecodeError):
            continue
        if text and len(_CJK.findall(text)) == len(text):
            return text
    return None


def _plausible(text: str) -> bool:
    model = char_model()
    return model.logp(text) / len(text) >= MIN_MEAN_LOGP


def repair_latin1(text: str) -> tuple[str, int]:
    """`text` with its Latin-1-shown GBK runs decoded, and how many were."""
    if not _RUN.search(text):
        return text, 0
    count = 0

    def fix(match: re.Match[str]) -> str:
        nonlocal count
        decoded = _decoded(match.group(0))
        if decoded is None or not _plausible(decoded):
            return match.group(0)
        count += 1
        return decoded

    return _RUN.sub(fix, text), count


_PAGE_SHARE = 0.8  # of a page's non-ASCII characters in Latin-1 for it to be read whole
_PAGE_MIN = 20  # such characters, at least
_LATIN1_SHOWN = re.compile(r"[\u00a0-\u00ff]")
_HAN = re.compile(r"[\u4e00-\u9fff]")
_HEAD = 4000  # characters looked at first


def _encoded(text: str) -> bytes:
    """The bytes `text` was shown from: cp1252 where it has the character, Latin-1 for the
    rest, `?` for a character neither has (a byte the page lost)."""
    out = bytearray()
    for char in text:
        for codec in ("cp1252", "latin-1"):
            try:
                out += char.encode(codec)
                break
            except UnicodeEncodeError:
                continue
        else:
            out += b"?"
    return bytes(out)


def repair_latin1_page(text: str) -> str | None:
    """A whole page of GBK shown as Latin-1 (`¹¤×÷×Ü½á` for 工作总结), read back as GBK
    with its stray characters replaced; None when the page is not one."""
    if len(_HAN.findall(text, 0, _HEAD)) >= _PAGE_MIN:  # plain Chinese from the start
        return None
    non_ascii = len(text) - len(text.encode("ascii", "ignore"))
    shown = len(_LATIN1_SHOWN.findall(text))
    if shown < _PAGE_MIN or shown < _PAGE_SHARE * non_ascii:
        return None
    repaired = _encoded(text).decode("gb18030", "replace")
    han = _CJK.findall(repaired)
    if len(han) < _PAGE_MIN // 2 or not _plausible("".join(han[:600])):
        return None
    return repaired

"""Conversion damage left by careless Simplified ↔ Traditional converters.

- Character damage: `壹` for `一` and `妳` for `你` in running text (`统壹`, `妳们`),
  replaced when the frequency model finds the plain character far likelier in its
  context; real formal numerals (`壹、` headings, `壹万贰仟元`) are left alone.
- Phrase damage: Taiwan-phrase conversions (`許可權` for 权限, `軟體` for 软件) are
  undone by choosing, per document, the OpenCC configuration (t2s, tw2sp, hk2s) whose
  Simplified output the model finds most plausible where they differ; a few phrases no
  configuration reverses (`字型大小` for 字号) have a table of their own.
"""

from __future__ import annotations

import re

from pipeline.models import char_model, converter

CONFIGS = ("t2s", "tw2sp", "hk2s")
MIN_CHAR_GAIN = 3.0  # nats the plain character must win by, in its context
MIN_PHRASE_GAIN = 2.0  # nats a configuration must win a differing place by
MIN_VOTES = 3
_CLAUSE = re.compile(r"[,.;:!?，。、；：！？“”\n]")
_SAMPLE = 1000  # characters of a document compared across configurations
_FORMAL = "零壹贰貳叁參肆伍陆陸柒捌玖拾佰仟万萬亿億元圆圓角分整"
_DAMAGED = re.compile(rf"(?<![{_FORMAL}])(壹|妳)(?![{_FORMAL}、.．,，:：)）])")
_PLAIN = {"壹": "一", "妳": "你"}
_PHRASES = {"字型大小": "字号", "許可權": "權限", "许可权": "权限"}
_PHRASE = re.compile("|".join(_PHRASES))


def _char_fix(text: str, match: re.Match[str]) -> str:
    model = char_model()
    i, char = match.start(), match.group(1)
    before, after = text[max(0, i - 1) : i], text[i + 1 : i + 2]
    plain = _PLAIN[char]
    gain = model.logp(plain + after, before) - model.logp(char + after, before)
    return plain if gain >= MIN_CHAR_GAIN else char


def fix_characters(text: str) -> tuple[str, int]:
    """`壹`/`妳` in running text → `一`/`你`, with the number replaced."""
    if "壹" not in text and "妳" not in text:
        return text, 0
    count = 0

    def fix(match: re.Match[str]) -> str:
        nonlocal count
        fixed = _char_fix(text, match)
        count += fixed != match.group(1)
        return fixed

    return _DAMAGED.sub(fix, text), count


def fix_phrases(text: str) -> tuple[str, int]:
    """Phrases no OpenCC configuration reverses (`字型大小` → `字号`)."""
    count = 0

    def fix(match: re.Match[str]) -> str:
        nonlocal count
        count += 1
        return _PHRASES[match.group(0)]

    return _PHRASE.sub(fix, text), count


def _differing(a: str, b: str) -> list[tuple[str, str]]:
    """The clauses where two conversions of one text differ (punctuation is never converted,
    so the clauses line up)."""
    pairs = zip(_CLAUSE.split(a), _CLAUSE.split(b), strict=False)
    return [(x, y) for x, y in pairs if x != y]


def choose_config(text: str) -> str:
    """The OpenCC configuration to Simplified that makes `text` most plausible.

    Where t2s and another configuration differ, each place votes for the one the word
    model prefers by `MIN_PHRASE_GAIN`; the other configuration needs `MIN_VOTES` and
    three times the votes of t2s (tw2sp also rewrites a few words of mainland text).
    """
    sample = text[:_SAMPLE]
    base = str(converter("t2s").convert(sample))
    if base == sample:
        return "t2s"  # already Simplified
    model = char_model()
    best, best_votes = "t2s", 0
    for config in CONFIGS[1:]:
        other = str(converter(config).convert(sample))
        gains = [model.word_logp(o) - model.word_logp(b) for b, o in _differing(base, other)]
        votes = sum(g >= MIN_PHRASE_GAIN for g in gains)
        against = sum(g <= -MIN_PHRASE_GAIN for g in gains)
        if votes >= MIN_VOTES and votes >= 3 * against and votes > best_votes:
            best, best_votes = config, votes
    return best

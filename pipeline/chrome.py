"""Site chrome, recognised line by line from the table of families in `chrome.toml`.

Lines are matched on their *key*: glued pinyin dropped, Simplified, half-width
punctuation, so one pattern serves both scripts and annotated text.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from pipeline import markers
from pipeline.models import to_simplified

_WIDE = re.compile(r"[\uff01-\uff5e\u3000]")
_KEY_MAX = 300  # chrome and spam lines are short; longer lines are body text
_LOOSE_PINYIN = re.compile(
    r"(?<=[\u3400-\u9fff\ue000-\uf8ff])(?:\([a-zA-Z\u00c0-\u01ff\u0300-\u036f]{1,7}\d?\))+"
)


def _narrow(match: re.Match[str]) -> str:
    char = match.group(0)
    return " " if char == "\u3000" else chr(ord(char) - 0xFEE0)


def _prepared(line: str) -> str:
    if len(line) > _KEY_MAX:
        return ""
    return _LOOSE_PINYIN.sub("", _WIDE.sub(_narrow, line)).replace("\n", " ")


@lru_cache(maxsize=4096)  # extraction and removal both ask for the same lines
def key(line: str) -> str:
    """The form of a line that chrome patterns are written against ("" for long lines)."""
    return to_simplified(_prepared(line))


def keys(lines: list[str]) -> list[str]:
    """`key` of every line, with one OpenCC call (each call has a fixed cost)."""
    prepared = [_prepared(line) for line in lines]
    converted = to_simplified("\n".join(prepared)).split("\n")
    if len(converted) != len(prepared):  # a conversion that joined or split lines
        return [key(line) for line in lines]
    return converted


_FRAGMENT = re.compile(r"<<(\w+)>>")
_ROLES = ("remove", "lead", "end", "run", "strip")
_LEAD_EDGE = 3  # lines at each end of an article where a `lead` family is dropped
_RUN = 3  # lines of a `run` family in a row that are dropped together
_RUN_LABELS = 2  # of which at least this many are labels, not bare values
_BARE_VALUE = re.compile(r"^[\d.,:\s/-]+(?:小时|天|个|分|万|w)?$", re.I)


@dataclass(frozen=True, slots=True)
class Family:
    """One family of chrome lines from `chrome.toml`."""

    name: str
    role: str  # one of _ROLES
    max_length: int
    pattern: re.Pattern[str]
    edge: int = _LEAD_EDGE
    flag: str | None = None
    check: Callable[[str], bool] | None = None
    trigger: tuple[str, ...] = ()
    trigger_pattern: re.Pattern[str] | None = None

    def matches(self, k: str) -> bool:
        return len(k) <= self.max_length and self.pattern.search(k) is not None

    def spans(self, text: str) -> list[tuple[int, int]]:
        """Where a `strip` family's pattern (and check) matches inside `text`."""
        found = (m for m in self.pattern.finditer(text) if m.end() > m.start())
        return [m.span() for m in found if self.check is None or self.check(m.group())]


TABLE = Path(__file__).with_name("chrome.toml")


def _expand(pattern: str, fragments: dict[str, str]) -> str:
    while _FRAGMENT.search(pattern):
        pattern = _FRAGMENT.sub(lambda m: fragments[m.group(1)], pattern)
    return pattern


def _compiled(pattern: str | None) -> re.Pattern[str] | None:
    return re.compile(pattern) if pattern else None


def _family(entry: dict[str, Any], fragments: dict[str, str]) -> Family:
    if entry["role"] not in _ROLES:
        raise ValueError(f"chrome.toml: family {entry['name']!r} has an unknown role")
    patterns = (_expand(p, fragments) for p in entry["patterns"])
    return Family(
        name=entry["name"],
        role=entry["role"],
        max_length=entry["max_length"],
        pattern=re.compile("|".join(f"(?:{p})" for p in patterns), re.I),
        edge=entry.get("edge", _LEAD_EDGE),
        flag=entry.get("flag"),
        check=CHECKS[entry["check"]] if "check" in entry else None,
        trigger=tuple(entry.get("trigger", ())),
        trigger_pattern=re.compile(entry["trigger_pattern"])
        if "trigger_pattern" in entry
        else None,
    )


def load_families(path: Path = TABLE) -> tuple[Family, ...]:
    table = tomllib.loads(path.read_text(encoding="utf-8"))
    fragments = table.get("fragments", {})
    return tuple(_family(entry, fragments) for entry in table["family"])


_PUNCTUATION = frozenset("!\"#$%&'()*+,-./:;")


def is_jammer(span: str) -> bool:
    """Discuz's anti-copy noise (`k4 Q7 t. B) e/ M2 u`: random pairs of an ASCII digit or
    punctuation mark and a letter), not a spaced list such as `C C D B C` or `a, b, c`."""
    marks = [c for c in span if c in _PUNCTUATION]
    digits = sum(c.isdigit() for c in span)
    if marks and max(map(marks.count, set(marks))) >= max(3, 0.75 * (len(marks) + digits)):
        return False  # one separator repeated: a list
    return len(marks) >= 2 or (len(marks) >= 1 and len(marks) + digits >= 3)


CHECKS: dict[str, Callable[[str], bool]] = {"jammer": is_jammer}
FAMILIES = load_families()
_BY_ROLE = {role: tuple(f for f in FAMILIES if f.role == role) for role in _ROLES}


_LINE_FAMILIES = tuple(f for f in FAMILIES if f.role != "strip")


@lru_cache(maxsize=32768)  # a site repeats its chrome lines on every page
def families_of(k: str) -> tuple[Family, ...]:
    """Every line family whose pattern the line's key matches."""
    return tuple(f for f in _LINE_FAMILIES if f.matches(k)) if k else ()


def family_of(k: str) -> Family | None:
    """The first line family whose pattern the line's key matches."""
    found = families_of(k)
    return found[0] if found else None


def _in(role: str, k: str) -> Family | None:
    return next((f for f in families_of(k) if f.role == role), None)


def is_chrome(k: str) -> bool:
    """A line dropped wherever it stands in an article (an article-ending line too)."""
    return bool(_in("remove", k) or _in("end", k))


def lead_family(k: str) -> Family | None:
    return _in("lead", k)


def is_lead(k: str) -> bool:
    """A byline or metadata line: the page's when it stands at an article's edges."""
    return _in("lead", k) is not None


def ends_article(k: str) -> bool:
    """A line after which the article is over (扩展阅读, tail, footer, related lists)."""
    return bool(markers.EXTENDED.match(k)) or _in("end", k) is not None


def in_runs(keys: Sequence[str]) -> set[int]:
    """Indices of lines that stand in runs of `run`-family lines (a forum profile column),
    runs with labels in them: a column of numbers in a table is text."""
    hits = [bool(_in("run", k)) for k in keys]
    found, start = set[int](), None
    for i, hit in enumerate([*hits, False]):
        if hit and start is None:
            start = i
        elif not hit and start is not None:
            if i - start >= _RUN and _labels(keys[start:i]) >= _RUN_LABELS:
                found.update(range(start, i))
            start = None
    return found


def _labels(keys: Sequence[str]) -> int:
    return sum(not _BARE_VALUE.match(k) for k in keys)


# Every strip family's trigger words in one pattern: one pass over a body finds them all.
_TRIGGER_WORDS = re.compile(
    "|".join(re.escape(word) for f in _BY_ROLE["strip"] for word in f.trigger)
)


def strip_families(body: str) -> tuple[Family, ...]:
    """The `strip` families a body may hold (their triggers are in it): checked once for a
    whole body, then their patterns are tried paragraph by paragraph."""
    words = set(_TRIGGER_WORDS.findall(body))
    return tuple(f for f in _BY_ROLE["strip"] if _may_hold(f, body, words))


def _may_hold(family: Family, body: str, words: set[str]) -> bool:
    if family.trigger_pattern is not None:
        return family.trigger_pattern.search(body) is not None
    return not family.trigger or not words.isdisjoint(family.trigger)


def strip_spans(text: str, families: tuple[Family, ...] | None = None) -> tuple[str, int, set[str]]:
    """`text` without the spans of `strip` families (those given, else those it may hold);
    how many spans were cut, and the families' flags."""
    cut, flags = 0, set[str]()
    for family in strip_families(text) if families is None else families:
        spans = family.spans(text)
        if spans:
            text = _cut(text, spans)
            cut += len(spans)
            flags.update([family.flag] if family.flag else [])
    return text, cut, flags


def _cut(text: str, spans: Iterable[tuple[int, int]]) -> str:
    kept, at = [], 0
    for start, end in spans:
        kept.append(text[at:start])
        at = end
    return "".join([*kept, text[at:]])


def flags_of(keys: Iterable[str]) -> set[str]:
    """The flags of the families these lines belong to."""
    found = (family_of(k) for k in keys if k)
    return {f.flag for f in found if f is not None and f.flag}

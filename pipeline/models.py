"""Language resources, each loaded once per process, lazily, on first use.

- OpenCC converters (C++ `opencc` package: ~29 M chars/s, see SPEC.md);
- pinyin readings of each character (pypinyin's character dictionary);
- a character unigram/bigram frequency model built from jieba's dictionary
  (349k words with corpus frequencies: a well-kept source of modern Chinese usage).

Nothing here is loaded per page: every loader is an `functools.cache`d function.
Memory counts (SPEC.md: ≤ 250 MB for a whole crawl, Scrapy's process taking ~90–130 MB of
it): `warm_up()` adds ~16 MB where it added ~146 MB. The pairs and words are kept in
compact `Table`s (~8 MB, were ~55 MB as dicts), pypinyin and jieba are never imported
(+56 MB, +13 MB), the models are loaded from marshal files (`pipeline.tables.cached`) and
OpenCC configurations load on first use (`warm_up`).
"""

from __future__ import annotations

import importlib.util
import json
import math
import tempfile
import unicodedata
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache, lru_cache
from pathlib import Path
from typing import Any

import opencc

from pipeline import tables
from pipeline.tables import Table, cached, package_file

_OPENCC_SHARE = "clib/share/opencc/STCharacters.ocd2"


@cache
def converter(config: str) -> opencc.OpenCC:
    """An OpenCC converter by config stem (`t2s`, `tw2sp`, `hk2s`, `s2t`, …)."""
    return opencc.OpenCC(f"{config}.json")


@cache
def character_s2t() -> opencc.OpenCC:
    """s2t with OpenCC's character table alone: enough to tell whether text has Simplified
    forms, in 1 MB where the full s2t (its phrase dictionaries) takes 26 MB."""
    table = {"type": "ocd2", "file": str(Path(opencc.__file__).parent / _OPENCC_SHARE)}
    config = {
        "name": "s2t characters",
        "segmentation": {"type": "mmseg", "dict": table},
        "conversion_chain": [{"dict": table}],
    }
    # OpenCC looks for dictionaries beside its config file only: write one with full paths.
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "s2t-characters.json"
        path.write_text(json.dumps(config), encoding="utf-8")
        return opencc.OpenCC(str(path))


def to_simplified(text: str) -> str:
    return str(converter("t2s").convert(text))


@lru_cache(maxsize=4096)
def strip_tone(syllable: str) -> str:
    """`dāng` → `dang`, `lǘ` → `lv`, `dang1` → `dang`."""
    decomposed = unicodedata.normalize("NFD", syllable.lower())
    plain = "".join(c for c in decomposed if not unicodedata.combining(c))
    return plain.replace("u\u0308", "v").replace("ü", "v").rstrip("012345")


def _pinyin_dict() -> dict[int, str]:
    """pypinyin's character dictionary, read from its module file alone: importing the
    `pypinyin` package would also load its phrase dictionaries (+56 MB)."""
    spec = importlib.util.spec_from_file_location(
        "_wenku_pinyin_dict", package_file("pypinyin", "pinyin_dict.py")
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return dict(module.pinyin_dict)


def _build_readings() -> dict[int, frozenset[str]]:
    """42k characters share 4.5k distinct sets of readings: each set is kept once (marshal
    keeps them shared too)."""
    table: dict[int, frozenset[str]] = {}
    shared: dict[frozenset[str], frozenset[str]] = {}
    for code, joined in _pinyin_dict().items():
        syllables = {strip_tone(s) for s in joined.split(",")}
        found = frozenset(syllables | {s.replace("v", "u") for s in syllables})
        table[code] = shared.setdefault(found, found)
    return table


def _cached(stem: str, data: Path, build: Callable[[], Any]) -> Any:
    code = (Path(__file__), Path(tables.__file__))
    return cached(tables.cache_file(stem, code, data), build)


@cache
def readings() -> dict[int, frozenset[str]]:
    """Code point → its toneless pinyin readings, from pypinyin's dictionary (kept as a
    marshal file: ~4 MB loaded, where building it leaves ~11 MB behind)."""
    module = package_file("pypinyin", "pinyin_dict.py")
    data = module.with_suffix(".json")  # where pypinyin 0.4x keeps the table itself
    table: dict[int, frozenset[str]] = _cached(
        "readings", data if data.exists() else module, _build_readings
    )
    return table


def is_reading(char: str, syllable: str) -> bool:
    """True when `syllable` (toned or not) is a reading of `char`."""
    return strip_tone(syllable) in readings().get(ord(char), frozenset())


# Punctuation is absent from the dictionary but common in text: rough log-frequencies.
_PUNCTUATION = {
    **dict.fromkeys("，,", -3.5),
    **dict.fromkeys("。", -4.0),
    **dict.fromkeys("、“”", -5.5),
    **dict.fromkeys("：:；;", -6.5),
    **dict.fromkeys("！!？?（）()《》", -7.0),
    **dict.fromkeys("‘’—…", -8.0),
    **dict.fromkeys("·", -9.0),
}
_DIGITS, _DIGIT_LOGP = "0123456789", -6.0  # numbers are everywhere in official documents
_LETTERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
_LETTER_LOGP = -9.0
_MEASURES = "次个年月日号时分秒人名位家户所项件条场期届批元万亿千百%倍米吨亩公里天周岁"
_MEASURE_LOGP = -3.0  # log P(measure word | digit)
_MIN_COUNT = 5  # rarer word entries and character pairs are left out (memory; noise)
_LAMBDA = 0.6  # weight of the bigram estimate against the unigram one
_NO_PAIRS = frozenset(_PUNCTUATION) | frozenset(_DIGITS) | frozenset(_LETTERS)
_BACKOFF = math.log(1 - _LAMBDA)


@dataclass(frozen=True, slots=True)
class CharModel:
    """Add-one smoothed character unigrams and interpolated bigrams over Simplified text.

    Traditional characters are folded to Simplified (OpenCC's character table) before
    lookup, so both scripts score alike.
    """

    unigram: dict[str, float]
    bigram: Table  # key: two characters
    floor: float  # log-probability of an unseen character
    fold: dict[int, str]  # Traditional code point → Simplified character
    words: tuple[Table, ...]  # log-probability of each dictionary word, of 2, 3, 4 characters

    def dumps(self) -> tuple[Any, ...]:
        """The fields as marshal can keep them."""
        words = tuple(table.dumps() for table in self.words)
        return self.unigram, self.bigram.dumps(), self.floor, self.fold, words

    @classmethod
    def loads(cls, unigram: Any, bigram: Any, floor: Any, fold: Any, words: Any) -> CharModel:
        tables = tuple(Table.loads(*fields) for fields in words)
        return cls(unigram, Table.loads(*bigram), floor, fold, tables)

    def char_logp(self, char: str) -> float:
        return self.unigram.get(self.fold.get(ord(char), char), self.floor)

    def folded(self, char: str) -> str:
        return self.fold.get(ord(char), char)

    @staticmethod
    def backoff(prev: str, char: str) -> float:
        """Penalty of an unseen pair; none across punctuation (the dictionary has none)."""
        return 0.0 if char in _NO_PAIRS or (prev and prev in _NO_PAIRS) else _BACKOFF

    def next_logp(self, prev: str, char: str) -> float:
        """log P(char | prev) for folded characters; `prev` may be empty."""
        row = self.bigram.rows.get(prev) if prev else None  # `Table.pair`, inlined: hot
        if row is not None and (j := row[0].find(char)) >= 0:
            return self.bigram.values[row[1] + j]
        single = self.unigram.get(char, self.floor)
        if not prev or char in _NO_PAIRS or prev in _NO_PAIRS:
            return single  # the dictionary has no pairs with punctuation or digits
        return single + _BACKOFF

    def word(self, text: str) -> float | None:
        """Log-probability of `text` as a dictionary word of 2–4 characters, if it is one."""
        return self.words[len(text) - 2].get(text) if 2 <= len(text) <= 4 else None

    def word_logp(self, text: str) -> float:
        """Log-probability of `text` under its best segmentation into dictionary words.

        Best scores are pushed forward from each start; word lookups are `Table.get`
        inlined (one row per start and word length): this is choose_config's hot loop.
        """
        text = text.translate(self.fold)
        best = [0.0] + [-math.inf] * len(text)
        for start, char in enumerate(text):
            here = best[start]
            if (score := here + (self.unigram.get(char, self.floor) + _BACKOFF)) > best[start + 1]:
                best[start + 1] = score
            for table in self.words[: len(text) - start - 1]:  # the words that fit
                if (row := table.rows.get(char)) is None:
                    continue
                end, step = start + table.width, table.width - 1
                j = row[0].find(rest := text[start + 1 : end])
                while j > 0 and j % step:  # a match straddling two words
                    j = row[0].find(rest, j + 1)
                if j >= 0 and (score := here + table.values[row[1] + j // step]) > best[end]:
                    best[end] = score
        return best[-1]

    def logp(self, text: str, prev: str = "") -> float:
        """Log-probability of `text` after the context character `prev`."""
        text = text.translate(self.fold)
        prev = prev.translate(self.fold)
        total = 0.0
        for char in text:
            total += self.next_logp(prev, char)
            prev = char
        return total


def _jieba_dict_path() -> Path:
    return package_file("jieba", "dict.txt")


@dataclass(slots=True)
class _Counts:
    chars: Counter[str] = field(default_factory=Counter)
    pairs: Counter[str] = field(default_factory=Counter)
    words: dict[str, int] = field(default_factory=dict)  # 2–4 characters, not rare
    total_words: int = 0


def _read_dict() -> _Counts:
    """Character, pair and word counts of jieba's dictionary, read in one streaming pass."""
    counts = _Counts()
    with open(_jieba_dict_path(), encoding="utf-8") as handle:
        for line in handle:
            word, freq_text, *_ = line.split(" ")
            freq = int(freq_text)
            counts.total_words += freq
            if 2 <= len(word) <= 4 and freq >= _MIN_COUNT:
                counts.words[word] = freq
            for i, char in enumerate(word):
                counts.chars[char] += freq
                if i:
                    counts.pairs[word[i - 1 : i + 1]] += freq
    return counts


def _fold_table() -> dict[int, str]:
    """Each Traditional CJK character that OpenCC t2s maps to one other character."""
    chars = [chr(c) for c in range(0x3400, 0xA000)]
    simplified = converter("t2s").convert("\n".join(chars)).split("\n")
    return {ord(t): s for t, s in zip(chars, simplified, strict=True) if s != t and len(s) == 1}


def _build() -> CharModel:
    counts = _read_dict()
    chars = counts.chars
    total = sum(chars.values()) + len(chars)
    unigram = {c: math.log((n + 1) / total) for c, n in chars.items()}
    bigram = {
        p: math.log(_LAMBDA * n / chars[p[0]] + (1 - _LAMBDA) * math.exp(unigram[p[1]]))
        for p, n in counts.pairs.items()
        if n >= _MIN_COUNT
    }
    words = {w: math.log(f / counts.total_words) for w, f in counts.words.items()}
    for mark, logp in _PUNCTUATION.items():
        unigram[mark] = max(unigram.get(mark, logp), logp)
    for digit in _DIGITS:  # the dictionary has no numbers: give "4次", "5万" their pairs
        bigram.update(dict.fromkeys((digit + m for m in _MEASURES), _MEASURE_LOGP))
    for ascii_chars, logp in ((_DIGITS, _DIGIT_LOGP), (_LETTERS, _LETTER_LOGP)):
        for char in ascii_chars:  # Latin words and numbers are common in Chinese documents
            unigram[char] = max(unigram.get(char, logp), logp)
    floor, fold = math.log(0.5 / total), _fold_table()
    by_size = tuple(Table.of(words, size) for size in (2, 3, 4))
    return CharModel(unigram, Table.of(bigram, 2), floor, fold, by_size)


@cache
def char_model() -> CharModel:
    """The character frequency model (jieba's dictionary; see the module docstring).

    Built once (about a second) and kept as a marshal file, which later processes load in
    a fraction of that and without the build's transient memory.
    """
    return CharModel.loads(*_cached("charmodel", _jieba_dict_path(), lambda: _build().dumps()))


def warm_up() -> None:
    """Load the models every page needs now (a crawler calls this at start rather than on
    its first page). The other OpenCC configurations load on first use: `s2t` (+27 MB, its
    phrase table) tells Simplified from neutral text, `tw2sp` and `hk2s` (+2 MB each) only
    serve Traditional documents."""
    from pipeline.repair.suspects import warm_up as suspects

    char_model()
    readings()
    converter("t2s")
    suspects()

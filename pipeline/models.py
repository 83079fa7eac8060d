"""Language resources, each loaded once per process, lazily, on first use.

- OpenCC converters (C++ `opencc` package: ~29 M chars/s, see SPEC.md);
- pinyin readings of each character (pypinyin's character dictionary);
- a character unigram/bigram frequency model built from jieba's dictionary
  (349k words with corpus frequencies: a well-kept source of modern Chinese usage).

Nothing here is loaded per page: every loader is an `functools.cache`d function.
"""

from __future__ import annotations

import hashlib
import marshal
import math
import os
import unicodedata
from collections import Counter
from dataclasses import dataclass, field
from functools import cache, lru_cache
from pathlib import Path

import opencc


@cache
def converter(config: str) -> opencc.OpenCC:
    """An OpenCC converter by config stem (`t2s`, `tw2sp`, `hk2s`, `s2t`, …)."""
    return opencc.OpenCC(f"{config}.json")


def to_simplified(text: str) -> str:
    return str(converter("t2s").convert(text))


@lru_cache(maxsize=4096)
def strip_tone(syllable: str) -> str:
    """`dāng` → `dang`, `lǘ` → `lv`, `dang1` → `dang`."""
    decomposed = unicodedata.normalize("NFD", syllable.lower())
    plain = "".join(c for c in decomposed if not unicodedata.combining(c))
    return plain.replace("u\u0308", "v").replace("ü", "v").rstrip("012345")


@cache
def readings() -> dict[int, frozenset[str]]:
    """Code point → its toneless pinyin readings, from pypinyin's dictionary."""
    from pypinyin.pinyin_dict import pinyin_dict

    table: dict[int, frozenset[str]] = {}
    for code, joined in pinyin_dict.items():
        syllables = {strip_tone(s) for s in joined.split(",")}
        table[code] = frozenset(syllables | {s.replace("v", "u") for s in syllables})
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
    bigram: dict[str, float]  # key: two characters
    floor: float  # log-probability of an unseen character
    fold: dict[int, str]  # Traditional code point → Simplified character
    words: dict[str, float]  # log-probability of each dictionary word of 2–4 characters

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
        pair = self.bigram.get(prev + char) if prev else None
        if pair is not None:
            return pair
        single = self.unigram.get(char, self.floor)
        if not prev or char in _NO_PAIRS or prev in _NO_PAIRS:
            return single  # the dictionary has no pairs with punctuation or digits
        return single + _BACKOFF

    def word_logp(self, text: str) -> float:
        """Log-probability of `text` under its best segmentation into dictionary words."""
        text = text.translate(self.fold)
        best = [0.0] + [-math.inf] * len(text)
        for end in range(1, len(text) + 1):
            char = self.unigram.get(text[end - 1], self.floor) + _BACKOFF
            best[end] = best[end - 1] + char
            for start in range(max(0, end - 4), end - 1):
                if (word := self.words.get(text[start:end])) is not None:
                    best[end] = max(best[end], best[start] + word)
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


def _jieba_dict_path() -> str:
    import jieba

    return os.path.join(os.path.dirname(jieba.__file__), "dict.txt")


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
    return CharModel(unigram, bigram, math.log(0.5 / total), _fold_table(), words)


def _cache_file() -> Path:
    """Where the built model is kept between processes: keyed by this module's source and
    the dictionary's size, so a change to either builds it afresh."""
    source = hashlib.sha256(Path(__file__).read_bytes()).hexdigest()[:16]
    size = os.path.getsize(_jieba_dict_path())
    base = os.environ.get("WENKU_CACHE_DIR") or os.path.join(Path.home(), ".cache", "wenku")
    return Path(base) / f"charmodel-{source}-{size}.marshal"


def _load_cached(path: Path) -> CharModel | None:
    try:
        fields = marshal.loads(path.read_bytes())
        return CharModel(*fields)
    except (OSError, ValueError, EOFError, TypeError):
        return None


def _store(path: Path, model: CharModel) -> None:
    fields = (model.unigram, model.bigram, model.floor, model.fold, model.words)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        temporary = path.with_suffix(f".{os.getpid()}.tmp")
        temporary.write_bytes(marshal.dumps(fields))
        temporary.replace(path)
    except OSError:
        pass  # a read-only home: build again next time


@cache
def char_model() -> CharModel:
    """The character frequency model (jieba's dictionary; see the module docstring).

    Built once (about a second) and kept as a marshal file, which later processes load in
    a fraction of that and without the build's transient memory.
    """
    path = _cache_file()
    model = _load_cached(path)
    if model is None:
        model = _build()
        _store(path, model)
    return model


def warm_up() -> None:
    """Load every model now (a crawler calls this at start rather than on its first page)."""
    from pipeline.repair.suspects import warm_up as suspects

    char_model()
    readings()
    for config in ("t2s", "s2t", "tw2sp", "hk2s"):
        converter(config)
    suspects()

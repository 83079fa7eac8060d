"""The normal form of a text (docs/conventions.md), what `content_hash` is computed over.

1. OpenCC Traditional → Simplified; 2. Unicode NFC; 3. full-width ASCII variants
U+FF01–U+FF5E → ASCII, U+3000 and every other Unicode space → ASCII space;
4. white space collapsed within a paragraph, paragraphs stripped, empty ones dropped;
5. paragraphs joined by "\\n".
"""

from __future__ import annotations

import re
import unicodedata

from pipeline.models import converter

_WIDE = re.compile(r"[\uff01-\uff5e]+")
_SPACES = re.compile(r"[^\S\n]+|[\u00a0\u1680\u2000-\u200a\u202f\u205f\u3000]+")
_PARAGRAPHS = re.compile(r"\s*\n\s*")
_SEPARATOR = "\n\u2063\n"  # INVISIBLE SEPARATOR: OpenCC leaves it, no text has it


def _narrow(match: re.Match[str]) -> str:
    return "".join(chr(ord(c) - 0xFEE0) for c in match.group(0))


def _after_opencc(text: str) -> str:
    text = _WIDE.sub(_narrow, unicodedata.normalize("NFC", text))
    text = _SPACES.sub(" ", text)
    return "\n".join(p for p in _PARAGRAPHS.split(text.strip()) if p)


def normalise_text(text: str, config: str = "t2s") -> str:
    """The normal form of `text`; `config` is the OpenCC configuration to Simplified."""
    return _after_opencc(str(converter(config).convert(text)))


def normalise_many(texts: list[str], config: str = "t2s") -> list[str]:
    """`normalise_text` of each text, with one OpenCC call for all (each call costs)."""
    converted = str(converter(config).convert(_SEPARATOR.join(texts))).split(_SEPARATOR)
    if len(converted) != len(texts):
        return [normalise_text(text, config) for text in texts]
    return [_after_opencc(text) for text in converted]

"""Compact lookup tables, and the marshal files models are kept in between processes.

The language models (`pipeline.models`) must fit the memory budget (SPEC.md: ≤ 250 MB for
a whole crawl, of which Scrapy's own process takes ~90–130 MB): `Table` holds the character
model's 277k pairs and words in ~8 MB where `dict[str, float]` took ~55 MB.
"""

from __future__ import annotations

import hashlib
import importlib.util
import marshal
import os
from array import array
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

FORMAT = 2  # of the cache files. 2: `Table`s, and readings cached too; 1: dicts


@dataclass(frozen=True, slots=True)
class Table:
    """Keys of `width` characters → floats, stored compactly.

    As `dict[str, float]` each entry costs a str, a float and a dict slot (~140 bytes);
    here ~10. Keys are grouped by their first character: a row holds the rest of each key
    concatenated, and where its values start in one `array('d')` of them all. A lookup is
    one dict lookup and one `str.find` in a short row (likeliest keys first): about as
    fast as a dict in the repair's hot loops, where most lookups miss. The values are the
    same doubles a dict held.
    """

    width: int
    rows: dict[str, tuple[str, int]]  # first character → (rests of its keys, first value)
    values: array[float]

    @classmethod
    def of(cls, entries: dict[str, float], width: int) -> Table:
        grouped: dict[str, list[tuple[float, str]]] = {}
        for key, value in entries.items():
            if len(key) == width:
                grouped.setdefault(key[0], []).append((-value, key[1:]))
        rows, values = {}, array("d")
        for first, row in sorted(grouped.items()):
            row.sort()
            rows[first] = ("".join(rest for _, rest in row), len(values))
            values.extend(-negated for negated, _ in row)
        return cls(width, rows, values)

    def pair(self, first: str, second: str) -> float | None:
        """The value of `first + second`, two single characters, in a table of pairs."""
        row = self.rows.get(first)
        if row is None or (j := row[0].find(second)) < 0:
            return None
        return self.values[row[1] + j]

    def get(self, key: str) -> float | None:
        row = self.rows.get(key[:1])
        if row is None or len(key) != self.width:
            return None
        step, rest = self.width - 1, key[1:]
        j = row[0].find(rest)
        while j > 0 and j % step:  # a match straddling two keys
            j = row[0].find(rest, j + 1)
        return None if j < 0 else self.values[row[1] + j // step]

    def __contains__(self, key: str) -> bool:
        return self.get(key) is not None

    def dumps(self) -> tuple[int, dict[str, tuple[str, int]], bytes]:
        return self.width, self.rows, self.values.tobytes()

    @classmethod
    def loads(cls, width: int, rows: dict[str, tuple[str, int]], values: bytes) -> Table:
        return cls(width, rows, array("d", values))


def package_file(package: str, name: str) -> Path:
    """A file shipped next to `package`'s `__init__`, found without importing the package
    (importing jieba costs 13 MB, pypinyin 56 MB)."""
    spec = importlib.util.find_spec(package)
    if spec is None or spec.origin is None:
        raise ModuleNotFoundError(f"{package} is not installed", name=package)
    return Path(spec.origin).with_name(name)


def cache_file(stem: str, code: tuple[Path, ...], data: Path) -> Path:
    """Where a model is kept between processes: keyed by the source of the `code` that
    builds it and the size of its `data` file, so a change to either builds it afresh."""
    digest = hashlib.sha256(b"".join(path.read_bytes() for path in code)).hexdigest()[:16]
    base = os.environ.get("WENKU_CACHE_DIR") or os.path.join(Path.home(), ".cache", "wenku")
    return Path(base) / f"{stem}{FORMAT}-{digest}-{os.path.getsize(data)}.marshal"


def cached(path: Path, build: Callable[[], Any]) -> Any:
    """The value kept at `path`; else `build()`'s (marshallable), kept there for next time."""
    try:
        return marshal.loads(path.read_bytes())
    except (OSError, ValueError, EOFError, TypeError):
        pass
    value = build()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        temporary = path.with_suffix(f".{os.getpid()}.tmp")
        temporary.write_bytes(marshal.dumps(value))
        temporary.replace(path)
    except OSError:
        pass  # a read-only home: build again next time
    return value

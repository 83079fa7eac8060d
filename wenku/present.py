"""What analysts read: search hits and query results, on the terminal or as CSV / JSON."""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator
from datetime import date, datetime
from decimal import Decimal
from itertools import islice
from typing import Any, TextIO

from rich.console import Console
from rich.table import Table
from rich.text import Text

from storage.query import QueryResult
from storage.search import Hit, highlight_spans

console = Console()
notes = Console(stderr=True)
TABLE_ROWS = 1000  # a terminal table shows this many rows; csv and json stream them all
RESULT_FORMATS = ("table", "csv", "json", "jsonl")


def print_hits(hits: list[Hit], terms: list[str]) -> None:
    if not hits:
        console.print("no documents found")
        return
    for rank, hit in enumerate(hits, 1):
        title = _marked(hit.title, highlight_spans(hit.title, terms), "bold")
        console.print(Text(f"{rank}. ", style="bold") + title)
        published = hit.published_at.date().isoformat() if hit.published_at else "undated"
        meta = f"   {hit.category or '-'} · {published} · score {hit.score} · {hit.url or '-'}"
        console.print(meta, style="dim", highlight=False, markup=False)
        console.print(Text("   ") + _marked(hit.snippet, hit.highlights, ""))


def _marked(text: str, spans: list[tuple[int, int]], style: str) -> Text:
    marked = Text(text, style=style)
    for start, end in spans:
        marked.stylize("bold reverse", start, end)
    return marked


def write_result(result: QueryResult, fmt: str, handle: TextIO) -> int:
    """The rows of `result` as `fmt` (one of RESULT_FORMATS); returns how many were read."""
    if not result.columns:
        notes.print("the statement returned no rows")
        return 0
    if fmt == "table":
        return _print_table(result)
    if fmt == "csv":
        return _write_csv(result, handle)
    return _write_json(result, handle, lines=fmt == "jsonl")


def _print_table(result: QueryResult) -> int:
    table = Table()
    for name in result.columns:
        table.add_column(name, overflow="fold")  # long values wrap: nothing is cut off
    shown = 0
    for row in islice(result.rows, TABLE_ROWS):
        table.add_row(*(Text("NULL", style="dim") if v is None else Text(str(v)) for v in row))
        shown += 1
    console.print(table)
    more = sum(1 for _ in result.rows)
    if more:
        notes.print(f"{more} more rows not shown: use --format csv or --format json for all")
    notes.print(f"{shown + more} rows", style="dim")
    return shown + more


def _write_csv(result: QueryResult, handle: TextIO) -> int:
    writer = csv.writer(handle)
    writer.writerow(result.columns)
    count = 0
    for row in result.rows:
        writer.writerow([_plain(value) for value in row])
        count += 1
    return count


def _write_json(result: QueryResult, handle: TextIO, lines: bool) -> int:
    count = 0
    for count, obj in enumerate(_objects(result), 1):
        text = json.dumps(obj, ensure_ascii=False, default=_plain)
        handle.write(text + "\n" if lines else ("[\n" if count == 1 else ",\n") + text)
    if not lines:
        handle.write("\n]\n" if count else "[]\n")
    return count


def _objects(result: QueryResult) -> Iterator[dict[str, Any]]:
    for row in result.rows:
        yield dict(zip(result.columns, row, strict=True))


def _plain(value: Any) -> Any:
    """A value CSV and JSON can carry: ISO times, hex bytes, numbers for decimals."""
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, bytes | bytearray | memoryview):
        return bytes(value).hex()
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    return value

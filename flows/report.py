"""The markdown each flow run publishes as a Prefect artifact: what it fetched and what failed.

The builders are plain functions over the crawl summaries the `wenku` commands print.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(slots=True)
class SiteResult:
    """One site's crawl in a nightly run: its summary (`wenku crawl --json`) or its error."""

    site: str
    summary: dict[str, Any] = field(default_factory=dict)
    error: str | None = None

    @property
    def status(self) -> str:
        return "failed" if self.error else str(self.summary.get("status", "finished"))


def nightly_markdown(results: list[SiteResult], seconds: float) -> str:
    failed = [result for result in results if result.error]
    fetched = sum(int(result.summary.get("fetched", 0)) for result in results)
    lines = [
        f"# Nightly crawl: {len(results)} sites, {len(failed)} failed",
        "",
        f"{fetched} pages fetched in {seconds:.1f} s.",
        "",
        "| site | status | pages fetched | outcomes | failed fetches | seconds | crawl run |",
        "|---|---|---:|---|---:|---:|---:|",
        *(_site_row(result) for result in results),
    ]
    lines += _failures({result.site: result.error for result in failed})
    return "\n".join(lines) + "\n"


def _site_row(result: SiteResult) -> str:
    summary = result.summary
    outcomes = summary.get("outcomes") or {}
    cells = [
        result.site,
        result.status,
        str(summary.get("fetched", 0)),
        format_outcomes(outcomes),
        str(outcomes.get("failed", 0)),
        str(summary.get("seconds", "-")),
        str(summary.get("run_id", "-")),
    ]
    return _row(*cells)


def recrawl_markdown(url: str, result: dict[str, Any], error: str | None, seconds: float) -> str:
    keys = ("outcome", "http_status", "content_hash", "fetched_at", "run_id")
    values = [result.get(key) for key in keys]
    lines = [
        f"# Recrawl of {url}",
        "",
        "| outcome | HTTP status | content hash | fetched at | crawl run | seconds |",
        "|---|---:|---|---|---:|---:|",
        _row(values[0] or "failed", *values[1:], f"{seconds:.1f}"),
    ]
    return "\n".join(lines + _failures({url: error} if error else {})) + "\n"


def reprocess_markdown(summary: dict[str, Any], seconds: float) -> str:
    rows = [f"| {_cell(key)} | {value} |" for key, value in summary.items()]
    lines = ["# Reprocess of archived captures", "", "| | |", "|---|---:|", *rows]
    return "\n".join([*lines, f"| seconds | {seconds:.1f} |"]) + "\n"


def format_outcomes(outcomes: dict[str, int]) -> str:
    return ", ".join(f"{name} {count}" for name, count in sorted(outcomes.items())) or "-"


def _failures(errors: dict[str, str | None]) -> list[str]:
    if not errors:
        return []
    return ["", "## Failures", "", *(f"- **{name}**: {error}" for name, error in errors.items())]


def _row(*values: object) -> str:
    return "| " + " | ".join(_cell("-" if value is None else str(value)) for value in values) + " |"


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")

"""What people read on the terminal: summaries and records, through rich."""

from __future__ import annotations

from rich.console import Console
from rich.table import Table

from crawler.recrawl import RecrawlResult
from crawler.run import CrawlSummary
from pipeline.types import PageRecord

console = Console()


def print_summary(summary: CrawlSummary, title: str) -> None:
    data = summary.to_json()
    table = Table(title=f"{title}: run {summary.run_id} {summary.status}", show_header=False)
    table.add_column(style="bold")
    table.add_column(justify="right")
    table.add_row("pages fetched", str(data["fetched"]))
    for outcome, count in sorted(summary.outcomes.items()):
        table.add_row(f"  {outcome}", str(count))
    table.add_row("documents beyond the URL rule", str(data["documents_beyond_url_rule"]))
    table.add_row("seconds", f"{data['seconds']:.1f}")
    table.add_row("pages per second", f"{data['pages_per_second']:.1f}")
    for name, count in summary.totals.items():
        table.add_row(f"archive {name}", str(count))
    console.print(table)
    if data["error"]:
        console.print(f"[red]archive worker failed:[/red] {data['error']}")


def print_next_steps(db_url: str) -> None:
    console.print(f"archive: {db_url}", highlight=False)
    console.print(
        "next: wenku search 营商环境 · wenku query 'SELECT count(*) FROM documents'"
        " · wenku export --format csv --out documents.csv · wenku browse",
        highlight=False,
    )


def print_record(record: PageRecord) -> None:
    doc = record.document
    console.print(f"[bold]{doc.title if doc else '(no article)'}[/bold]  {record.url}")
    console.print(f"encoding {record.encoding}; declaration lied: {record.declaration_lied}")
    if doc is None:
        return
    for label, value in (
        ("category", doc.category),
        ("published", doc.published_at.isoformat() if doc.published_at else None),
        ("source", doc.source),
        ("canonical", record.canonical_url),
        ("hash", doc.content_hash),
    ):
        console.print(f"{label}: {value}")
    console.print(f"repairs: {doc.repairs}")
    console.print(doc.body, highlight=False, markup=False)
    for extra in record.extended_reading:
        console.print(f"扩展阅读: {extra.title} ({extra.content_hash[:12]})")


def print_recrawl(result: RecrawlResult) -> None:
    status = result.http_status if result.http_status is not None else "-"
    console.print(f"[bold]{result.outcome}[/bold]  HTTP {status}  {result.url}")
    if result.content_hash:
        console.print(f"content_hash {result.content_hash}")
    if result.error:
        console.print(f"error: {result.error}")

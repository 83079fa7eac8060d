"""The `wenku` command line: each command is a thin call into the library.

Exit codes: 0 success, 2 usage or configuration mistake, 1 any other failure; one line on
stderr and no traceback unless --debug.
"""

from __future__ import annotations

import gc
import os
import sys
import traceback
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import click

from wenku.config import Settings
from wenku.options import (
    USAGE_ERRORS,
    InputMistake,
    UserError,
    analyst_errors,
    common_options,
    emit_json,
    filter_options,
    run_state,
)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="wenku")
def cli() -> None:
    """Crawl, clean, deduplicate and archive Chinese document-library sites."""


@cli.command()
@common_options
@click.option(
    "--pages",
    default=200,
    show_default=True,
    type=click.IntRange(10, 100_000),
    help="How many documents the demo site generates.",
)
def demo(settings: Settings, as_json: bool, pages: int) -> None:
    """Serve the bundled demo library on a free loopback port and crawl it into the archive."""
    from wenku.demo import run_demo
    from wenku.output import print_next_steps, print_summary

    summary = run_demo(settings, pages=pages, progress=not as_json)
    if as_json:
        emit_json(summary.to_json())
    else:
        print_summary(summary, "demo crawl")
        print_next_steps(settings.db_url)
    _exit_for(summary.status)


@cli.command()
@common_options
@click.argument("urls", nargs=-1)
@click.option("--site", metavar="NAME", help="Use the named site profile from the config file.")
@click.option("--max-pages", type=click.IntRange(min=1), help="Stop after this many pages.")
@click.option(
    "--warc-dir",
    type=click.Path(file_okay=False, path_type=Path),
    help="Where WARC files go (default: env WENKU_WARC_DIR, else ./warc).",
)
@click.option(
    "--due-only",
    is_flag=True,
    help="Skip known pages whose next_fetch_at is still ahead (the nightly mode).",
)
@click.option(
    "--kind",
    type=click.Choice(["manual", "nightly"]),
    default="manual",
    show_default=True,
    help="What the crawl_runs row records this run as.",
)
@click.option(
    "--jobdir",
    type=click.Path(file_okay=False, path_type=Path),
    help="Scrapy JOBDIR: an interrupted crawl run again with the same one resumes.",
)
@click.option(
    "--frontier",
    metavar="URL",
    help="redis://… shared by several crawl processes (default: [frontier] url in the config).",
)
@click.option(
    "--frontier-run",
    metavar="NAME",
    help="Which shared crawl to join (default: env WENKU_FLOW_RUN_ID, else today's date).",
)
def crawl(
    settings: Settings,
    as_json: bool,
    urls: tuple[str, ...],
    site: str | None,
    max_pages: int | None,
    warc_dir: Path | None,
    due_only: bool,
    kind: str,
    jobdir: Path | None,
    frontier: str | None,
    frontier_run: str | None,
) -> None:
    """Crawl a document library from its start URL(s) and archive every page.

    With --frontier, any number of processes (on any machines) run the same command and
    share the crawl: each URL is fetched once across all, and each exits when it is done.
    """
    from crawler.run import CrawlJob, run_crawl
    from crawler.writer import ArchiveUnavailable
    from wenku.jobs import crawl_profile
    from wenku.output import print_summary

    profile = crawl_profile(settings, list(urls), site, max_pages)
    job = CrawlJob(
        profile,
        settings.db_url,
        warc_dir or settings.warc_dir,
        warc_max_mb=settings.warc_max_mb,
        kind=kind,
        due_only=due_only,
        progress=not as_json,
        flow_run_id=os.environ.get("WENKU_FLOW_RUN_ID") or None,
        jobdir=jobdir,
        min_revisit_days=settings.min_revisit_days,
        max_revisit_days=settings.max_revisit_days,
        workers=settings.archive_workers,
        retry_seconds=settings.archive_retry_seconds,
        frontier=_frontier_url(frontier) or settings.frontier_url,
        frontier_run=frontier_run,
        settings={"LOG_LEVEL": "INFO"} if run_state["debug"] else {},
    )
    try:
        summary = run_crawl(job)
    except ArchiveUnavailable as exc:  # the archive went away, and stayed away: no summary
        click.echo(f"wenku: crawl failed: {exc}", err=True)
        raise click.exceptions.Exit(1) from exc
    emit_json(summary.to_json()) if as_json else print_summary(summary, f"crawl of {profile.name}")
    if summary.error:
        click.echo(f"wenku: crawl failed: {summary.error}", err=True)
    _exit_for(summary.status)


@cli.command()
@common_options
@click.argument("url")
@click.option(
    "--warc-dir",
    type=click.Path(file_okay=False, path_type=Path),
    help="Where WARC files go (default: env WENKU_WARC_DIR, else ./warc).",
)
@click.option(
    "--direct", is_flag=True, hidden=True, help="Do not record it on a Prefect API (flows use it)."
)
def recrawl(
    settings: Settings, as_json: bool, url: str, warc_dir: Path | None, direct: bool
) -> None:
    """Fetch one URL now (conditional GET when known), archive it and print the outcome.

    When a Prefect API is configured (PREFECT_API_URL or the active Prefect profile) and
    answers, the recrawl is also recorded there as a run of the `recrawl-url` flow.
    """
    from crawler.recrawl import recrawl as run_recrawl
    from crawler.recrawl import recrawl_job
    from wenku.output import print_recrawl

    job = recrawl_job(
        url,
        settings.db_url,
        settings.site_for_url(url),
        warc_dir=warc_dir or settings.warc_dir,
        warc_max_mb=settings.warc_max_mb,
        flow_run_id=os.environ.get("WENKU_FLOW_RUN_ID") or None,
        settings={"LOG_LEVEL": "INFO"} if run_state["debug"] else {},
    )
    if direct or job.flow_run_id:  # a flow's own child: the flow run is already there
        result = run_recrawl(job)
    else:
        from flows.ondemand import recrawl_reported

        result = recrawl_reported(job, _warn, run_state["debug"])
    emit_json(result.to_json()) if as_json else print_recrawl(result)
    _end_quickly()
    if result.outcome == "failed":
        click.echo(f"wenku: recrawl of {url} failed: {result.error}", err=True)
        raise click.exceptions.Exit(1)


def _end_quickly() -> None:
    """The process ends now: its rows are committed, its WARC file closed, its connections
    closed here. The interpreter's last garbage collections would walk every object Scrapy
    and the cleaner loaded (0.3 s of a 1.3 s recrawl) to free memory the exit frees anyway.
    """
    from storage.engine import dispose_all

    dispose_all()
    gc.freeze()


def _warn(message: str) -> None:
    click.echo(f"wenku: warning: {message}", err=True)


@cli.command()
@common_options
@click.argument("file", type=click.File("rb"))
@click.option(
    "--url",
    default="file:///stdin",
    show_default=True,
    help="The URL the page was served at (for relative links).",
)
@click.option("--encoding", metavar="ENC", help="Treat the bytes as this charset.")
def clean(settings: Settings, as_json: bool, file: Any, url: str, encoding: str | None) -> None:
    """Run decode → extract → clean on one raw page (FILE or - for stdin) and print the record."""
    from wenku.clean_input import NotAPage, check_encoding, refuse_binary
    from wenku.jobs import clean_file
    from wenku.output import print_record

    raw = file.read()
    try:
        encoding = check_encoding(encoding)
        refuse_binary(raw, "stdin" if file.name == "<stdin>" else file.name)
    except NotAPage as exc:
        raise InputMistake(str(exc)) from exc
    record = clean_file(raw, url, encoding)
    emit_json(record.to_json()) if as_json else print_record(record)
    if record.parser_gave_up:  # the record is cut short: say so, and do not exit 0
        message = f"the HTML parser gave up part-way ({record.parser_gave_up})"
        click.echo(f"wenku: failed: {message}", err=True)
        raise click.exceptions.Exit(1)


@cli.command()
@common_options
@filter_options
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["jsonl", "csv", "parquet"]),
    default="jsonl",
    show_default=True,
)
@click.option(
    "--out",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write here instead of stdout (parquet needs --out).",
)
def export(settings: Settings, as_json: bool, filters: Any, fmt: str, out: Path | None) -> None:
    """Export the documents, with their provenance, as JSON lines, CSV or Parquet."""
    from storage.export import export_documents

    if fmt == "parquet" and out is None:
        raise UserError("--format parquet needs --out PATH (Parquet is not written to a terminal)")
    with analyst_errors():
        count = export_documents(settings.db_url, fmt, out, filters)
    if out is not None:
        click.echo(f"exported {count} documents to {out}", err=True)


@cli.command()
@common_options
@click.option(
    "--since",
    type=click.DateTime(),
    metavar="DATE",
    help="Only captures fetched at or after this time (UTC), e.g. 2026-11-01.",
)
def reprocess(settings: Settings, as_json: bool, since: datetime | None) -> None:
    """Re-run today's cleaning over archived WARC captures, without refetching anything."""
    from wenku.reprocess import reprocess as run_reprocess

    summary = run_reprocess(
        settings.db_url,
        since.replace(tzinfo=UTC) if since else None,
        flow_run_id=os.environ.get("WENKU_FLOW_RUN_ID") or None,
    )
    if as_json:
        emit_json(summary.to_json())
    else:
        click.echo(
            f"reprocessed {summary.captures} captures: {summary.documents_changed} now carry "
            f"a different document ({summary.new_documents} new documents), "
            f"{summary.pages_updated} pages updated, {summary.unreadable} unreadable"
        )


@cli.group()
def db() -> None:
    """Archive database maintenance."""


@db.command()
@common_options
def upgrade(settings: Settings, as_json: bool) -> None:
    """Apply the Alembic migrations to the archive (creates it when missing)."""
    from storage.engine import upgrade as upgrade_archive

    upgrade_archive(settings.db_url)
    emit_json({"db": settings.db_url, "status": "upgraded"}) if as_json else click.echo(
        f"archive at {settings.db_url} is up to date"
    )


@cli.command()
@common_options
@filter_options
@click.argument("text", nargs=-1, required=True)
@click.option(
    "--limit",
    default=20,
    show_default=True,
    type=click.IntRange(1, 10_000),
    help="How many documents to show, best first.",
)
def search(
    settings: Settings, as_json: bool, filters: Any, text: tuple[str, ...], limit: int
) -> None:
    """Full-text search over titles and bodies, in Simplified or Traditional Chinese."""
    from storage.search import query_terms, search_archive
    from wenku.present import print_hits

    words = " ".join(text)
    with analyst_errors():
        hits = search_archive(settings.db_url, words, filters, limit)
    emit_json([hit.to_json() for hit in hits]) if as_json else print_hits(hits, query_terms(words))


@cli.command()
@common_options
@click.argument("sql")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["table", "csv", "json", "jsonl"]),
    default="table",
    show_default=True,
    help="A table shows the first 1000 rows; csv, json and jsonl stream them all.",
)
@click.option(
    "--timeout",
    type=click.FloatRange(min=0),
    default=60.0,
    show_default=True,
    envvar="WENKU_QUERY_TIMEOUT",
    metavar="SECONDS",
    help="Stop the statement after this long, rows read included (0: no limit; "
    "env WENKU_QUERY_TIMEOUT).",
)
def query(settings: Settings, as_json: bool, sql: str, fmt: str, timeout: float) -> None:
    """Run one read-only SQL statement (SQL, or - for stdin) against the archive."""
    from storage.query import run_sql
    from storage.query_limits import bound_sqlite_memory
    from wenku.present import write_result

    bound_sqlite_memory()  # this process runs the one statement, then ends
    statement = sys.stdin.read() if sql == "-" else sql
    with analyst_errors(), run_sql(settings.db_url, statement, timeout) as rows:
        for warning in rows.warnings:
            click.echo(f"wenku: warning: {warning}", err=True)
        write_result(rows, "json" if as_json else fmt, sys.stdout)


@cli.command()
@common_options
@click.option("--host", default="127.0.0.1", show_default=True, help="The address to serve on.")
@click.option(
    "--port",
    default=8001,
    show_default=True,
    type=click.IntRange(1, 65535),
    help="The port to serve on.",
)
def browse(settings: Settings, as_json: bool, host: str, port: int) -> None:
    """Open a SQLite archive read-only in Datasette, to browse and query it in a web page."""
    from wenku.browse import archive_path, serve

    with analyst_errors():
        path = archive_path(settings.db_url)
    click.echo(f"serving {path} read-only on http://{host}:{port}/ (Ctrl-C stops)", err=True)
    serve(path, host, port)


@cli.command()
@common_options
@click.option(
    "--port",
    default=4200,
    show_default=True,
    type=click.IntRange(1, 65535),
    help="Port of the local Prefect server started when no PREFECT_API_URL is set.",
)
def schedule(settings: Settings, as_json: bool, port: int) -> None:
    """Serve the Prefect deployments: the nightly crawl on its cron, recrawl on demand."""
    from flows.env import export_settings
    from wenku.schedule import print_serving, run_schedule

    flags = click.get_current_context().params
    export_settings(flags["db_url"], flags["config_file"])
    run_schedule(settings, port, emit_json if as_json else print_serving)
    click.echo("wenku schedule: stopped", err=True)


def _frontier_url(url: str | None) -> str | None:
    if url and not url.startswith(("redis://", "rediss://", "unix://")):
        raise UserError(f"--frontier must be a redis:// URL, not {url!r}")
    return url


def _exit_for(status: str) -> None:
    if status != "finished":
        raise click.exceptions.Exit(1)


def main(argv: list[str] | None = None) -> None:
    try:
        # Without standalone mode click returns (not raises) a command's Exit code.
        code = cli.main(args=argv, prog_name="wenku", standalone_mode=False)
        sys.exit(code if isinstance(code, int) else 0)
    except click.exceptions.Exit as done:
        sys.exit(done.exit_code)
    except click.Abort:
        click.echo("wenku: interrupted", err=True)
        sys.exit(130)
    except click.ClickException as exc:
        exc.show()
        sys.exit(2 if isinstance(exc, click.UsageError) else exc.exit_code)
    except USAGE_ERRORS as exc:
        click.echo(f"wenku: error: {exc}", err=True)
        sys.exit(2)
    except Exception as exc:
        if run_state["debug"]:
            traceback.print_exc()
        click.echo(f"wenku: failed: {_one_line(exc)}", err=True)
        sys.exit(1)


def _one_line(exc: Exception) -> str:
    """The exception's first line; for a database error, the driver's own message."""
    cause = getattr(exc, "orig", None) or exc
    first = next((line for line in str(cause).splitlines() if line.strip()), "")
    return f"{type(cause).__name__}: {first.strip()}"

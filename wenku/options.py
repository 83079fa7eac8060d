"""Options and error types every `wenku` command shares."""

from __future__ import annotations

import contextlib
import functools
import json
from collections.abc import Callable, Iterator
from datetime import datetime
from typing import Any

import click

from crawler.profiles import ProfileError
from wenku.config import ConfigError, load_settings

USAGE_ERRORS = (ConfigError, ProfileError)
run_state = {"debug": False}


class UserError(click.UsageError):
    """A mistake in what the user asked for: exit 2."""


def common_options(command: Callable[..., Any]) -> Callable[..., Any]:
    """--db, --config, --json and --debug, which every command takes."""

    @click.option(
        "--db",
        "db_url",
        metavar="URL",
        help="Archive database URL (default: env WENKU_DB_URL, else sqlite:///wenku.db).",
    )
    @click.option(
        "--config",
        "config_file",
        metavar="FILE",
        type=click.Path(dir_okay=False),
        help="Site profiles and schedule (default: env WENKU_CONFIG, else ./wenku.toml).",
    )
    @click.option("--json", "as_json", is_flag=True, help="Print machine-readable JSON on stdout.")
    @click.option("--debug", is_flag=True, help="Show tracebacks and crawler logs.")
    @functools.wraps(command)
    def wrapper(db_url: str | None, config_file: str | None, debug: bool, **kwargs: Any) -> Any:
        run_state["debug"] = debug
        settings = load_settings(db_url, config_file)
        return command(settings=settings, **kwargs)

    return wrapper


def emit_json(data: Any) -> None:
    click.echo(json.dumps(data, ensure_ascii=False, indent=2, default=str))


MOMENT = click.DateTime(
    ["%Y-%m-%d", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M:%S", "%Y-%m-%dT%H:%M:%S%z"]
)


def filter_options(command: Callable[..., Any]) -> Callable[..., Any]:
    """--site, --category, --since, --until, --date-field: which documents (search, export)."""

    @click.option(
        "--site", metavar="NAME", help="Only documents seen on this site (now or before)."
    )
    @click.option(
        "--category", metavar="PATH", help="Only this category and those below it, e.g. 公文素材."
    )
    @click.option("--since", type=MOMENT, metavar="DATE", help="Dated at or after DATE (UTC).")
    @click.option("--until", type=MOMENT, metavar="DATE", help="Dated before DATE (UTC).")
    @click.option(
        "--date-field",
        type=click.Choice(["published_at", "first_seen_at", "last_seen_at"]),
        default="published_at",
        show_default=True,
        help="The date --since and --until look at.",
    )
    @functools.wraps(command)
    def wrapper(
        site: str | None,
        category: str | None,
        since: datetime | None,
        until: datetime | None,
        date_field: Any,
        **kwargs: Any,
    ) -> Any:
        from storage.filters import Filters

        return command(filters=Filters(site, category, since, until, date_field), **kwargs)

    return wrapper


class AnalystMistake(click.ClickException):
    """A refused or mistaken request of an analyst (a write in wenku query): exit 2."""

    exit_code = 2

    def show(self, file: Any = None) -> None:
        click.echo(f"wenku: error: {self.message}", err=True)


class InputMistake(AnalystMistake):
    """Input a command cannot read (not an HTML page, an unknown charset): exit 2, one line."""


@contextlib.contextmanager
def analyst_errors() -> Iterator[None]:
    from storage.query import AnalystError

    try:
        yield
    except AnalystError as exc:
        raise AnalystMistake(str(exc)) from exc

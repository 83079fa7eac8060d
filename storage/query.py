"""Read-only access to the archive for analysts: `wenku query`, search and export.

Read-only is the database's own rule, not a check on the SQL text:
- SQLite is opened with `mode=ro` and `PRAGMA query_only`; an authorizer refuses ATTACH
  and DETACH (an ATTACH would create a file; VACUUM INTO runs through it) and pragmas that
  change a setting.
- PostgreSQL runs the statement in a `READ ONLY` transaction, rolled back afterwards, as
  one statement (a server-side cursor, or a prepared statement), so no `COMMIT; DROP …`;
  and only as a role that cannot run programs or write server files (`query_limits`).
A statement allow-list (queries only: SELECT, WITH, VALUES, TABLE, EXPLAIN, SHOW, PRAGMA)
is a second line in front of these, not the first. Time and memory are bounded too
(`storage.query_limits`).
"""

from __future__ import annotations

import re
import sqlite3
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import make_url
from sqlalchemy.orm import Session

from storage.engine import is_sqlite, make_engine
from storage.query_limits import (
    DEFAULT_TIMEOUT,
    QueryStopped,
    Stopper,
    UnsafeRole,
    check_role,
    limit_postgresql,
    sqlite_limits,
    stop_on_signals,
)

READ_ONLY = "wenku query is read-only"
FETCH = 1000  # rows a round trip at most
_FIRST_FETCH = 20  # rows of the first round trip, before their width is known
_BATCH_BYTES = 8 * 2**20  # about this much a round trip, however wide the rows
QUERIES = {
    "sqlite": ("SELECT", "WITH", "VALUES", "EXPLAIN", "PRAGMA"),
    "postgresql": ("SELECT", "WITH", "VALUES", "TABLE", "EXPLAIN", "SHOW"),
}
_CURSOR_QUERIES = ("SELECT", "WITH", "VALUES", "TABLE")  # those a DECLARE CURSOR can hold
# Pragmas that only read, so may take an argument: `PRAGMA table_info(documents)`.
READ_PRAGMAS = frozenset(
    {
        "table_info",
        "table_xinfo",
        "table_list",
        "index_list",
        "index_info",
        "index_xinfo",
        "foreign_key_list",
        "foreign_key_check",
        "integrity_check",
        "quick_check",
    }
)
_FIRST_WORD = re.compile(r"(?:\s+|--[^\n]*|/\*.*?\*/)*(\w+)", re.S)
_DENIED_ACTIONS = {sqlite3.SQLITE_ATTACH: "ATTACH", sqlite3.SQLITE_DETACH: "DETACH"}


class AnalystError(ValueError):
    """A mistake in what the analyst asked for (exit 2)."""


class WriteRefused(AnalystError):
    """The statement would write: the database refused it."""


@dataclass(slots=True)
class QueryResult:
    columns: list[str]
    rows: Iterator[tuple[Any, ...]]  # read inside the `run_sql` block only
    warnings: list[str] = field(default_factory=list)  # to show the analyst (stderr)


def require_archive(url: str) -> None:
    """A SQLite archive must exist: opening it read-only cannot create it."""
    if not is_sqlite(url):
        return
    database = make_url(url).database or ""
    if not database or database == ":memory:" or not Path(database).is_file():
        raise AnalystError(f"no archive at {database or url!r} (run wenku demo or wenku crawl)")


@contextmanager
def read_only_session(url: str) -> Iterator[Session]:
    """A session that cannot write: a read-only SQLite file, or READ ONLY transactions."""
    require_archive(url)
    engine = make_engine(url, read_only=True)
    if not is_sqlite(url):
        engine = engine.execution_options(postgresql_readonly=True)
    try:
        with Session(engine) as session:
            if is_sqlite(url):
                session.connection().exec_driver_sql("PRAGMA query_only = ON")
            yield session
    finally:
        engine.dispose()


@contextmanager
def run_sql(
    url: str, sql: str, timeout: float = DEFAULT_TIMEOUT, statement_check: bool = True
) -> Iterator[QueryResult]:
    """Run one statement read-only; its rows are streamed while the block runs.

    `timeout` seconds (0: none) bound the whole statement, rows read included.
    `statement_check=False` leaves out the allow-list (tests: the database's own line)."""
    if not sql.strip():
        raise AnalystError("wenku query needs an SQL statement")
    backend = "sqlite" if is_sqlite(url) else "postgresql"
    if statement_check:
        _allowed(sql, backend)
    stopper = Stopper(timeout)
    with (
        _read_only_dbapi(url, stopper) as (connection, denied, warnings),
        stop_on_signals(stopper),
        _translated(denied, stopper),
    ):
        cursor = _cursor(connection, sql, backend)
        try:
            _execute(cursor, sql, backend)
            columns = [column[0] for column in cursor.description or ()]
            rows = _fetch(cursor, stopper) if columns else iter(())
            yield QueryResult(columns, rows, warnings)
        finally:
            cursor.close()


def _allowed(sql: str, backend: str) -> None:
    keyword = first_keyword(sql)
    if keyword not in QUERIES[backend]:
        allowed = ", ".join(QUERIES[backend])
        raise WriteRefused(f"{READ_ONLY}: it runs queries only ({allowed}), not {keyword}")


def _cursor(connection: Any, sql: str, backend: str) -> Any:
    """PostgreSQL queries stream from a server-side cursor (one statement, rows fetched
    FETCH at a time); EXPLAIN and SHOW run as a prepared statement (one statement too)."""
    if backend == "postgresql" and first_keyword(sql) in _CURSOR_QUERIES:
        return connection.cursor(name="wenku_query")
    return connection.cursor()


def _execute(cursor: Any, sql: str, backend: str) -> None:
    if backend == "sqlite" or getattr(cursor, "name", None):
        cursor.execute(sql)
    else:
        cursor.execute(sql, prepare=True)


@contextmanager
def _read_only_dbapi(url: str, stopper: Stopper) -> Iterator[tuple[Any, list[str], list[str]]]:
    require_archive(url)
    engine = make_engine(url, read_only=True)
    denied: list[str] = []
    raw = engine.raw_connection()
    try:
        connection: Any = raw.driver_connection
        if is_sqlite(url):
            with sqlite_limits(connection, stopper):
                _guard_sqlite(connection, denied)
                yield connection, denied, []
        else:
            yield connection, denied, _guard_postgresql(connection, stopper.timeout)
    finally:
        _release(raw)
        engine.dispose()


def _release(raw: Any) -> None:
    try:
        raw.rollback()
    except Exception:  # the driver is in a state it cannot roll back from: drop it
        raw.invalidate()
    raw.close()


def first_keyword(sql: str) -> str:
    """The statement's first word, upper-cased, after any leading comments."""
    match = _FIRST_WORD.match(sql)
    return match.group(1).upper() if match else ""


def _guard_sqlite(connection: sqlite3.Connection, denied: list[str]) -> None:
    connection.execute("PRAGMA query_only = ON")

    def authorize(action: int, arg1: str | None, arg2: str | None, *_: Any) -> int:
        if action in _DENIED_ACTIONS:
            denied.append(_DENIED_ACTIONS[action])
        elif action == sqlite3.SQLITE_PRAGMA and arg2 is not None and arg1 not in READ_PRAGMAS:
            denied.append(f"PRAGMA {arg1} = …")
        else:
            return sqlite3.SQLITE_OK
        return sqlite3.SQLITE_DENY

    connection.set_authorizer(authorize)


def _guard_postgresql(connection: Any, timeout: float) -> list[str]:
    """Refuse an unsafe role, bound the session; then every transaction is READ ONLY."""
    connection.rollback()
    connection.autocommit = True  # the settings below hold for the session
    try:
        warnings = check_role(connection)
        limit_postgresql(connection, timeout)
    except UnsafeRole as exc:
        raise AnalystError(str(exc)) from None
    finally:
        connection.autocommit = False
    connection.read_only = True  # psycopg starts each transaction with BEGIN READ ONLY
    return warnings


def _fetch(cursor: Any, stopper: Stopper) -> Iterator[tuple[Any, ...]]:
    """Rows in batches of about _BATCH_BYTES, each let go before the next comes in."""
    size = _FIRST_FETCH
    while rows := cursor.fetchmany(size):
        size = _batch_size(rows)
        yield from (tuple(row) for row in rows)
        del rows
        if stopper.overdue():  # each FETCH has the timeout; the whole statement too
            raise stopper.timed_out()


def _batch_size(rows: list[Any]) -> int:
    """How many rows like these make about _BATCH_BYTES."""
    width = sum(sys.getsizeof(value) for row in rows for value in row) / len(rows)
    return max(1, min(FETCH, int(_BATCH_BYTES / max(width, 1.0))))


@contextmanager
def _translated(denied: list[str], stopper: Stopper) -> Iterator[None]:
    """Database errors become one clear line: refused writes, stops, other SQL mistakes."""
    try:
        yield
    except MemoryError as exc:  # SQLite's hard heap limit
        raise QueryStopped("wenku query stopped the statement: it needed too much memory") from exc
    except sqlite3.Error as exc:
        if stopper.signalled is not None:
            raise KeyboardInterrupt from exc
        if stopper.overdue() and "interrupted" in str(exc):
            raise stopper.timed_out() from exc
        raise _sqlite_error(exc, denied) from exc
    except Exception as exc:
        sqlstate = getattr(exc, "sqlstate", None)
        if sqlstate is None:
            raise
        raise _postgresql_error(exc, sqlstate, stopper) from exc


def _sqlite_error(exc: sqlite3.Error, denied: list[str]) -> Exception:
    if denied:
        return WriteRefused(f"{READ_ONLY}: {denied[-1]} is refused")
    if getattr(exc, "sqlite_errorname", "") == "SQLITE_READONLY":
        return WriteRefused(f"{READ_ONLY}: the archive refused a write ({exc})")
    if isinstance(exc, sqlite3.ProgrammingError) and "one statement" in str(exc):
        return AnalystError("wenku query runs one statement at a time")
    return AnalystError(f"wenku query: SQL error: {exc}")


def _postgresql_error(exc: Exception, sqlstate: str, stopper: Stopper) -> Exception:
    message = str(exc).splitlines()[0]
    if sqlstate == "57014" and "statement timeout" in message:  # query_canceled
        return stopper.timed_out()
    if sqlstate == "57014":
        return QueryStopped(f"wenku query: the server cancelled the statement ({message})")
    if sqlstate == "53200":  # out_of_memory
        return QueryStopped(f"wenku query stopped the statement: {message}")
    if sqlstate == "25006":  # read_only_sql_transaction
        return WriteRefused(f"{READ_ONLY}: the archive refused a write ({message})")
    if "multiple commands" in message:
        return AnalystError("wenku query runs one statement at a time")
    return AnalystError(f"wenku query: SQL error: {message}")

"""Read-only access to the archive for analysts: `wenku query`, search and export.

Read-only is the database's own rule, not a check on the SQL text:
- SQLite is opened with `mode=ro` and `PRAGMA query_only`; an authorizer refuses ATTACH
  and DETACH (an ATTACH would create a file; VACUUM INTO runs through it) and pragmas that
  change a setting.
- PostgreSQL runs the statement in a `READ ONLY` transaction, rolled back afterwards, as a
  prepared statement, which cannot hold a second statement (no `COMMIT; DROP …`).
  `COPY` is refused before it reaches the server: `COPY … TO 'file'` writes a server file
  even in a read-only transaction. (A superuser can still call functions that write
  server files: give analysts a role of their own.)
"""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import make_url
from sqlalchemy.orm import Session

from storage.engine import is_sqlite, make_engine

READ_ONLY = "wenku query is read-only"
FETCH = 500
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
def run_sql(url: str, sql: str) -> Iterator[QueryResult]:
    """Run one statement read-only; its rows are streamed while the block runs."""
    if not sql.strip():
        raise AnalystError("wenku query needs an SQL statement")
    if first_keyword(sql) == "COPY":  # COPY … TO 'file' writes on the server, even read-only
        raise WriteRefused(f"{READ_ONLY}: COPY is refused (for CSV, use --format csv)")
    with _read_only_dbapi(url) as (connection, denied), _translated(denied):
        cursor = connection.cursor()
        if is_sqlite(url):
            cursor.execute(sql)
        else:
            cursor.execute(sql, prepare=True)
        columns = [column[0] for column in cursor.description or ()]
        yield QueryResult(columns, _fetch(cursor) if columns else iter(()))


@contextmanager
def _read_only_dbapi(url: str) -> Iterator[tuple[Any, list[str]]]:
    require_archive(url)
    engine = make_engine(url, read_only=True)
    denied: list[str] = []
    raw = engine.raw_connection()
    try:
        connection: Any = raw.driver_connection
        _guard_sqlite(connection, denied) if is_sqlite(url) else _guard_postgresql(connection)
        yield connection, denied
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


def _guard_postgresql(connection: Any) -> None:
    connection.rollback()
    connection.read_only = True  # psycopg starts each transaction with BEGIN READ ONLY


def _fetch(cursor: Any) -> Iterator[tuple[Any, ...]]:
    while rows := cursor.fetchmany(FETCH):
        yield from (tuple(row) for row in rows)


@contextmanager
def _translated(denied: list[str]) -> Iterator[None]:
    """Database errors become one clear line: refused writes, then any other SQL mistake."""
    try:
        yield
    except sqlite3.Error as exc:
        raise _sqlite_error(exc, denied) from exc
    except Exception as exc:
        sqlstate = getattr(exc, "sqlstate", None)
        if sqlstate is None:
            raise
        raise _postgresql_error(exc, sqlstate) from exc


def _sqlite_error(exc: sqlite3.Error, denied: list[str]) -> AnalystError:
    if denied:
        return WriteRefused(f"{READ_ONLY}: {denied[-1]} is refused")
    if getattr(exc, "sqlite_errorname", "") == "SQLITE_READONLY":
        return WriteRefused(f"{READ_ONLY}: the archive refused a write ({exc})")
    if isinstance(exc, sqlite3.ProgrammingError) and "one statement" in str(exc):
        return AnalystError("wenku query runs one statement at a time")
    return AnalystError(f"wenku query: SQL error: {exc}")


def _postgresql_error(exc: Exception, sqlstate: str) -> AnalystError:
    message = str(exc).splitlines()[0]
    if sqlstate == "25006":  # read_only_sql_transaction
        return WriteRefused(f"{READ_ONLY}: the archive refused a write ({message})")
    if "multiple commands" in message:
        return AnalystError("wenku query runs one statement at a time")
    return AnalystError(f"wenku query: SQL error: {message}")

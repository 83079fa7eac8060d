"""What bounds `wenku query`: who may run it on PostgreSQL, how long and how large it may
grow, and stopping the server's work when the client stops.

- PostgreSQL: a role that can run programs or write files on the server (a superuser,
  `pg_execute_server_program`, `pg_write_server_files`) is refused: a read-only
  transaction does not stop `COPY … TO PROGRAM` inside a `DO` block. A role that may
  write the archive's tables gets a warning. The session gets `statement_timeout`,
  `work_mem` and (PostgreSQL 14+) `client_connection_check_interval`, so a statement is
  cancelled on the server when its client is killed; SIGINT and SIGTERM cancel it at once.
- SQLite: a progress handler ends the statement at the deadline or on SIGINT/SIGTERM;
  `SQLITE_LIMIT_LENGTH` bounds any one value, and in the `wenku query` process
  `hard_heap_limit` the memory SQLite may use.
"""

from __future__ import annotations

import signal
import sqlite3
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

DEFAULT_TIMEOUT = 60.0  # seconds; 0 means none
MAX_VALUE_BYTES = 100 * 2**20  # SQLite: no string or blob larger than this
HEAP_LIMIT_BYTES = 512 * 2**20  # SQLite: the most memory the statement may take
WORK_MEM = "64MB"  # PostgreSQL: per sort or hash before it spills to disk
_PROGRESS_STEPS = 10_000  # SQLite VM steps between two looks at the clock
_ROLE = """
SELECT current_user,
  EXISTS (SELECT 1 FROM pg_roles r
          WHERE r.rolsuper AND pg_has_role(current_user, r.oid, 'MEMBER')),
  pg_has_role(current_user, 'pg_execute_server_program', 'MEMBER'),
  pg_has_role(current_user, 'pg_write_server_files', 'MEMBER'),
  EXISTS (SELECT 1 FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
          WHERE n.nspname = current_schema() AND c.relkind IN ('r', 'p')
            AND has_table_privilege(c.oid, 'INSERT, UPDATE, DELETE, TRUNCATE'))
"""


class UnsafeRole(ValueError):
    """The connection's role can do what no analyst's query may (exit 2)."""


class QueryStopped(RuntimeError):
    """The statement ran past its time or memory and was stopped (exit 1)."""


@dataclass(slots=True)
class Stopper:
    """When the statement must end: a deadline, or a signal received."""

    timeout: float
    started: float = field(default_factory=time.monotonic)
    signalled: int | None = None

    def overdue(self) -> bool:
        return bool(self.timeout) and time.monotonic() - self.started > self.timeout

    def must_stop(self) -> bool:
        return self.signalled is not None or self.overdue()

    def timed_out(self) -> QueryStopped:
        return QueryStopped(
            f"wenku query stopped the statement after {self.timeout:g} s "
            "(the statement timeout: --timeout SECONDS, 0 for none)"
        )


@contextmanager
def stop_on_signals(stopper: Stopper) -> Iterator[None]:
    """SIGINT and SIGTERM raise KeyboardInterrupt (psycopg then cancels the statement on
    the server) and mark `stopper` (SQLite's progress handler then ends the statement)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def interrupt(signum: int, _frame: Any) -> None:
        stopper.signalled = signum
        raise KeyboardInterrupt

    previous = {sig: signal.signal(sig, interrupt) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


@contextmanager
def sqlite_limits(connection: sqlite3.Connection, stopper: Stopper) -> Iterator[None]:
    """A deadline and a size limit while the block runs; the connection's handlers are
    taken off afterwards (install the authorizer inside the block)."""
    connection.setlimit(sqlite3.SQLITE_LIMIT_LENGTH, MAX_VALUE_BYTES)
    connection.set_progress_handler(lambda: int(stopper.must_stop()), _PROGRESS_STEPS)
    try:
        yield
    finally:
        connection.set_progress_handler(None, 0)
        connection.set_authorizer(None)


def bound_sqlite_memory() -> None:
    """SQLite's hard heap limit for the rest of this process (`wenku query`'s): the pragma
    can lower it but never raise it again, so it is not for a process that does more."""
    with sqlite3.connect(":memory:") as connection:
        connection.execute(f"PRAGMA hard_heap_limit = {HEAP_LIMIT_BYTES}")


def check_role(connection: Any) -> list[str]:
    """Refuse a role that can run programs or write server files; warnings for the rest."""
    row = connection.execute(_ROLE).fetchone()
    user, superuser, programs, server_files, writer = row
    if superuser or programs or server_files:
        power = "a superuser" if superuser else "allowed to run programs or write server files"
        raise UnsafeRole(
            f"wenku query refuses role {user!r}: it is {power}, which a read-only "
            "transaction does not stop; connect as a read-only role such as wenku_reader "
            "(docs/analysts.md)"
        )
    if writer:
        return [
            f"role {user!r} may write to the archive's tables; the statement runs READ ONLY, "
            "but give analysts a read-only role (docs/analysts.md)"
        ]
    return []


def limit_postgresql(connection: Any, timeout: float) -> None:
    """Session settings: a statement timeout, work_mem, and a check that the client lives."""
    connection.execute("SELECT set_config('statement_timeout', %s, false)", [_ms(timeout)])
    connection.execute("SELECT set_config('work_mem', %s, false)", [WORK_MEM])
    if connection.info.server_version >= 140000:
        connection.execute("SELECT set_config('client_connection_check_interval', '1s', false)")


def _ms(seconds: float) -> str:
    return f"{round(seconds * 1000)}ms"

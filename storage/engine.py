"""The one place engines are made, and the Alembic upgrade that readies an archive."""

from __future__ import annotations

import fcntl
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import Engine, NullPool, create_engine, event, make_url, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session, sessionmaker

if TYPE_CHECKING:
    from alembic.config import Config

MIGRATIONS = Path(__file__).with_name("migrations")


def is_sqlite(url: str) -> bool:
    return make_url(url).get_backend_name() == "sqlite"


def make_engine(url: str, *, read_only: bool = False) -> Engine:
    """An engine for `url`; SQLite gets WAL, foreign keys and a busy timeout."""
    if not is_sqlite(url):
        return create_engine(url, pool_pre_ping=True)
    # Multi-row inserts make one statement per batch size; pysqlite would keep 128 of them
    # prepared (60-80 MB in an archive worker), so keep a few.
    connect_args = {"timeout": 30, "cached_statements": 16}
    engine = create_engine(_sqlite_url(url, read_only), connect_args=connect_args)

    @event.listens_for(engine, "connect")
    def _pragmas(dbapi_connection: Any, _record: Any) -> None:
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        if not read_only:
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    return engine


def _sqlite_url(url: str, read_only: bool) -> str:
    if not read_only:
        return url
    database = make_url(url).database or ""
    return f"sqlite:///file:{Path(database).resolve()}?mode=ro&uri=true"


_factories: dict[str, sessionmaker[Session]] = {}


def session_factory(url: str) -> sessionmaker[Session]:
    """One session factory, and so one engine and pool, per archive URL in a process."""
    if url not in _factories:
        _factories[url] = sessionmaker(make_engine(url), expire_on_commit=False)
    return _factories[url]


def dispose_all() -> None:
    """Close every pooled connection this process opened (tests, and before a fork)."""
    for factory in _factories.values():
        bind = factory.kw.get("bind")
        if bind is not None:
            bind.dispose()
    _factories.clear()


def alembic_config(url: str) -> Config:
    from alembic.config import Config  # here, not at the top: the archive worker never migrates

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


HEAD_REVISION = "0006"  # the newest migration; tests/test_archive.py keeps this true


# pg_advisory_lock's key for "this database's schema is being migrated" (any fixed bigint).
MIGRATION_LOCK_KEY = 0x77656E6B75  # "wenku"


def ensure_current(url: str) -> None:
    """Migrate the archive unless it is at HEAD_REVISION already (one SELECT, no Alembic).

    Two first crawls of a fresh archive must not both create it: the migration, and the
    revision check before it, run under `migration_lock`."""
    if _current_revision(url) == HEAD_REVISION:
        return
    with migration_lock(url):
        if _current_revision(url) != HEAD_REVISION:  # another process may have just done it
            _alembic_upgrade(url, "head")


def _current_revision(url: str) -> str | None:
    try:
        with session_factory(url)() as session:
            return session.execute(text("SELECT version_num FROM alembic_version")).scalar()
    except DBAPIError:  # no archive there yet
        return None


def upgrade(url: str, revision: str = "head") -> None:
    """Create or migrate the archive at `url` to `revision`, one process at a time."""
    with migration_lock(url):
        _alembic_upgrade(url, revision)


def _alembic_upgrade(url: str, revision: str) -> None:
    from alembic import command

    command.upgrade(alembic_config(url), revision)


@contextmanager
def migration_lock(url: str) -> Iterator[None]:
    """Held while one process migrates the archive; others wait. PostgreSQL: a session
    advisory lock (released by the server if the process dies). SQLite: an exclusive
    flock on a file beside the archive (not on the archive: SQLite's own POSIX locks on it
    would go when another descriptor of it closed)."""
    if not is_sqlite(url):
        with _advisory_lock(url):
            yield
        return
    database = make_url(url).database or ""
    if not database or database == ":memory:":
        yield
        return
    with open(f"{database}.migrate-lock", "a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)  # released when the file closes
        yield


@contextmanager
def _advisory_lock(url: str) -> Iterator[None]:
    engine = create_engine(url, poolclass=NullPool, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as connection:
            key = {"key": MIGRATION_LOCK_KEY}
            connection.execute(text("SELECT pg_advisory_lock(:key)"), key)
            try:
                yield
            finally:
                connection.execute(text("SELECT pg_advisory_unlock(:key)"), key)
    finally:
        engine.dispose()

"""`wenku browse`: a SQLite archive in Datasette, read-only, for those who prefer a web page.

Datasette opens a database file with `mode=ro` for every query it runs, and wenku installs
no plugin that writes; the search box on `documents` uses the FTS5 index `documents_fts`
(3 characters or more: `wenku search` also finds shorter words).

A bad address or parameter (`?_sort=nope`) answers 400 or 404 with one line
(`wenku.browse_errors`), not Datasette's 500 and traceback.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path
from typing import Any

from sqlalchemy import make_url

from storage.engine import is_sqlite
from storage.query import AnalystError, require_archive

METADATA: dict[str, Any] = {
    "title": "wenku archive",
    "description": "Documents, pages and captures: see docs/analysts.md for the schema.",
    "databases": {
        "*": {
            "tables": {
                "documents": {"fts_table": "documents_fts", "fts_pk": "id"},
            }
        }
    },
}


def archive_path(db_url: str) -> Path:
    """The SQLite file behind `db_url`; Datasette serves SQLite only."""
    if importlib.util.find_spec("datasette") is None:
        raise AnalystError("wenku browse needs Datasette: pip install 'wenku[browse]'")
    if not is_sqlite(db_url):
        raise AnalystError(
            "wenku browse serves SQLite archives only; query PostgreSQL with wenku query"
        )
    require_archive(db_url)
    return Path(make_url(db_url).database or "").resolve()


def serve(path: Path, host: str, port: int) -> None:
    """Serve the archive file `path` on http://host:port/ until interrupted."""
    import uvicorn

    datasette = make_datasette(path)
    uvicorn.run(datasette.app(), host=host, port=port, log_level="warning", lifespan="on")


def make_datasette(path: Path) -> Any:
    from datasette.app import Datasette

    from wenku.browse_errors import install_error_pages

    install_error_pages()

    name = path.stem
    metadata = {**METADATA, "databases": {name: METADATA["databases"]["*"]}}
    return Datasette([str(path)], metadata=metadata, settings={"sql_time_limit_ms": 5000})

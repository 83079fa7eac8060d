"""full-text index filled after each commit, not by a trigger a row

SQLite only. The insert trigger of 0002 indexed each document inside the writer's batch
transaction (about a third of the archive's CPU a page); the archive writer now indexes
each batch's new documents with one INSERT … SELECT after committing it
(storage.search.index_new_documents). `documents_fts_progress` holds how far the index
has got; search matches newer documents with LIKE until they are indexed. The update
and delete triggers stay (those are rare), for indexed rows only.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-01
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_FTS_INSERT = "INSERT INTO documents_fts(rowid, title, body) VALUES (new.id, new.title, new.body);"
_FTS_DELETE = (
    "INSERT INTO documents_fts(documents_fts, rowid, title, body) "
    "VALUES ('delete', old.id, old.title, old.body);"
)
# Only rows the index holds may be deleted from it (an external-content index is
# corrupted by deleting what it never had); newer rows are indexed as they are later.
_INDEXED = "old.id <= (SELECT last_document_id FROM documents_fts_progress)"

SQLITE_UPGRADE = (
    "DROP TRIGGER IF EXISTS documents_fts_insert",
    "DROP TRIGGER IF EXISTS documents_fts_update",
    "DROP TRIGGER IF EXISTS documents_fts_delete",
    "CREATE TABLE documents_fts_progress ("
    "id INTEGER PRIMARY KEY CHECK (id = 1), last_document_id INTEGER NOT NULL)",
    # Everything archived so far was indexed by the trigger.
    "INSERT INTO documents_fts_progress (id, last_document_id) "
    "SELECT 1, COALESCE(MAX(id), 0) FROM documents",
    f"CREATE TRIGGER documents_fts_delete AFTER DELETE ON documents WHEN {_INDEXED} "
    f"BEGIN {_FTS_DELETE} END",
    f"CREATE TRIGGER documents_fts_update AFTER UPDATE OF title, body ON documents "
    f"WHEN {_INDEXED} BEGIN {_FTS_DELETE} {_FTS_INSERT} END",
)
SQLITE_DOWNGRADE = (
    # Index what the trigger would have, then put the triggers of 0002 back.
    "INSERT INTO documents_fts(rowid, title, body) SELECT id, title, body FROM documents "
    "WHERE id > (SELECT last_document_id FROM documents_fts_progress)",
    "DROP TRIGGER IF EXISTS documents_fts_update",
    "DROP TRIGGER IF EXISTS documents_fts_delete",
    "DROP TABLE documents_fts_progress",
    f"CREATE TRIGGER documents_fts_insert AFTER INSERT ON documents BEGIN {_FTS_INSERT} END",
    f"CREATE TRIGGER documents_fts_delete AFTER DELETE ON documents BEGIN {_FTS_DELETE} END",
    "CREATE TRIGGER documents_fts_update AFTER UPDATE OF title, body ON documents "
    f"BEGIN {_FTS_DELETE} {_FTS_INSERT} END",
)


def upgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        for statement in SQLITE_UPGRADE:
            op.execute(statement)


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        for statement in SQLITE_DOWNGRADE:
            op.execute(statement)

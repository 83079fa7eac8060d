"""document signatures and their bands, for near-duplicate detection

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-25
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "document_signatures",
        sa.Column("document_id", sa.Integer(), nullable=False),
        sa.Column("signature", sa.LargeBinary(), nullable=False),
        sa.ForeignKeyConstraint(
            ["document_id"],
            ["documents.id"],
            name=op.f("fk_document_signatures_document_id_documents"),
        ),
        sa.PrimaryKeyConstraint("document_id", name=op.f("pk_document_signatures")),
    )
    op.create_table(
        "document_bands",
        sa.Column("bucket", sa.BigInteger(), nullable=False),
        sa.Column("band", sa.Integer(), nullable=False),
        sa.Column("document_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["document_id"], ["documents.id"], name=op.f("fk_document_bands_document_id_documents")
        ),
        sa.PrimaryKeyConstraint("bucket", "band", "document_id", name=op.f("pk_document_bands")),
    )


def downgrade() -> None:
    op.drop_table("document_bands")
    op.drop_table("document_signatures")

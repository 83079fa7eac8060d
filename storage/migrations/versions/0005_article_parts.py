"""pages.article_part and captures.article_part: a page's place in an article split over
several pages, now and when each capture was made (reprocessing joins the parts again)

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-01
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    for table in ("pages", "captures"):
        op.add_column(table, sa.Column("article_part", sa.Integer(), nullable=True))


def downgrade() -> None:
    for table in ("captures", "pages"):
        with op.batch_alter_table(table) as batch_op:
            batch_op.drop_column("article_part")

"""post language

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-01 13:00:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Posts written before this revision are marked English: the server default fills them. A post in another
    # language can be set on its edit form (the demo seeds its non-English posts with their language).
    for table in ("questions", "answers"):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(sa.Column("language", sa.String(length=8), server_default="en", nullable=False))


def downgrade() -> None:
    for table in ("answers", "questions"):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_column("language")

"""indexes for the "most kudos" question order; tag descriptions

Revision ID: 0018
Revises: 0012
Create Date: 2026-12-01 15:45:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0018"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Lists sorted by kudos walk these in page order (keyset pagination), over all boards and within one.
    with op.batch_alter_table("questions", schema=None) as batch_op:
        batch_op.create_index("ix_questions_kudos", ["kudos_count", "id"], unique=False)
        batch_op.create_index("ix_questions_board_kudos", ["board_id", "kudos_count", "id"], unique=False)
    # What a tag is for, written by moderators (the tags page).
    with op.batch_alter_table("tags", schema=None) as batch_op:
        batch_op.add_column(sa.Column("description", sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("tags", schema=None) as batch_op:
        batch_op.drop_column("description")
    with op.batch_alter_table("questions", schema=None) as batch_op:
        batch_op.drop_index("ix_questions_board_kudos")
        batch_op.drop_index("ix_questions_kudos")

"""indexes for the insights dashboard

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-26 06:25:32.685385
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("cases", schema=None) as batch_op:
        batch_op.create_index("ix_cases_opened", ["opened_at"], unique=False)

    with op.batch_alter_table("questions", schema=None) as batch_op:
        batch_op.create_index("ix_questions_board_created", ["board_id", "created_at"], unique=False)
        batch_op.create_index("ix_questions_created", ["created_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("questions", schema=None) as batch_op:
        batch_op.drop_index("ix_questions_created")
        batch_op.drop_index("ix_questions_board_created")

    with op.batch_alter_table("cases", schema=None) as batch_op:
        batch_op.drop_index("ix_cases_opened")

"""indexes for points verify, leaderboards and ledger lookups

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-26 05:40:27.394029
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("answers", schema=None) as batch_op:
        batch_op.create_index("ix_answers_accepted_author", ["is_accepted", "author_id", "question_id"], unique=False)

    with op.batch_alter_table("point_events", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_point_events_user_id_desc"))
        batch_op.create_index("ix_point_events_user_id_desc", ["user_id", "id", "delta"], unique=False)
        batch_op.create_index("ix_point_events_key", ["key"], unique=False)
        batch_op.create_index("ix_point_events_user_reason_created", ["user_id", "reason", "created_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("point_events", schema=None) as batch_op:
        batch_op.drop_index("ix_point_events_user_reason_created")
        batch_op.drop_index("ix_point_events_key")
        batch_op.drop_index("ix_point_events_user_id_desc")
        batch_op.create_index(batch_op.f("ix_point_events_user_id_desc"), ["user_id", "id"], unique=False)

    with op.batch_alter_table("answers", schema=None) as batch_op:
        batch_op.drop_index("ix_answers_accepted_author")

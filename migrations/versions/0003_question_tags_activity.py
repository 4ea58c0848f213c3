"""question_tags carry the question's board and last activity, for tag lists in index order

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-26 05:40:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("question_tags", schema=None) as batch_op:
        batch_op.add_column(sa.Column("board_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("last_activity_at", sa.DateTime(timezone=True), nullable=True))
    # Copy from each row's question, then the copies become required.
    op.execute(
        "UPDATE question_tags SET "
        "board_id = (SELECT board_id FROM questions WHERE questions.id = question_tags.question_id), "
        "last_activity_at = (SELECT last_activity_at FROM questions WHERE questions.id = question_tags.question_id)"
    )
    with op.batch_alter_table("question_tags", schema=None) as batch_op:
        batch_op.alter_column("board_id", existing_type=sa.Integer(), nullable=False)
        batch_op.alter_column("last_activity_at", existing_type=sa.DateTime(timezone=True), nullable=False)
        batch_op.create_foreign_key(batch_op.f("fk_question_tags_board_id_boards"), "boards", ["board_id"], ["id"])
        batch_op.drop_index(batch_op.f("ix_question_tags_tag_id"))
        batch_op.create_index(
            "ix_question_tags_tag_board_activity",
            ["tag_id", "board_id", "last_activity_at", "question_id"],
            unique=False,
        )
        batch_op.create_index(
            "ix_question_tags_tag_activity", ["tag_id", "last_activity_at", "question_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("question_tags", schema=None) as batch_op:
        batch_op.drop_index("ix_question_tags_tag_activity")
        batch_op.drop_index("ix_question_tags_tag_board_activity")
        batch_op.create_index(batch_op.f("ix_question_tags_tag_id"), ["tag_id"], unique=False)
        batch_op.drop_constraint(batch_op.f("fk_question_tags_board_id_boards"), type_="foreignkey")
        batch_op.drop_column("last_activity_at")
        batch_op.drop_column("board_id")

"""indexes for the "most kudos" question order; tag descriptions; following a tag

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-01 15:45:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0019"
down_revision: str | None = "0018"
# Exactly one of question, board and tag (app/notifications/models.py holds the same text).
ONE_TARGET = (
    "(CASE WHEN question_id IS NULL THEN 0 ELSE 1 END + CASE WHEN board_id IS NULL THEN 0 ELSE 1 END"
    " + CASE WHEN tag_id IS NULL THEN 0 ELSE 1 END) = 1"
)
TWO_TARGETS = "(question_id IS NULL) <> (board_id IS NULL)"
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
    # A member follows a tag as they follow a board: new questions with it.
    with op.batch_alter_table("subscriptions", schema=None) as batch_op:
        batch_op.add_column(sa.Column("tag_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            op.f("fk_subscriptions_tag_id_tags"), "tags", ["tag_id"], ["id"], ondelete="CASCADE"
        )
        batch_op.drop_constraint(op.f("ck_subscriptions_exactly_one_target"), type_="check")
        batch_op.create_check_constraint(op.f("ck_subscriptions_exactly_one_target"), ONE_TARGET)
        batch_op.create_unique_constraint("uq_subscriptions_user_tag", ["user_id", "tag_id"])
        batch_op.create_index("ix_subscriptions_tag", ["tag_id"], unique=False)


def downgrade() -> None:
    op.execute("DELETE FROM subscriptions WHERE tag_id IS NOT NULL")
    with op.batch_alter_table("subscriptions", schema=None) as batch_op:
        batch_op.drop_index("ix_subscriptions_tag")
        batch_op.drop_constraint("uq_subscriptions_user_tag", type_="unique")
        batch_op.drop_constraint(op.f("ck_subscriptions_exactly_one_target"), type_="check")
        batch_op.create_check_constraint(op.f("ck_subscriptions_exactly_one_target"), TWO_TARGETS)
        batch_op.drop_constraint(op.f("fk_subscriptions_tag_id_tags"), type_="foreignkey")
        batch_op.drop_column("tag_id")
    with op.batch_alter_table("tags", schema=None) as batch_op:
        batch_op.drop_column("description")
    with op.batch_alter_table("questions", schema=None) as batch_op:
        batch_op.drop_index("ix_questions_board_kudos")
        batch_op.drop_index("ix_questions_kudos")

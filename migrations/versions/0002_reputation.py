"""reputation: kudos, points ledger, badges, accepted and hidden posts

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-26 05:05:52.747665
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "user_badges",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("badge", sa.String(length=40), nullable=False),
        sa.Column("awarded_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_user_badges_user_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_user_badges")),
        sa.UniqueConstraint("user_id", "badge", name="uq_user_badges_user_badge"),
    )
    op.create_table(
        "kudos",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("giver_id", sa.Integer(), nullable=False),
        sa.Column("receiver_id", sa.Integer(), nullable=False),
        sa.Column("question_id", sa.Integer(), nullable=True),
        sa.Column("answer_id", sa.Integer(), nullable=True),
        sa.Column("token", sa.String(length=32), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("(question_id IS NULL) <> (answer_id IS NULL)", name=op.f("ck_kudos_exactly_one_post")),
        sa.ForeignKeyConstraint(
            ["answer_id"], ["answers.id"], name=op.f("fk_kudos_answer_id_answers"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(["giver_id"], ["users.id"], name=op.f("fk_kudos_giver_id_users")),
        sa.ForeignKeyConstraint(
            ["question_id"], ["questions.id"], name=op.f("fk_kudos_question_id_questions"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(["receiver_id"], ["users.id"], name=op.f("fk_kudos_receiver_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_kudos")),
        sa.UniqueConstraint("giver_id", "answer_id", name="uq_kudos_giver_answer"),
        sa.UniqueConstraint("giver_id", "question_id", name="uq_kudos_giver_question"),
        sa.UniqueConstraint("token", name=op.f("uq_kudos_token")),
    )
    with op.batch_alter_table("kudos", schema=None) as batch_op:
        batch_op.create_index(
            "ix_kudos_giver_receiver_created", ["giver_id", "receiver_id", "created_at"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_kudos_receiver_id"), ["receiver_id"], unique=False)

    op.create_table(
        "point_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("delta", sa.Integer(), nullable=False),
        sa.Column("reason", sa.String(length=32), nullable=False),
        sa.Column("key", sa.String(length=80), nullable=False),
        sa.Column("question_id", sa.Integer(), nullable=True),
        sa.Column("answer_id", sa.Integer(), nullable=True),
        sa.Column("actor_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["actor_id"], ["users.id"], name=op.f("fk_point_events_actor_id_users")),
        sa.ForeignKeyConstraint(
            ["answer_id"], ["answers.id"], name=op.f("fk_point_events_answer_id_answers"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["question_id"], ["questions.id"], name=op.f("fk_point_events_question_id_questions"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_point_events_user_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_point_events")),
        sa.UniqueConstraint("user_id", "reason", "key", name="uq_point_events_user_reason_key"),
    )
    with op.batch_alter_table("point_events", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_point_events_answer_id"), ["answer_id"], unique=False)
        batch_op.create_index("ix_point_events_created_user", ["created_at", "user_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_point_events_question_id"), ["question_id"], unique=False)
        batch_op.create_index("ix_point_events_user_id_desc", ["user_id", "id"], unique=False)

    with op.batch_alter_table("answers", schema=None) as batch_op:
        batch_op.add_column(sa.Column("is_accepted", sa.Boolean(), server_default=sa.false(), nullable=False))
        batch_op.add_column(sa.Column("accepted_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("accepted_by_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("is_hidden", sa.Boolean(), server_default=sa.false(), nullable=False))
        batch_op.create_foreign_key(batch_op.f("fk_answers_accepted_by_id_users"), "users", ["accepted_by_id"], ["id"])

    with op.batch_alter_table("questions", schema=None) as batch_op:
        batch_op.add_column(sa.Column("asker_active_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("solution_seq", sa.Integer(), server_default="0", nullable=False))
        batch_op.add_column(sa.Column("is_hidden", sa.Boolean(), server_default=sa.false(), nullable=False))

    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.add_column(sa.Column("solution_count", sa.Integer(), server_default="0", nullable=False))


def downgrade() -> None:
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_column("solution_count")

    with op.batch_alter_table("questions", schema=None) as batch_op:
        batch_op.drop_column("is_hidden")
        batch_op.drop_column("solution_seq")
        batch_op.drop_column("asker_active_at")

    with op.batch_alter_table("answers", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_answers_accepted_by_id_users"), type_="foreignkey")
        batch_op.drop_column("is_hidden")
        batch_op.drop_column("accepted_by_id")
        batch_op.drop_column("accepted_at")
        batch_op.drop_column("is_accepted")

    with op.batch_alter_table("point_events", schema=None) as batch_op:
        batch_op.drop_index("ix_point_events_user_id_desc")
        batch_op.drop_index(batch_op.f("ix_point_events_question_id"))
        batch_op.drop_index("ix_point_events_created_user")
        batch_op.drop_index(batch_op.f("ix_point_events_answer_id"))

    op.drop_table("point_events")
    with op.batch_alter_table("kudos", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_kudos_receiver_id"))
        batch_op.drop_index("ix_kudos_giver_receiver_created")

    op.drop_table("kudos")
    op.drop_table("user_badges")

"""moderation

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-26 05:15:25.527008
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "listening_rules",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=80), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("pattern", sa.String(length=200), nullable=False),
        sa.Column("action", sa.String(length=16), nullable=False),
        sa.Column("flag_reason", sa.String(length=24), nullable=False),
        sa.Column("builtin_key", sa.String(length=16), nullable=True),
        sa.Column("enabled", sa.Boolean(), server_default=sa.true(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.CheckConstraint("action IN ('flag', 'suggest_private', 'mask')", name=op.f("ck_listening_rules_action")),
        sa.CheckConstraint("kind IN ('keyword', 'regex', 'builtin')", name=op.f("ck_listening_rules_kind")),
        sa.ForeignKeyConstraint(["created_by_id"], ["users.id"], name=op.f("fk_listening_rules_created_by_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_listening_rules")),
        sa.UniqueConstraint("builtin_key", name="uq_listening_rules_builtin_key"),
    )
    op.create_table(
        "moderation_actions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("actor_id", sa.Integer(), nullable=True),
        sa.Column("action", sa.String(length=40), nullable=False),
        sa.Column("target_type", sa.String(length=16), nullable=False),
        sa.Column("target_id", sa.Integer(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("before", sa.Text(), nullable=False),
        sa.Column("after", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["actor_id"], ["users.id"], name=op.f("fk_moderation_actions_actor_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_moderation_actions")),
    )
    with op.batch_alter_table("moderation_actions", schema=None) as batch_op:
        batch_op.create_index("ix_moderation_actions_action", ["action", "id"], unique=False)
        batch_op.create_index("ix_moderation_actions_actor", ["actor_id", "id"], unique=False)
        batch_op.create_index("ix_moderation_actions_target", ["target_type", "target_id"], unique=False)

    op.create_table(
        "flags",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("reporter_id", sa.Integer(), nullable=True),
        sa.Column("question_id", sa.Integer(), nullable=True),
        sa.Column("answer_id", sa.Integer(), nullable=True),
        sa.Column("reason", sa.String(length=24), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("resolved_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("resolved_by_id", sa.Integer(), nullable=True),
        sa.CheckConstraint("status IN ('pending', 'dismissed', 'actioned')", name=op.f("ck_flags_status")),
        sa.CheckConstraint("(question_id IS NULL) <> (answer_id IS NULL)", name=op.f("ck_flags_exactly_one_post")),
        sa.ForeignKeyConstraint(
            ["answer_id"], ["answers.id"], name=op.f("fk_flags_answer_id_answers"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["question_id"], ["questions.id"], name=op.f("fk_flags_question_id_questions"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(["reporter_id"], ["users.id"], name=op.f("fk_flags_reporter_id_users")),
        sa.ForeignKeyConstraint(["resolved_by_id"], ["users.id"], name=op.f("fk_flags_resolved_by_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_flags")),
        sa.UniqueConstraint("reporter_id", "answer_id", name="uq_flags_reporter_answer"),
        sa.UniqueConstraint("reporter_id", "question_id", name="uq_flags_reporter_question"),
    )
    with op.batch_alter_table("flags", schema=None) as batch_op:
        batch_op.create_index("ix_flags_answer_id", ["answer_id"], unique=False)
        batch_op.create_index("ix_flags_question_id", ["question_id"], unique=False)
        batch_op.create_index("ix_flags_status_created", ["status", "created_at"], unique=False)

    with op.batch_alter_table("answers", schema=None) as batch_op:
        batch_op.add_column(sa.Column("hidden_reason", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("hidden_at", sa.DateTime(timezone=True), nullable=True))

    with op.batch_alter_table("questions", schema=None) as batch_op:
        batch_op.add_column(sa.Column("hidden_reason", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("hidden_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("is_locked", sa.Boolean(), server_default=sa.false(), nullable=False))
        batch_op.add_column(sa.Column("is_pinned", sa.Boolean(), server_default=sa.false(), nullable=False))
        batch_op.add_column(sa.Column("duplicate_of_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_questions_duplicate_of_id_questions"), "questions", ["duplicate_of_id"], ["id"]
        )

    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.add_column(sa.Column("suspended_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("suspended_until", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("suspension_reason", sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_column("suspension_reason")
        batch_op.drop_column("suspended_until")
        batch_op.drop_column("suspended_at")

    with op.batch_alter_table("questions", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_questions_duplicate_of_id_questions"), type_="foreignkey")
        batch_op.drop_column("duplicate_of_id")
        batch_op.drop_column("is_pinned")
        batch_op.drop_column("is_locked")
        batch_op.drop_column("hidden_at")
        batch_op.drop_column("hidden_reason")

    with op.batch_alter_table("answers", schema=None) as batch_op:
        batch_op.drop_column("hidden_at")
        batch_op.drop_column("hidden_reason")

    with op.batch_alter_table("flags", schema=None) as batch_op:
        batch_op.drop_index("ix_flags_status_created")
        batch_op.drop_index("ix_flags_question_id")
        batch_op.drop_index("ix_flags_answer_id")

    op.drop_table("flags")
    with op.batch_alter_table("moderation_actions", schema=None) as batch_op:
        batch_op.drop_index("ix_moderation_actions_target")
        batch_op.drop_index("ix_moderation_actions_actor")
        batch_op.drop_index("ix_moderation_actions_action")

    op.drop_table("moderation_actions")
    op.drop_table("listening_rules")

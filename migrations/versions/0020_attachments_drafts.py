"""attachments, drafts and edit summaries

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-01 15:21:15.883627
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0020"
down_revision: str | None = "0019"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # New tables and a nullable column: nothing existing changes. Files of attachments live in storage, not here.
    op.create_table(
        "post_drafts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("slot", sa.String(length=40), nullable=False),
        sa.Column("question_id", sa.Integer(), nullable=True),
        sa.Column("board_slug", sa.String(length=60), nullable=False),
        sa.Column("title", sa.String(length=150), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("tags", sa.String(length=200), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["question_id"], ["questions.id"], name=op.f("fk_post_drafts_question_id_questions"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_post_drafts_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_post_drafts")),
        sa.UniqueConstraint("user_id", "slot", name="uq_post_drafts_user_slot"),
    )
    op.create_table(
        "attachments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("uploader_id", sa.Integer(), nullable=False),
        sa.Column("question_id", sa.Integer(), nullable=True),
        sa.Column("answer_id", sa.Integer(), nullable=True),
        sa.Column("case_message_id", sa.Integer(), nullable=True),
        sa.Column("kind", sa.String(length=8), nullable=False),
        sa.Column("content_type", sa.String(length=40), nullable=False),
        sa.Column("filename", sa.String(length=120), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("width", sa.Integer(), nullable=True),
        sa.Column("height", sa.Integer(), nullable=True),
        sa.Column("storage_key", sa.String(length=200), nullable=False),
        sa.Column("thumb_key", sa.String(length=200), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("removed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("removed_by_id", sa.Integer(), nullable=True),
        sa.CheckConstraint("kind IN ('image', 'text')", name=op.f("ck_attachments_kind")),
        sa.CheckConstraint(
            "(CASE WHEN question_id IS NULL THEN 0 ELSE 1 END) + (CASE WHEN answer_id IS NULL THEN 0 ELSE 1 END)"
            " + (CASE WHEN case_message_id IS NULL THEN 0 ELSE 1 END) <= 1",
            name=op.f("ck_attachments_at_most_one_holder"),
        ),
        sa.ForeignKeyConstraint(
            ["answer_id"], ["answers.id"], name=op.f("fk_attachments_answer_id_answers"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["case_message_id"],
            ["case_messages.id"],
            name=op.f("fk_attachments_case_message_id_case_messages"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["question_id"], ["questions.id"], name=op.f("fk_attachments_question_id_questions"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(["removed_by_id"], ["users.id"], name=op.f("fk_attachments_removed_by_id_users")),
        sa.ForeignKeyConstraint(
            ["uploader_id"], ["users.id"], name=op.f("fk_attachments_uploader_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_attachments")),
    )
    with op.batch_alter_table("attachments", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_attachments_answer_id"), ["answer_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_attachments_case_message_id"), ["case_message_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_attachments_question_id"), ["question_id"], unique=False)
        batch_op.create_index("ix_attachments_uploader_created", ["uploader_id", "created_at"], unique=False)

    with op.batch_alter_table("revisions", schema=None) as batch_op:
        batch_op.add_column(sa.Column("summary", sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column("restored_from", sa.Integer(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("revisions", schema=None) as batch_op:
        batch_op.drop_column("restored_from")
        batch_op.drop_column("summary")

    with op.batch_alter_table("attachments", schema=None) as batch_op:
        batch_op.drop_index("ix_attachments_uploader_created")
        batch_op.drop_index(batch_op.f("ix_attachments_question_id"))
        batch_op.drop_index(batch_op.f("ix_attachments_case_message_id"))
        batch_op.drop_index(batch_op.f("ix_attachments_answer_id"))

    op.drop_table("attachments")
    op.drop_table("post_drafts")

"""mail delivery (retries, threads, unsubscribe link), bouncing addresses, replies by e-mail and its opt-in

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-01 15:40:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0018"
down_revision: str | None = "0017"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("email_messages", schema=None) as batch_op:
        batch_op.add_column(sa.Column("unsubscribe_url", sa.String(length=300), nullable=True))
        batch_op.add_column(sa.Column("thread", sa.String(length=40), nullable=True))
        batch_op.add_column(sa.Column("reply_thread", sa.String(length=40), nullable=True))
        batch_op.add_column(sa.Column("message_id", sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column("attempts", sa.Integer(), server_default="0", nullable=False))
        batch_op.add_column(sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("last_error", sa.String(length=300), nullable=True))

    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.add_column(sa.Column("reply_by_email", sa.Boolean(), server_default=sa.false(), nullable=False))

    op.create_table(
        "mail_bounces",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("address", sa.String(length=254), nullable=False),
        sa.Column("bounces", sa.Integer(), nullable=False),
        sa.Column("last_error", sa.String(length=300), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_mail_bounces")),
        sa.UniqueConstraint("address", name=op.f("uq_mail_bounces_address")),
    )
    op.create_table(
        "mail_replies",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("email_message_id", sa.Integer(), nullable=True),
        sa.Column("sender", sa.String(length=254), nullable=False),
        sa.Column("outcome", sa.String(length=16), nullable=False),
        sa.Column("reason", sa.String(length=40), nullable=False),
        sa.Column("link", sa.String(length=300), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["email_message_id"], ["email_messages.id"], name=op.f("fk_mail_replies_email_message_id_email_messages")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_mail_replies")),
        sa.UniqueConstraint("email_message_id", name=op.f("uq_mail_replies_email_message_id")),
    )


def downgrade() -> None:
    op.drop_table("mail_replies")
    op.drop_table("mail_bounces")
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_column("reply_by_email")
    with op.batch_alter_table("email_messages", schema=None) as batch_op:
        for column in (
            "last_error",
            "next_attempt_at",
            "attempts",
            "message_id",
            "reply_thread",
            "thread",
            "unsubscribe_url",
        ):
            batch_op.drop_column(column)

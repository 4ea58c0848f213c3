"""archived boards, and an index for the admins' member list by role

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-01 15:30:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0016"
down_revision: str | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Empty for every existing board: none was archived before admins could do it from the browser.
    with op.batch_alter_table("boards", schema=None) as batch_op:
        batch_op.add_column(sa.Column("archived_at", sa.DateTime(timezone=True), nullable=True))
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.create_index("ix_users_role_username", ["role", "username_key"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_index("ix_users_role_username")
    with op.batch_alter_table("boards", schema=None) as batch_op:
        batch_op.drop_column("archived_at")

"""Flags on posts, the append-only audit log of staff actions, and admin-defined listening rules."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, CheckConstraint, ForeignKey, Index, Integer, String, Text, UniqueConstraint, true
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.accounts.models import User
from app.db import Base, UTCDateTime, utcnow

FLAG_REASONS = ("spam", "abusive", "off_topic", "private_data", "billing_account", "other")
FLAG_NOTE_MAX = 500


class Flag(Base):
    """A report on a post, from a member or from a listening rule (reporter_id is then empty)."""

    __tablename__ = "flags"
    __table_args__ = (
        CheckConstraint("(question_id IS NULL) <> (answer_id IS NULL)", name="exactly_one_post"),
        CheckConstraint("status IN ('pending', 'dismissed', 'actioned')", name="status"),
        UniqueConstraint("reporter_id", "question_id", name="uq_flags_reporter_question"),
        UniqueConstraint("reporter_id", "answer_id", name="uq_flags_reporter_answer"),
        Index("ix_flags_status_created", "status", "created_at"),
        Index("ix_flags_question_id", "question_id"),
        Index("ix_flags_answer_id", "answer_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    reporter_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    question_id: Mapped[int | None] = mapped_column(ForeignKey("questions.id", ondelete="CASCADE"), nullable=True)
    answer_id: Mapped[int | None] = mapped_column(ForeignKey("answers.id", ondelete="CASCADE"), nullable=True)
    reason: Mapped[str] = mapped_column(String(24))
    note: Mapped[str] = mapped_column(Text, default="")
    source: Mapped[str] = mapped_column(String(16), default="member")  # member | rule
    status: Mapped[str] = mapped_column(String(16), default="pending")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    resolved_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)

    reporter: Mapped[User | None] = relationship(foreign_keys=[reporter_id], lazy="raise")


class ModerationAction(Base):
    """One moderator, staff, admin or system action: never updated, never deleted."""

    __tablename__ = "moderation_actions"
    __table_args__ = (
        Index("ix_moderation_actions_target", "target_type", "target_id"),
        Index("ix_moderation_actions_actor", "actor_id", "id"),
        Index("ix_moderation_actions_action", "action", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)  # None: the system
    action: Mapped[str] = mapped_column(String(40))
    target_type: Mapped[str] = mapped_column(String(16))
    target_id: Mapped[int] = mapped_column(Integer)
    reason: Mapped[str] = mapped_column(Text, default="")
    before: Mapped[str] = mapped_column(Text, default="{}")  # JSON
    after: Mapped[str] = mapped_column(Text, default="{}")  # JSON
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    actor: Mapped[User | None] = relationship(foreign_keys=[actor_id], lazy="raise")


class ListeningRule(Base):
    """An admin's keyword or pattern, or the on/off switch of a built-in detector (builtin_key set)."""

    __tablename__ = "listening_rules"
    __table_args__ = (
        CheckConstraint("kind IN ('keyword', 'regex', 'builtin')", name="kind"),
        CheckConstraint("action IN ('flag', 'suggest_private', 'mask')", name="action"),
        UniqueConstraint("builtin_key", name="uq_listening_rules_builtin_key"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(80))
    kind: Mapped[str] = mapped_column(String(16))
    pattern: Mapped[str] = mapped_column(String(200), default="")
    action: Mapped[str] = mapped_column(String(16))
    flag_reason: Mapped[str] = mapped_column(String(24), default="other")
    builtin_key: Mapped[str | None] = mapped_column(String(16), nullable=True)
    enabled: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)

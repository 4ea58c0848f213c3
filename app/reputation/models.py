"""Kudos, the points ledger and awarded badges."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.accounts.models import User
from app.db import Base, UTCDateTime, utcnow


class Kudo(Base):
    """One member's kudo on one question or answer; withdrawing deletes it."""

    __tablename__ = "kudos"
    __table_args__ = (
        CheckConstraint("(question_id IS NULL) <> (answer_id IS NULL)", name="exactly_one_post"),
        UniqueConstraint("giver_id", "question_id", name="uq_kudos_giver_question"),
        UniqueConstraint("giver_id", "answer_id", name="uq_kudos_giver_answer"),
        Index("ix_kudos_giver_receiver_created", "giver_id", "receiver_id", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    giver_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    receiver_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    question_id: Mapped[int | None] = mapped_column(ForeignKey("questions.id", ondelete="CASCADE"), nullable=True)
    answer_id: Mapped[int | None] = mapped_column(ForeignKey("answers.id", ondelete="CASCADE"), nullable=True)
    # Names this kudo in the ledger; row ids can be reused after a delete, tokens never are.
    token: Mapped[str] = mapped_column(String(32), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class PointEvent(Base):
    """One immutable change of a member's points. A total is the sum of these; undo adds a reversing row."""

    __tablename__ = "point_events"
    __table_args__ = (
        # The same reason for the same subject never counts twice for a member.
        UniqueConstraint("user_id", "reason", "key", name="uq_point_events_user_reason_key"),
        Index("ix_point_events_created_user", "created_at", "user_id"),  # leaderboards by period
        # A member's history, newest first; with delta, `points verify` sums it from the index alone.
        Index("ix_point_events_user_id_desc", "user_id", "id", "delta"),
        Index("ix_point_events_key", "key"),  # undoing a kudo or a solution finds its rows
        Index("ix_point_events_user_reason_created", "user_id", "reason", "created_at"),  # daily caps
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    delta: Mapped[int] = mapped_column(Integer)
    reason: Mapped[str] = mapped_column(String(32))
    key: Mapped[str] = mapped_column(String(80))
    question_id: Mapped[int | None] = mapped_column(
        ForeignKey("questions.id", ondelete="SET NULL"), nullable=True, index=True
    )
    answer_id: Mapped[int | None] = mapped_column(
        ForeignKey("answers.id", ondelete="SET NULL"), nullable=True, index=True
    )
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    actor: Mapped[User | None] = relationship(foreign_keys=[actor_id], lazy="raise")


class UserBadge(Base):
    __tablename__ = "user_badges"
    __table_args__ = (UniqueConstraint("user_id", "badge", name="uq_user_badges_user_badge"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    badge: Mapped[str] = mapped_column(String(40))
    awarded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

"""Private support cases and their messages."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, CheckConstraint, ForeignKey, Index, Integer, String, Text, false
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.accounts.models import User
from app.db import Base, UTCDateTime, utcnow
from app.escalation import rules, workflow
from app.forum.models import Question


def one_of(column: str, values: tuple[str, ...]) -> CheckConstraint:
    """`column IN ('a', 'b')`, named after the column, from the tuple that defines the values."""
    quoted = ", ".join(f"'{value}'" for value in values)
    return CheckConstraint(f"{column} IN ({quoted})", name=column)


class Case(Base):
    __tablename__ = "cases"
    __table_args__ = (
        one_of("status", workflow.STATES),
        one_of("category", rules.CATEGORIES),
        one_of("priority", rules.PRIORITIES),
        Index("ix_cases_status_due", "status", "due_at"),
        Index("ix_cases_assignee_status", "assignee_id", "status"),
        Index("ix_cases_customer", "customer_id", "id"),
        Index("ix_cases_question", "question_id"),
        Index("ix_cases_opened", "opened_at"),  # insights: cases opened in a period
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    question_id: Mapped[int] = mapped_column(ForeignKey("questions.id"))
    answer_id: Mapped[int | None] = mapped_column(ForeignKey("answers.id"), nullable=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    opened_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    assignee_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    source: Mapped[str] = mapped_column(String(16))  # moderator | customer | rule
    category: Mapped[str] = mapped_column(String(16))
    priority: Mapped[str] = mapped_column(String(16), default="normal")
    status: Mapped[str] = mapped_column(String(24), default="new")
    public_note: Mapped[str] = mapped_column(Text, default="")
    public_resolution: Mapped[str | None] = mapped_column(Text, nullable=True)
    opened_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    first_staff_response_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    due_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # When staff were last told the case passed due_at: once per response clock (a new due_at may be told again).
    overdue_notified_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    question: Mapped[Question] = relationship(lazy="raise")
    customer: Mapped[User] = relationship(foreign_keys=[customer_id], lazy="raise")
    assignee: Mapped[User | None] = relationship(foreign_keys=[assignee_id], lazy="raise")


class CaseMessage(Base):
    """A private message on a case; internal notes are for staff and moderators only."""

    __tablename__ = "case_messages"
    __table_args__ = (Index("ix_case_messages_case", "case_id", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"))
    author_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    body_source: Mapped[str] = mapped_column(Text)
    body_html: Mapped[str] = mapped_column(Text)
    render_version: Mapped[int] = mapped_column(Integer)
    is_internal: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    author: Mapped[User] = relationship(lazy="raise")

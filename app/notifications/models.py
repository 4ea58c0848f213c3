"""In-app notifications, follows (questions and boards) and outgoing e-mail."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from app.db import Base, UTCDateTime, utcnow


class Notification(Base):
    __tablename__ = "notifications"
    __table_args__ = (
        Index("ix_notifications_user", "user_id", "id"),
        Index("ix_notifications_group", "user_id", "group_key"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    kind: Mapped[str] = mapped_column(String(32))
    text: Mapped[str] = mapped_column(Text)  # English, for e-mail and as a fallback; may name a private case
    params: Mapped[str] = mapped_column(Text, default="{}")  # JSON: shown in the reader's language from `kind`
    link: Mapped[str] = mapped_column(String(300), default="")
    # Unread notifications with the same key are folded into one ("3 people gave kudos to your answer").
    group_key: Mapped[str | None] = mapped_column(String(80), nullable=True)
    count: Mapped[int] = mapped_column(Integer, default=1, server_default="1")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    read_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    emailed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


# A subscription names exactly one of a question, a board and a tag (the migrations hold this text).
ONE_TARGET = (
    "(CASE WHEN question_id IS NULL THEN 0 ELSE 1 END + CASE WHEN board_id IS NULL THEN 0 ELSE 1 END"
    " + CASE WHEN tag_id IS NULL THEN 0 ELSE 1 END) = 1"
)


class Subscription(Base):
    """A member follows a question (new answers), or a board or a tag (new questions)."""

    __tablename__ = "subscriptions"
    __table_args__ = (
        CheckConstraint(ONE_TARGET, name="exactly_one_target"),
        UniqueConstraint("user_id", "question_id", name="uq_subscriptions_user_question"),
        UniqueConstraint("user_id", "board_id", name="uq_subscriptions_user_board"),
        UniqueConstraint("user_id", "tag_id", name="uq_subscriptions_user_tag"),
        Index("ix_subscriptions_question", "question_id"),
        Index("ix_subscriptions_board", "board_id"),
        Index("ix_subscriptions_tag", "tag_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    question_id: Mapped[int | None] = mapped_column(ForeignKey("questions.id", ondelete="CASCADE"), nullable=True)
    board_id: Mapped[int | None] = mapped_column(ForeignKey("boards.id", ondelete="CASCADE"), nullable=True)
    tag_id: Mapped[int | None] = mapped_column(ForeignKey("tags.id", ondelete="CASCADE"), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class EmailMessage(Base):
    """Every e-mail Agora sends. The default sender keeps them here (and in the log): nothing leaves the machine
    unless SMTP is configured."""

    __tablename__ = "email_messages"
    __table_args__ = (Index("ix_email_messages_status", "status", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    to_address: Mapped[str] = mapped_column(String(254))
    subject: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    kind: Mapped[str] = mapped_column(String(16))  # immediate | digest | account mail (any other word)
    # pending | retrying (a temporary failure; tried again at next_attempt_at) | sent | kept (no SMTP) |
    # failed (refused for good, or still undelivered after MAIL_RETRY_HOURS) | bounced (the address refused it) |
    # held (not sent: the address has bounced too often)
    status: Mapped[str] = mapped_column(String(16), default="pending")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    # The one-click unsubscribe link of notification mail (None for account mail: no List-Unsubscribe).
    unsubscribe_url: Mapped[str | None] = mapped_column(String(300), nullable=True)
    # "case:12" or "question:5": mail about one thing threads together (References) in the reader's client.
    thread: Mapped[str | None] = mapped_column(String(40), nullable=True)
    # Set when a reply by e-mail is welcome: the message then carries a Reply-To with a token signed for it.
    reply_thread: Mapped[str | None] = mapped_column(String(40), nullable=True)
    message_id: Mapped[str | None] = mapped_column(String(200), nullable=True)  # the same on every attempt
    attempts: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    next_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    last_error: Mapped[str | None] = mapped_column(String(300), nullable=True)


class MailBounce(Base):
    """An address that refused mail for good (an SMTP 5xx for it); after MAIL_BOUNCE_LIMIT refusals it gets no
    more mail until its member fixes it (a new address, or "try again" on the e-mail settings page)."""

    __tablename__ = "mail_bounces"

    id: Mapped[int] = mapped_column(primary_key=True)
    address: Mapped[str] = mapped_column(String(254), unique=True)
    bounces: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str] = mapped_column(String(300), default="")
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class MailReply(Base):
    """Every message that came in through `flask mail receive`, kept for the log: what became of it and why.
    An accepted reply names the e-mail it answered; a token is good for one reply (the unique key)."""

    __tablename__ = "mail_replies"

    id: Mapped[int] = mapped_column(primary_key=True)
    email_message_id: Mapped[int | None] = mapped_column(ForeignKey("email_messages.id"), nullable=True, unique=True)
    sender: Mapped[str] = mapped_column(String(254), default="")
    outcome: Mapped[str] = mapped_column(String(16))  # posted | refused
    reason: Mapped[str] = mapped_column(String(40), default="")
    link: Mapped[str] = mapped_column(String(300), default="")
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

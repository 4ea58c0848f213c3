"""The member account and its sign-in sessions."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, CheckConstraint, ForeignKey, Index, Integer, String, Text, false
from sqlalchemy.orm import Mapped, mapped_column

from app.auth.roles import ROLES, Role, role_check_sql  # noqa: F401 - ROLES kept importable from here
from app.db import Base, UTCDateTime, utcnow

USERNAME_MAX = 30
EMAIL_MAX = 254
DISPLAY_NAME_MAX = 60
BIO_MAX = 500
CLIENT_MAX = 120


class User(Base):
    __tablename__ = "users"
    __table_args__ = (CheckConstraint(role_check_sql("role"), name="role"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(USERNAME_MAX))
    # Lower-cased copies carry the uniqueness, so "Anna" and "anna" can never both register.
    username_key: Mapped[str] = mapped_column(String(USERNAME_MAX), unique=True)
    email: Mapped[str] = mapped_column(String(EMAIL_MAX), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    display_name: Mapped[str] = mapped_column(String(DISPLAY_NAME_MAX), default="")
    bio: Mapped[str] = mapped_column(Text, default="")
    locale: Mapped[str] = mapped_column(String(8), default="en")
    role: Mapped[str] = mapped_column(String(16), default=Role.MEMBER.value)
    # Fast copies of the ledger sum and of accepted solutions; `flask points verify` checks them.
    points: Mapped[int] = mapped_column(Integer, default=0)
    solution_count: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    # Cached count of unread notifications, so the bell costs no query on every page.
    unread_notifications: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    # E-mail about notifications: "immediately", "daily" (a digest) or "never".
    email_pref: Mapped[str] = mapped_column(String(16), default="immediately", server_default="immediately")
    last_digest_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    # Mail about answers to questions they follow carries a Reply-To; replying posts an answer (case mail always does).
    reply_by_email: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Suspended members can read but not post, give kudos or flag. No end date: until lifted.
    suspended_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    suspended_until: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    suspension_reason: Mapped[str | None] = mapped_column(Text, nullable=True)
    last_seen_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)

    # Flask-Login's protocol, spelled out rather than inherited from UserMixin.
    is_authenticated = True
    is_active = True
    is_anonymous = False
    # The sign-in session this object was loaded for, set by app.accounts.sessions; never stored here.
    session_token = None

    def get_id(self) -> str:
        """What Flask-Login keeps in the session and the remember-me cookie: the member and the sign-in
        session, so ending that session on the server makes both cookies worthless."""
        return f"{self.id}:{self.session_token}"

    def is_suspended(self, now: datetime | None = None) -> bool:
        if self.suspended_at is None:
            return False
        return self.suspended_until is None or self.suspended_until > (now or utcnow())

    @property
    def name(self) -> str:
        return self.display_name or self.username

    def __repr__(self) -> str:
        return f"<User {self.id} {self.username!r} {self.role}>"


class UserSession(Base):
    """One sign-in on one device: live until signed out, or until every session of the account ends."""

    __tablename__ = "user_sessions"
    __table_args__ = (Index("ix_user_sessions_user_created", "user_id", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    # Only a hash: someone who reads the table can't sign in with what they find there.
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # "Firefox on Linux": enough to recognise a device, not a fingerprint.
    client: Mapped[str] = mapped_column(String(CLIENT_MAX), default="")
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)

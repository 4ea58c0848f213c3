"""The member account and its sign-in sessions."""

from __future__ import annotations

from datetime import datetime

from flask import has_request_context
from flask_babel import gettext
from sqlalchemy import Boolean, CheckConstraint, ForeignKey, Index, Integer, String, Text, UniqueConstraint, false
from sqlalchemy.orm import Mapped, mapped_column

from app.auth.roles import ROLES, Role, role_check_sql  # noqa: F401 - ROLES kept importable from here
from app.db import Base, UTCDateTime, utcnow

USERNAME_MAX = 30
EMAIL_MAX = 254
DISPLAY_NAME_MAX = 60
BIO_MAX = 500
CLIENT_MAX = 120
# OpenID Connect: an issuer is a URL; a subject is at most 255 ASCII characters (OIDC Core 2).
ISSUER_MAX = 255
SUBJECT_MAX = 255


class User(Base):
    __tablename__ = "users"
    __table_args__ = (
        CheckConstraint(role_check_sql("role"), name="role"),
        # The admins' member list filtered by role, in username order (keyset on username_key).
        Index("ix_users_role_username", "role", "username_key"),
    )

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
    # When the member followed the link mailed to `email`; until then no notification is e-mailed to it and
    # the account keeps the new-account limits.
    email_verified_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    # The member deleted their account: the row stays (posts and the ledger point at it) with its personal data
    # erased, shown as "Former member" (app/privacy/deletion.py).
    deleted_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)

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

    @property
    def email_verified(self) -> bool:
        return self.email_verified_at is not None

    def is_suspended(self, now: datetime | None = None) -> bool:
        if self.suspended_at is None:
            return False
        return self.suspended_until is None or self.suspended_until > (now or utcnow())

    @property
    def is_deleted(self) -> bool:
        return self.deleted_at is not None

    @property
    def name(self) -> str:
        if self.deleted_at is not None:
            return former_member()
        return self.display_name or self.username

    def __repr__(self) -> str:
        return f"<User {self.id} {self.username!r} {self.role}>"


def former_member() -> str:
    """What a deleted account is called wherever its posts are shown, in the reader's language when there is one."""
    if has_request_context():
        return gettext("Former member")
    return "Former member"


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


class ExternalIdentity(Base):
    """A member's account at the company's OpenID Connect provider: (issuer, subject) names it for good, whatever
    its e-mail address or username become there. Linked only at a first sign-in that created the member or that
    the member confirmed with this account's password."""

    __tablename__ = "external_identities"
    __table_args__ = (
        UniqueConstraint("issuer", "subject", name="uq_external_identities_issuer_subject"),
        # One account per member at each provider: a second one would be a second way in nobody asked for.
        UniqueConstraint("user_id", "issuer", name="uq_external_identities_user_issuer"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    issuer: Mapped[str] = mapped_column(String(ISSUER_MAX))
    subject: Mapped[str] = mapped_column(String(SUBJECT_MAX))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_used_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class AccountToken(Base):
    """A single-use link mailed to a member: a password reset, or the confirmation of an e-mail address.

    Only a hash of the secret is kept, so someone who reads the table can't use what they find there."""

    __tablename__ = "account_tokens"
    __table_args__ = (
        CheckConstraint("purpose IN ('reset', 'verify')", name="purpose"),
        Index("ix_account_tokens_user_purpose", "user_id", "purpose"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    purpose: Mapped[str] = mapped_column(String(16))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    # The address the link was sent to: for "verify", the address that following it confirms.
    email: Mapped[str] = mapped_column(String(EMAIL_MAX))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # Set when the link is used, or voided (another link used, the password changed, a newer address).
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)

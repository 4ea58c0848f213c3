"""Sign-in sessions: started at sign-in, checked on every request, ended one at a time or all at once."""

from __future__ import annotations

import hashlib
import re
import secrets
from datetime import timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from app.accounts.models import CLIENT_MAX, User, UserSession
from app.db import utcnow

# How stale last_seen_at may get: refreshing it on every request would make every page a write.
SEEN_EVERY = timedelta(minutes=5)

_BROWSERS = (
    ("Edge", r"\bEdg(e|A|iOS)?/"),
    ("Opera", r"\bOPR/"),
    ("Firefox", r"\b(Firefox|FxiOS)/"),
    ("Chrome", r"\b(Chrome|CriOS)/"),
    ("Safari", r"\bSafari/"),
)
_SYSTEMS = (
    ("Android", r"Android"),
    ("iOS", r"iPhone|iPad|iPod"),
    ("Windows", r"Windows"),
    ("macOS", r"Mac OS X|Macintosh"),
    ("ChromeOS", r"CrOS"),
    ("Linux", r"Linux"),
)


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def client_summary(user_agent: str) -> str:
    """ "Firefox on Linux" from a User-Agent header: enough for a member to recognise a device."""
    browser = next((name for name, pattern in _BROWSERS if re.search(pattern, user_agent)), None)
    system = next((name for name, pattern in _SYSTEMS if re.search(pattern, user_agent)), None)
    if browser and system:
        return f"{browser} on {system}"
    return (browser or system or user_agent.strip() or "Unknown client")[:CLIENT_MAX]


def start(session: Session, user: User, user_agent: str = "") -> str:
    """A new sign-in session for `user`; returns its token (kept only in the member's cookies)."""
    token = secrets.token_urlsafe(32)
    session.add(UserSession(user_id=user.id, token_hash=_hash(token), client=client_summary(user_agent)))
    user.session_token = token
    return token


def load(session: Session, cookie_id: str, max_age: timedelta, touch: bool = False) -> User | None:
    """The member whose live sign-in session `cookie_id` ("<user id>:<token>") names, in one query.

    A session older than `max_age` (the remember-me cookie's life) has ended too: a copied cookie stays
    valid only as long as the browser would have kept it. `touch` refreshes last_seen_at (at most every
    few minutes) for the caller to commit."""
    user_id, _, token = cookie_id.partition(":")
    if not user_id.isdigit() or not token:
        return None  # a cookie from before sign-in sessions, or a forged one
    now = utcnow()
    row = session.execute(
        select(User, UserSession)
        .join(UserSession, UserSession.user_id == User.id)
        .where(
            User.id == int(user_id),
            UserSession.token_hash == _hash(token),
            UserSession.revoked_at.is_(None),
            UserSession.created_at > now - max_age,
        )
    ).first()
    if row is None:
        return None
    user, signed_in = row
    if touch and signed_in.last_seen_at < now - SEEN_EVERY:
        signed_in.last_seen_at = now
    user.session_token = token
    return user


def end(session: Session, user: User) -> None:
    """End the sign-in session `user` was loaded for (signing out on this device only)."""
    if user.session_token:
        session.execute(
            update(UserSession)
            .where(UserSession.token_hash == _hash(user.session_token), UserSession.revoked_at.is_(None))
            .values(revoked_at=utcnow())
        )
    user.session_token = None


def end_all(session: Session, user: User) -> int:
    """End every sign-in session of `user` (a new password, a suspension, a new role, or on request), and with
    them the account's API tokens."""
    from app.api import tokens

    tokens.revoke_all(session, user.id)
    result = session.execute(
        update(UserSession)
        .where(UserSession.user_id == user.id, UserSession.revoked_at.is_(None))
        .values(revoked_at=utcnow())
    )
    user.session_token = None
    return result.rowcount


def recent(session: Session, user: User, limit: int = 10) -> list[UserSession]:
    """The member's latest sign-ins, newest first, ended ones included: a stranger's shows up here."""
    return list(
        session.scalars(
            select(UserSession)
            .where(UserSession.user_id == user.id)
            .order_by(UserSession.created_at.desc(), UserSession.id.desc())
            .limit(limit)
        )
    )


def token_hash_of(user: User) -> str | None:
    """The stored hash of the sign-in session `user` was loaded for (to mark "this device" in a list)."""
    return _hash(user.session_token) if user.session_token else None

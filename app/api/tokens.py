"""Personal access tokens: created on the settings page or with a password, shown once, kept as a hash, scoped,
expiring, revocable, and ended with the account's sign-in sessions."""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from flask_babel import gettext as _
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from app.accounts.models import User
from app.api.models import TOKEN_NAME_MAX, ApiToken
from app.auth.permissions import role_at_least
from app.auth.roles import Role
from app.db import utcnow
from app.errors import Conflict, NotFound, ValidationFailed

# What each scope allows, and the least role that may hold it. Every token can read.
SCOPES: dict[str, str] = {
    "read": Role.MEMBER.value,
    "write": Role.MEMBER.value,
    "moderate": Role.MODERATOR.value,
    "staff": Role.STAFF.value,
}
PREFIX = "agora_"  # so secret scanners (and people) recognise a leaked token
DAYS_DEFAULT, DAYS_MAX = 90, 365
ACTIVE_MAX = 20


def _hash(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def scopes_for(user: User) -> list[str]:
    """The scopes this member's role allows."""
    return [scope for scope, role in SCOPES.items() if role_at_least(user, role)]


def create(
    session: Session, user: User, name: str, scopes: list[str], days: int = DAYS_DEFAULT
) -> tuple[ApiToken, str]:
    """A new token for `user`; returns it and its secret, which is never stored or shown again."""
    name = (name or "").strip()
    if not 1 <= len(name) <= TOKEN_NAME_MAX:
        raise ValidationFailed(_("Give the token a name of 1 to %(max)d characters.", max=TOKEN_NAME_MAX), "name")
    unknown = [scope for scope in scopes if scope not in SCOPES]
    if unknown:
        raise ValidationFailed(_("Unknown scope: %(scope)s.", scope=unknown[0][:20]), "scopes")
    beyond = [scope for scope in scopes if scope not in scopes_for(user)]
    if beyond:
        raise ValidationFailed(_("Your role does not allow the scope “%(scope)s”.", scope=beyond[0]), "scopes")
    if not 1 <= days <= DAYS_MAX:
        raise ValidationFailed(_("A token lasts 1 to %(max)d days.", max=DAYS_MAX), "expires_in_days")
    active = session.scalar(
        select(func.count())
        .select_from(ApiToken)
        .where(ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None), ApiToken.expires_at > utcnow())
    )
    if active >= ACTIVE_MAX:
        raise Conflict(_("You have %(max)d active tokens; revoke one first.", max=ACTIVE_MAX))
    raw = PREFIX + secrets.token_urlsafe(32)
    chosen = ["read", *[scope for scope in SCOPES if scope in scopes and scope != "read"]]
    token = ApiToken(
        user_id=user.id,
        name=name,
        token_hash=_hash(raw),
        scopes=" ".join(chosen),
        expires_at=utcnow() + timedelta(days=days),
    )
    session.add(token)
    session.flush()
    return token, raw


def authenticate(session: Session, raw: str) -> tuple[User, ApiToken] | None:
    """The member and token behind `raw`, if it is live and its member may still sign in."""
    if not raw.startswith(PREFIX) or len(raw) > 100:
        return None
    token = session.scalar(
        select(ApiToken).where(
            ApiToken.token_hash == _hash(raw), ApiToken.revoked_at.is_(None), ApiToken.expires_at > utcnow()
        )
    )
    if token is None:
        return None
    user = session.get(User, token.user_id)
    if user is None or user.is_suspended():
        return None
    return user, token


def live(session: Session, user: User) -> list[ApiToken]:
    return list(
        session.scalars(
            select(ApiToken)
            .where(ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None), ApiToken.expires_at > utcnow())
            .order_by(ApiToken.created_at.desc(), ApiToken.id.desc())
        )
    )


def revoke(session: Session, user: User, token_id: int) -> ApiToken:
    """Revoke one of `user`'s own tokens (someone else's is not admitted to exist)."""
    token = session.get(ApiToken, token_id)
    if token is None or token.user_id != user.id or token.revoked_at is not None:
        raise NotFound(_("No such token."))
    token.revoked_at = utcnow()
    return token


def revoke_all(session: Session, user_id: int) -> int:
    """With every sign-in session: a new password, a suspension or a new role ends the tokens too."""
    result = session.execute(
        update(ApiToken).where(ApiToken.user_id == user_id, ApiToken.revoked_at.is_(None)).values(revoked_at=utcnow())
    )
    return result.rowcount

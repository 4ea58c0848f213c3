"""Single-use links mailed to a member (a password reset, an address to confirm): signed, timed, and stored only
as a hash, so neither a forged link nor someone who reads the table gets anywhere."""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from itsdangerous import BadSignature, URLSafeTimedSerializer
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from app.accounts.models import AccountToken, User
from app.db import utcnow
from app.notifications import links

LIFETIME = {"reset": timedelta(hours=1), "verify": timedelta(days=7)}


def _serializer(purpose: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(links.signer().secret, salt=f"agora-account-{purpose}")


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def issue(session: Session, user: User, purpose: str, email: str | None = None) -> str:
    """A new link token for `user`; the caller mails it. For "verify", `email` is the address it confirms."""
    secret = secrets.token_urlsafe(32)
    now = utcnow()
    session.add(
        AccountToken(
            user_id=user.id,
            purpose=purpose,
            token_hash=_hash(secret),
            email=email or user.email,
            created_at=now,
            expires_at=now + LIFETIME[purpose],
        )
    )
    return _serializer(purpose).dumps(secret)


def find(session: Session, purpose: str, token: str) -> AccountToken | None:
    """The live token row `token` names: signed by this app for `purpose`, not expired, not used or voided."""
    try:
        secret = _serializer(purpose).loads(token, max_age=int(LIFETIME[purpose].total_seconds()))
    except BadSignature:  # also SignatureExpired
        return None
    if not isinstance(secret, str):
        return None
    return session.scalar(
        select(AccountToken).where(
            AccountToken.token_hash == _hash(secret),
            AccountToken.purpose == purpose,
            AccountToken.used_at.is_(None),
            AccountToken.expires_at > utcnow(),
        )
    )


def void_all(session: Session, user: User, purpose: str) -> int:
    """Use up every outstanding `purpose` link of `user`; returns how many there were."""
    result = session.execute(
        update(AccountToken)
        .where(AccountToken.user_id == user.id, AccountToken.purpose == purpose, AccountToken.used_at.is_(None))
        .values(used_at=utcnow())
    )
    return result.rowcount or 0

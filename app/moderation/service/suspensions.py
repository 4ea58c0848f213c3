"""Suspending members and lifting suspensions: a suspended member may read but not take part."""

from __future__ import annotations

from datetime import timedelta

from flask_babel import lazy_gettext as _
from sqlalchemy.orm import Session

from app.accounts import service as accounts
from app.accounts import sessions as sign_in_sessions
from app.accounts.models import User
from app.auth.permissions import require
from app.db import utcnow
from app.errors import Conflict, ValidationFailed
from app.moderation.service.auditing import audit, check_reason

SUSPENSION_DAYS = (1, 3, 7, 30, 365)


def suspend(session: Session, actor: User, username: str, days: int | None, reason: str) -> User:
    target = accounts.user_by_username(session, username or "")
    require(actor, "suspend", target, _("You can't suspend this member."))
    if days is not None and days not in SUSPENSION_DAYS:
        raise ValidationFailed(_("Choose how long the suspension lasts."), "days")
    reason = check_reason(reason)
    now = utcnow()
    before = {"suspended_until": target.suspended_until, "suspended": target.is_suspended(now)}
    target.suspended_at = now
    target.suspended_until = now + timedelta(days=days) if days else None
    target.suspension_reason = reason
    sign_in_sessions.end_all(session, target)  # whoever holds its sessions (maybe not the owner) is out
    audit(
        session,
        actor,
        "member_suspended",
        "user",
        target.id,
        reason,
        before=before,
        after={"suspended_until": target.suspended_until or "indefinitely"},
    )
    return target


def unsuspend(session: Session, actor: User, username: str, reason: str = "") -> User:
    target = accounts.user_by_username(session, username or "")
    require(actor, "suspend", target, _("You can't change this member's suspension."))
    if not target.is_suspended():
        raise Conflict(_("That member is not suspended."))
    before = {"suspended_until": target.suspended_until or "indefinitely"}
    target.suspended_at = target.suspended_until = target.suspension_reason = None
    audit(
        session,
        actor,
        "member_unsuspended",
        "user",
        target.id,
        check_reason(reason, required=False),
        before=before,
        after={"suspended": False},
    )
    return target

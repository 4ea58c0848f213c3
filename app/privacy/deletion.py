"""Deleting a member's account: personal data erased, posts kept under "Former member", the ledger kept whole.

The users row stays as a tombstone with nothing personal in it, because posts, kudos, the points ledger and the
audit log point at it: `flask points verify` still finds every total equal to its ledger. Case conversations stay
for the company's retention period (CASE_RETENTION_DAYS) and are then purged by `flask privacy purge`."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask_babel import lazy_gettext as _
from sqlalchemy import delete, exists, or_, select, update
from sqlalchemy.orm import Session

from app.accounts import passwords
from app.accounts.models import AccountToken, ExternalIdentity, User, UserSession
from app.api.models import ApiToken
from app.auth.roles import Role
from app.db import utcnow
from app.errors import Conflict, PermissionDenied, ValidationFailed
from app.escalation.models import Case, CaseMessage
from app.forum.models import Answer, Board, Question
from app.moderation.service.auditing import audit
from app.notifications.messages import render
from app.notifications.models import EmailMessage, MailBounce, MailReply, Notification, Subscription
from app.privacy.models import DataExport
from app.search.outbox import enqueue

QUESTION_POLICIES = ("keep", "remove_unanswered")
# Accounts with no password of their own (company sign-in) confirm with a sign-in at most this old.
FRESH_SIGN_IN = timedelta(minutes=10)
FORMER_MEMBER = "Former member"  # what other members' stored notifications call them from now on


def has_local_password(user: User) -> bool:
    """Whether the member signs in with a password of ours (not only through the company's sign-in)."""
    return (user.password_hash or "").startswith("$argon2")


@dataclass(frozen=True)
class Confirmation:
    """How the member proved it is them: their password, or (without one) a sign-in that just happened."""

    password: str = ""
    signed_in_at: datetime | None = None


def confirm_identity(user: User, confirmation: Confirmation, now: datetime | None = None) -> None:
    if user.deleted_at is not None:
        raise Conflict(_("This account has already been deleted."))
    if has_local_password(user):
        if not passwords.verify_password(user.password_hash, confirmation.password):
            raise ValidationFailed(_("That is not your password."), "password")
        return
    # The hook for company accounts: the sign-in flow records when it signed the member in.
    fresh = confirmation.signed_in_at is not None and (now or utcnow()) - confirmation.signed_in_at <= FRESH_SIGN_IN
    if not fresh:
        raise PermissionDenied(
            _("Sign in again with your company account, then delete your account within 10 minutes.")
        )


@dataclass(frozen=True)
class Deletion:
    """What deleting an account did, for the audit log and the tests."""

    user_id: int
    questions_kept: int
    questions_removed: list[int]
    answers_kept: int
    cases_retained: list[int]
    purge_after: datetime


def delete_account(
    session: Session,
    user: User,
    confirmation: Confirmation,
    question_policy: str = "keep",
    retention_days: int = 365,
) -> Deletion:
    """Delete `user`'s account after confirming it is them. Every step writes its audit row."""
    if question_policy not in QUESTION_POLICIES:
        raise ValueError(f"unknown DELETED_MEMBER_QUESTIONS {question_policy!r}")
    confirm_identity(user, confirmation)
    now = utcnow()
    names = {name for name in (user.username, user.display_name) if name}
    audit(session, user, "account_deletion_started", "user", user.id)

    removed = _remove_unanswered_questions(session, user) if question_policy == "remove_unanswered" else []
    kept = list(session.scalars(select(Question.id).where(Question.author_id == user.id)))
    for question_id in kept:
        enqueue(session, question_id)  # the index names the author: rebuild without them
    answers = len(list(session.scalars(select(Answer.id).where(Answer.author_id == user.id))))
    audit(
        session,
        user,
        "posts_reattributed",
        "user",
        user.id,
        after={"questions": len(kept), "answers": answers, "questions_removed": removed},
    )

    erased = {
        "sign_in_sessions": _delete(session, UserSession, UserSession.user_id == user.id),
        "follows": _delete(session, Subscription, Subscription.user_id == user.id),
        "notifications": _delete(session, Notification, Notification.user_id == user.id),
        "emails": _delete(session, EmailMessage, EmailMessage.user_id == user.id),
        "mail_bounces": _delete(session, MailBounce, MailBounce.address == user.email),
        "mail_replies": _delete(session, MailReply, MailReply.sender == user.email),
        "data_exports": _delete(session, DataExport, DataExport.user_id == user.id),
        # Every other way in: API tokens, links mailed to the old address, the company account's link.
        "api_tokens": _delete(session, ApiToken, ApiToken.user_id == user.id),
        "account_links": _delete(session, AccountToken, AccountToken.user_id == user.id),
        "company_accounts": _delete(session, ExternalIdentity, ExternalIdentity.user_id == user.id),
        "mentions_in_notifications": _forget_name_in_notifications(session, names),
    }
    _erase_profile(user, now)
    audit(session, None, "personal_data_erased", "user", user.id, after=erased)

    cases = list(session.scalars(select(Case.id).where(Case.customer_id == user.id).order_by(Case.id)))
    purge_after = now + timedelta(days=retention_days)
    if cases:
        audit(
            session,
            None,
            "case_conversations_retained",
            "user",
            user.id,
            after={"cases": cases, "purge_after": purge_after.isoformat()},
        )
    session.flush()
    return Deletion(user.id, len(kept), removed, answers, cases, purge_after)


def _delete(session: Session, model: type, condition) -> int:
    return session.execute(delete(model).where(condition)).rowcount or 0


def _erase_profile(user: User, now: datetime) -> None:
    """Nothing personal stays on the row: a name nobody can register (a dot is not allowed in usernames), an
    address under .invalid that can never receive mail, no password that any input matches."""
    user.username = user.username_key = f"deleted.{user.id}"
    user.email = f"deleted.{user.id}@invalid"
    user.password_hash = ""
    user.display_name, user.bio, user.locale = "", "", "en"
    user.role = Role.MEMBER.value
    user.email_pref, user.unread_notifications = "never", 0
    user.last_digest_at = user.last_seen_at = None
    user.suspended_at = user.suspended_until = None
    user.suspension_reason = None
    user.deleted_at = now


def _remove_unanswered_questions(session: Session, user: User) -> list[int]:
    """The setting's alternative: questions nobody answered go (those with a private case stay, with the case)."""
    has_answer = exists().where(Answer.question_id == Question.id)
    has_case = exists().where(Case.question_id == Question.id)
    doomed = list(
        session.execute(
            select(Question.id, Question.board_id, Question.is_hidden).where(
                Question.author_id == user.id, ~has_answer, ~has_case
            )
        )
    )
    ids = [row.id for row in doomed]
    if not ids:
        return []
    for row in doomed:
        if not row.is_hidden:
            session.execute(
                update(Board).where(Board.id == row.board_id).values(question_count=Board.question_count - 1)
            )
        enqueue(session, row.id)  # gone from the database, so it leaves the index
    session.execute(update(Question).where(Question.duplicate_of_id.in_(ids)).values(duplicate_of_id=None))
    session.execute(delete(Question).where(Question.id.in_(ids)))  # tags, revisions, kudos, flags, follows cascade
    return ids


def _forget_name_in_notifications(session: Session, names: set[str]) -> int:
    """Other members' notifications that name the member ("anna answered …") call them Former member now."""
    if not names:
        return 0
    patterns = [Notification.params.like(f"%{json.dumps(name, ensure_ascii=False)[:-1]}%") for name in names]
    changed = 0
    for note in session.scalars(select(Notification).where(or_(*patterns))):
        try:
            params = json.loads(note.params or "{}")
        except ValueError:
            continue
        touched = False
        for key, value in params.items():
            if isinstance(value, str) and value in names:
                params[key], touched = FORMER_MEMBER, True
        if touched:
            note.params, note.text = json.dumps(params, ensure_ascii=False), render(note.kind, params)
            changed += 1
    return changed


# --- retention ----------------------------------------------------------------------------------


def purge_case_conversations(session: Session, retention_days: int, now: datetime | None = None) -> list[int]:
    """Delete the conversations of deleted members' cases once the retention period has passed; the case itself
    (category, dates, public note) stays for the company's figures. Returns the purged cases' ids."""
    cutoff = (now or utcnow()) - timedelta(days=retention_days)
    cases = list(
        session.scalars(
            select(Case.id)
            .join(User, User.id == Case.customer_id)
            .where(User.deleted_at.is_not(None), User.deleted_at <= cutoff)
            .where(exists().where(CaseMessage.case_id == Case.id))
            .order_by(Case.id)
        )
    )
    for case_id in cases:
        count = _delete(session, CaseMessage, CaseMessage.case_id == case_id)
        audit(session, None, "case_conversation_purged", "case", case_id, after={"messages": count})
    return cases

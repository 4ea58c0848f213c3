"""Notifications: tell members what happened to them, in the app and by e-mail; follows; digests.

Nobody is notified of their own action. Text is built from a kind and parameters, so it can be shown in each
reader's language; an English copy is kept, and e-mail is written in its recipient's language.
"""

from __future__ import annotations

import json
import re
from contextlib import AbstractContextManager, nullcontext
from datetime import datetime, timedelta

from flask import current_app, has_app_context
from flask_babel import force_locale, gettext, ngettext
from flask_babel import lazy_gettext as _
from sqlalchemy import case, delete, select, update
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from app.accounts.models import User
from app.auth.visibility import access_post
from app.db import utcnow
from app.errors import NotFound, ValidationFailed
from app.forum.models import Board
from app.notifications import links
from app.notifications.messages import render
from app.notifications.models import EmailMessage, Notification, Subscription

EMAIL_PREFS = ("immediately", "daily", "never")
MENTION = re.compile(r"(?<![\w@/])@([A-Za-z0-9_-]{3,30})\b")


def unsubscribe_token(user_id: int) -> str:
    return links.signer().token(user_id)


def user_for_token(session: Session, token: str) -> User | None:
    """The member a signed unsubscribe link belongs to, or None when it was tampered with."""
    user_id = links.signer().user_id(token)
    return session.get(User, user_id) if user_id is not None else None


# --- notifying ----------------------------------------------------------------------------------


def notify(
    session: Session,
    user_id: int,
    kind: str,
    params: dict | None = None,
    link: str = "",
    actor_id: int | None = None,
    group_key: str | None = None,
) -> Notification | None:
    """Tell one member something. With `group_key`, an unread notification of the same key is folded into."""
    if user_id is None or user_id == actor_id:
        return None
    params = dict(params or {})
    now = utcnow()
    if group_key:
        existing = session.scalar(
            select(Notification).where(
                Notification.user_id == user_id, Notification.group_key == group_key, Notification.read_at.is_(None)
            )
        )
        if existing is not None:
            existing.count += 1
            params["count"] = existing.count
            existing.kind, existing.params = "kudos" if kind == "kudo" else kind, json.dumps(params, ensure_ascii=False)
            existing.text, existing.created_at = render(existing.kind, params), now
            return existing
    note = Notification(
        user_id=user_id,
        kind=kind,
        params=json.dumps(params, ensure_ascii=False),
        text=render(kind, params),
        link=link,
        group_key=group_key,
        count=1,
        created_at=now,
    )
    session.add(note)
    session.execute(update(User).where(User.id == user_id).values(unread_notifications=User.unread_notifications + 1))
    user = session.get(User, user_id)
    if user is not None and user.email_pref == "immediately":
        _queue_email(session, user, kind, params, link)
        note.emailed_at = now
    return note


def notify_many(
    session: Session, user_ids, kind: str, params: dict, link: str = "", actor_id: int | None = None
) -> int:
    """The same news for several members (a thread's or a board's followers). Their rows are loaded in one
    query first, so telling each costs no SELECT of its own."""
    # In id order: two posts notifying overlapping followers then lock their rows in the same order, so they
    # wait for each other instead of deadlocking (PostgreSQL took 1-2% of concurrent answers down that way).
    ids = sorted({user_id for user_id in user_ids if user_id is not None and user_id != actor_id})
    if ids:
        session.scalars(select(User).where(User.id.in_(ids))).all()  # into the identity map
    for user_id in ids:
        notify(session, user_id, kind, params, link, actor_id=actor_id)
    return len(ids)


def _in_language_of(user: User) -> AbstractContextManager:
    """Text built inside speaks the member's own language (e-mail is read by them, not by whoever acted)."""
    if not has_app_context():  # no catalogues without an app: English
        return nullcontext()
    languages = current_app.config["LANGUAGES"]
    return force_locale(user.locale if user.locale in languages else current_app.config["BABEL_DEFAULT_LOCALE"])


def _mail_text(kind: str, params: dict) -> str:
    """A notification's sentence in the current language (call inside `_in_language_of`)."""
    params = dict(params)
    if params.get("title") == "a question that is now private":
        params["title"] = gettext("a question that is now private")
    return render(kind, params, translate=gettext)


def _email_footer(user: User) -> str:
    signer = links.signer()
    settings, unsubscribe = (
        f"{signer.base_url}/settings/notifications",
        f"{signer.base_url}/unsubscribe/{signer.token(user.id)}",
    )
    return (
        "\n\n--\n"
        + gettext("You get this because of your e-mail settings on the Nimbus Community.")
        + "\n"
        + gettext("Change them: %(url)s", url=settings)
        + "\n"
        + gettext("Unsubscribe with one click: %(url)s", url=unsubscribe)
        + "\n"
    )


def _queue_email(session: Session, user: User, kind: str, params: dict, link: str) -> None:
    with _in_language_of(user):
        text = _mail_text(kind, params)
        body = (
            gettext("Hello %(name)s,", name=user.name)
            + f"\n\n{text}\n"
            + (f"\n{links.signer().base_url}{link}\n" if link else "")
            + _email_footer(user)
        )
        subject = gettext("Nimbus Community: %(text)s", text=text[:150])
    _queue_message(session, user, subject, body, "immediate", utcnow())
    session.info["mail_dirty"] = True


def mentions(session: Session, text: str, actor: User, title: str, link: str, can_see) -> int:
    """Notify members @mentioned in `text` who may see the thread; returns how many."""
    names = {name.lower() for name in MENTION.findall(text)}
    if not names:
        return 0
    notified = 0
    for user in session.scalars(select(User).where(User.username_key.in_(names))):
        if can_see(user) and notify(
            session, user.id, "mention", {"actor": actor.name, "title": title}, link, actor_id=actor.id
        ):
            notified += 1
    return notified


def forget_question(session: Session, question_id: int, keep_user_id: int) -> int:
    """A question went private: notifications that name it, for anyone but its asker, stop naming it."""
    prefix = f"/questions/{question_id}"
    notes = session.scalars(
        select(Notification).where(
            Notification.user_id != keep_user_id,
            (Notification.link == prefix)
            | Notification.link.like(f"{prefix}/%")
            | Notification.link.like(f"{prefix}#%"),
        )
    )
    changed = 0
    for note in notes:
        params = json.loads(note.params or "{}")
        params["title"] = "a question that is now private"
        note.params, note.text, note.link = json.dumps(params, ensure_ascii=False), render(note.kind, params), ""
        changed += 1
    return changed


# --- follows ------------------------------------------------------------------------------------


def _followed(question_id: int | None, board_id: int | None):
    """The condition picking subscriptions to this question, or else to this board."""
    if question_id is not None:
        return Subscription.question_id == question_id
    return Subscription.board_id == board_id


def follow(session: Session, user: User, *, question_id: int | None = None, board_id: int | None = None) -> bool:
    """Follow a question or a board; True if this is new."""
    if session.scalar(select(Subscription.id).where(Subscription.user_id == user.id, _followed(question_id, board_id))):
        return False
    # ON CONFLICT DO NOTHING: a concurrent follow of the same thing is not an error (and, unlike a savepoint,
    # works in every transaction mode on both databases).
    dialect_insert = postgresql_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    result = session.execute(
        dialect_insert(Subscription)
        .values(user_id=user.id, question_id=question_id, board_id=board_id, created_at=utcnow())
        .on_conflict_do_nothing()
    )
    return bool(result.rowcount)


def set_following(session: Session, user: User, kind: str, target_id: int, following: bool) -> bool:
    """Follow or unfollow a question the member may see ("question") or a board ("board"); True if it changed."""
    if kind == "question":
        access_post(session, user, "question", target_id)  # NotFound for what the member can't see
        target = {"question_id": target_id}
    else:
        if session.get(Board, target_id) is None:
            raise NotFound(_("There is no such board."))
        target = {"board_id": target_id}
    return (follow if following else unfollow)(session, user, **target)


def unfollow(session: Session, user: User, *, question_id: int | None = None, board_id: int | None = None) -> bool:
    result = session.execute(
        delete(Subscription).where(Subscription.user_id == user.id, _followed(question_id, board_id))
    )
    return bool(result.rowcount)


def follower_ids(session: Session, *, question_id: int | None = None, board_id: int | None = None) -> list[int]:
    return list(session.scalars(select(Subscription.user_id).where(_followed(question_id, board_id))))


def is_following(session: Session, user: User, *, question_id: int | None = None, board_id: int | None = None) -> bool:
    if not getattr(user, "is_authenticated", False):
        return False
    condition = _followed(question_id, board_id)
    return session.scalar(select(Subscription.id).where(Subscription.user_id == user.id, condition)) is not None


# --- reading ------------------------------------------------------------------------------------


def recent(session: Session, user: User, limit: int = 50) -> list[Notification]:
    return list(
        session.scalars(
            select(Notification).where(Notification.user_id == user.id).order_by(Notification.id.desc()).limit(limit)
        )
    )


def params_of(note: Notification) -> dict:
    try:
        return json.loads(note.params or "{}")
    except ValueError:
        return {}


def mark_all_read(session: Session, user: User) -> int:
    result = session.execute(
        update(Notification)
        .where(Notification.user_id == user.id, Notification.read_at.is_(None))
        .values(read_at=utcnow())
    )
    session.execute(update(User).where(User.id == user.id).values(unread_notifications=0))
    return result.rowcount or 0


def mark_read(session: Session, user: User, notification_id: int) -> Notification:
    """One of the member's own notifications, marked read; anyone else's is NotFound (ids are not secrets)."""
    note = session.get(Notification, notification_id)
    if note is None or note.user_id != user.id:
        raise NotFound(_("No such notification."))
    if note.read_at is None:
        note.read_at = utcnow()
        unread = User.unread_notifications
        fewer = case((unread > 0, unread - 1), else_=0)
        session.execute(update(User).where(User.id == user.id).values(unread_notifications=fewer))
    return note


def set_email_pref(session: Session, user: User, pref: str) -> User:
    if pref not in EMAIL_PREFS:
        raise ValidationFailed("Choose how often we e-mail you.", "email_pref")
    user.email_pref = pref
    return user


# --- digests ------------------------------------------------------------------------------------


def send_digests(session: Session, now: datetime | None = None) -> int:
    """One e-mail per member on the daily digest with unread notifications not yet e-mailed; returns how many."""
    now = now or utcnow()
    base_url = links.signer().base_url
    sent = 0
    members = session.scalars(select(User).where(User.email_pref == "daily"))
    for user in members:
        if user.last_digest_at and now - user.last_digest_at < timedelta(hours=20):
            continue  # at most one a day, even if the command runs twice
        notes = list(
            session.scalars(
                select(Notification)
                .where(
                    Notification.user_id == user.id, Notification.read_at.is_(None), Notification.emailed_at.is_(None)
                )
                .order_by(Notification.id)
            )
        )
        user.last_digest_at = now
        if not notes:
            continue
        with _in_language_of(user):
            lines = "\n".join(
                f"- {_mail_text(note.kind, params_of(note)) or note.text}"
                + (f"\n  {base_url}{note.link}" if note.link else "")
                for note in notes
            )
            body = (
                gettext("Hello %(name)s,", name=user.name)
                + "\n\n"
                + gettext("Here is what happened on the Nimbus Community:")
                + f"\n\n{lines}\n"
                + _email_footer(user)
            )
            subject = ngettext(
                "Nimbus Community: %(num)d update for you", "Nimbus Community: %(num)d updates for you", len(notes)
            )
        _queue_message(session, user, subject, body, "digest", now)
        for note in notes:
            note.emailed_at = now
        sent += 1
    session.info["mail_dirty"] = True
    return sent


def _queue_message(session: Session, user: User, subject: str, body: str, kind: str, now: datetime) -> None:
    """An e-mail waiting in the table for the sender (delivered after the commit)."""
    session.add(
        EmailMessage(
            user_id=user.id, to_address=user.email, subject=subject, body=body, kind=kind, status="pending",
            created_at=now,
        )
    )

"""Creating and reading in-app notifications; the member's unread count is kept on the user row."""

from __future__ import annotations

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from app.accounts.models import User
from app.db import utcnow
from app.notifications.models import Notification


def notify(session: Session, user_id: int, kind: str, text: str, link: str = "", actor_id: int | None = None) -> None:
    """Tell one member something. Nobody is notified of their own action."""
    if user_id == actor_id:
        return
    session.add(Notification(user_id=user_id, kind=kind, text=text, link=link, created_at=utcnow()))
    session.execute(update(User).where(User.id == user_id).values(unread_notifications=User.unread_notifications + 1))


def recent(session: Session, user: User, limit: int = 50) -> list[Notification]:
    return list(
        session.scalars(
            select(Notification).where(Notification.user_id == user.id).order_by(Notification.id.desc()).limit(limit)
        )
    )


def mark_all_read(session: Session, user: User) -> int:
    result = session.execute(
        update(Notification)
        .where(Notification.user_id == user.id, Notification.read_at.is_(None))
        .values(read_at=utcnow())
    )
    session.execute(update(User).where(User.id == user.id).values(unread_notifications=0))
    return result.rowcount or 0


def mark_read(session: Session, user: User, notification_id: int) -> Notification | None:
    """Mark one of the member's own notifications read (someone else's id finds nothing)."""
    note = session.scalar(
        select(Notification).where(Notification.id == notification_id, Notification.user_id == user.id)
    )
    if note is not None and note.read_at is None:
        note.read_at = utcnow()
        session.execute(
            update(User)
            .where(User.id == user.id, User.unread_notifications > 0)
            .values(unread_notifications=User.unread_notifications - 1)
        )
    return note

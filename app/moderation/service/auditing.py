"""The audit log: one ModerationAction row for every action by a moderator, staff member, admin or the system."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from flask_babel import lazy_gettext as _
from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload

from app.accounts.models import User
from app.db import utcnow
from app.errors import ValidationFailed
from app.forum.models import Answer, Board, Question
from app.moderation.models import ModerationAction

REASON_MAX = 500


def check_reason(reason: str, required: bool = True) -> str:
    """A moderator's reason as the audit log keeps it (and the member sees it, where it concerns them)."""
    reason = (reason or "").strip()
    if required and not reason:
        raise ValidationFailed(_("Give a reason: the member and the audit log will see it."), "reason")
    if len(reason) > REASON_MAX:
        raise ValidationFailed(_("Keep the reason under %(max)d characters.", max=REASON_MAX), "reason")
    return reason


def audit(
    session: Session,
    actor: User | None,
    action: str,
    target_type: str,
    target_id: int,
    reason: str = "",
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
) -> ModerationAction:
    entry = ModerationAction(
        actor_id=actor.id if actor else None,
        action=action,
        target_type=target_type,
        target_id=target_id,
        reason=reason,
        before=json.dumps(before or {}, default=str, ensure_ascii=False),
        after=json.dumps(after or {}, default=str, ensure_ascii=False),
        created_at=utcnow(),
    )
    session.add(entry)
    return entry


@dataclass(frozen=True)
class AuditPage:
    entries: list[ModerationAction]
    next_before: int | None
    # Who and what the entries name, for reading them as sentences: ("question"|"answer", id) -> the post's
    # author, ("user", id) -> the member, ("board", id) -> the board's name.
    names: dict[tuple[str, int], str] = field(default_factory=dict)


def entry_data(entry: ModerationAction) -> tuple[dict[str, Any], dict[str, Any]]:
    """An entry's `before` and `after`, as dicts (empty when unreadable)."""
    try:
        before, after = json.loads(entry.before or "{}"), json.loads(entry.after or "{}")
    except ValueError:
        return {}, {}
    return (before if isinstance(before, dict) else {}), (after if isinstance(after, dict) else {})


def _names(session: Session, entries: list[ModerationAction]) -> dict[tuple[str, int], str]:
    """The names the entries mention, in a query per kind rather than one per entry."""
    ids: dict[str, set[int]] = {"question": set(), "answer": set(), "user": set(), "board": set()}
    for entry in entries:
        if entry.target_type in ids:
            ids[entry.target_type].add(entry.target_id)
        before, after = entry_data(entry)
        for data in (before, after):
            if isinstance(data.get("assignee_id"), int):
                ids["user"].add(data["assignee_id"])
            if isinstance(data.get("board_id"), int):
                ids["board"].add(data["board_id"])
    names: dict[tuple[str, int], str] = {}
    for kind, model in (("question", Question), ("answer", Answer)):
        if ids[kind]:
            rows = session.execute(
                select(model.id, User).join(User, model.author_id == User.id).where(model.id.in_(ids[kind]))
            )
            names.update({(kind, post_id): author.name for post_id, author in rows})
    if ids["user"]:
        names.update(
            {("user", user.id): user.name for user in session.scalars(select(User).where(User.id.in_(ids["user"])))}
        )
    if ids["board"]:
        rows = session.execute(select(Board.id, Board.name).where(Board.id.in_(ids["board"])))
        names.update({("board", board_id): name for board_id, name in rows})
    return names


def audit_log(
    session: Session,
    action: str | None = None,
    actor: str | None = None,
    target_type: str | None = None,
    before: int | None = None,
    limit: int = 50,
    target_id: int | None = None,
) -> AuditPage:
    query = select(ModerationAction).options(joinedload(ModerationAction.actor))
    if action:
        query = query.where(ModerationAction.action == action)
    if target_type:
        query = query.where(ModerationAction.target_type == target_type)
        if target_id is not None:  # one member's or one board's history (ix_moderation_actions_target)
            query = query.where(ModerationAction.target_id == target_id)
    if actor:
        actor_id = session.scalar(select(User.id).where(User.username_key == actor.lower()))
        if actor_id is None:
            return AuditPage([], None)
        query = query.where(ModerationAction.actor_id == actor_id)
    if before:
        query = query.where(ModerationAction.id < before)
    entries = list(session.scalars(query.order_by(ModerationAction.id.desc()).limit(limit + 1)))
    shown = entries[:limit]
    return AuditPage(shown, entries[limit - 1].id if len(entries) > limit else None, _names(session, shown))


def audit_actions(session: Session) -> list[str]:
    return list(session.scalars(select(ModerationAction.action).distinct().order_by(ModerationAction.action)))

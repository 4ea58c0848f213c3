"""The points ledger: recording and reversing PointEvent rows, and checking the cached totals against them.

Every change of points is a PointEvent row; a member's `points` column is only a fast copy of the sum.
Undoing anything writes reversing rows, never deletes.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, time
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from app.accounts.models import User
from app.db import utcnow
from app.forum.models import Answer, Question
from app.notifications import service as notifications
from app.reputation import badges, rules
from app.reputation.models import PointEvent

Post = Question | Answer


def start_of_day(now: datetime) -> datetime:
    """Midnight UTC of `now`'s day: the daily caps reset then."""
    return datetime.combine(now.astimezone(UTC).date(), time.min, tzinfo=UTC)


def post_ref(post: Post) -> dict[str, int | None]:
    """The ledger columns naming `post`."""
    if isinstance(post, Answer):
        return {"answer_id": post.id, "question_id": None}
    return {"question_id": post.id, "answer_id": None}


def post_key(post: Post) -> str:
    return f"{'answer' if isinstance(post, Answer) else 'question'}:{post.id}"


def record(
    session: Session,
    user_id: int,
    delta: int,
    reason: str,
    key: str,
    *,
    question_id: int | None = None,
    answer_id: int | None = None,
    actor_id: int | None = None,
) -> PointEvent | None:
    """Add one ledger row and move the cached total with it. Idempotent on (user, reason, key)."""
    exists = session.scalar(
        select(PointEvent.id).where(PointEvent.user_id == user_id, PointEvent.reason == reason, PointEvent.key == key)
    )
    if exists is not None or delta == 0:
        return None
    before = session.execute(select(User.points, User.solution_count).where(User.id == user_id)).one_or_none()
    event = PointEvent(
        user_id=user_id,
        delta=delta,
        reason=reason,
        key=key,
        question_id=question_id,
        answer_id=answer_id,
        actor_id=actor_id,
        created_at=utcnow(),
    )
    session.add(event)
    session.execute(update(User).where(User.id == user_id).values(points=User.points + delta))
    if before is not None:
        old, new = rules.rank_for(*before), rules.rank_for(before[0] + delta, before[1])
        if rules.RANKS.index(new) > rules.RANKS.index(old):
            notifications.notify(session, user_id, "rank", {"rank": new.name}, "/superfans")
    badges.check_rank_badges(session, user_id)
    return event


def net_by_user(session: Session, *conditions: Any) -> dict[int, int]:
    """What the events matching `conditions` add up to, per member."""
    rows = session.execute(
        select(PointEvent.user_id, func.sum(PointEvent.delta)).where(*conditions).group_by(PointEvent.user_id)
    )
    return {user_id: int(total or 0) for user_id, total in rows}


def reverse_key(session: Session, key: str, reason: str, actor_id: int | None = None, **post: int | None) -> None:
    """Cancel whatever the events under `key` still add up to, per member, with `reason` rows."""
    for user_id, net in net_by_user(session, PointEvent.key == key).items():
        if net:
            record(session, user_id, -net, reason, key, actor_id=actor_id, **post)


def points_today(session: Session, user_id: int, reason: str) -> tuple[int, int]:
    """(number of events, sum of points) of `reason` granted to the member since midnight UTC."""
    count, total = session.execute(
        select(func.count(), func.coalesce(func.sum(PointEvent.delta), 0)).where(
            PointEvent.user_id == user_id,
            PointEvent.reason == reason,
            PointEvent.created_at >= start_of_day(utcnow()),
        )
    ).one()
    return int(count), int(total)


# --- verification -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Drift:
    user_id: int
    username: str
    field: str
    cached: int
    actual: int


def _ledger_sums():
    return select(PointEvent.user_id, func.sum(PointEvent.delta).label("total")).group_by(PointEvent.user_id).subquery()


def _solution_sums():
    return (
        select(Answer.author_id.label("user_id"), func.count().label("total"))
        .join(Question, Question.id == Answer.question_id)
        .where(Answer.is_accepted.is_(True), Answer.author_id != Question.author_id)
        .group_by(Answer.author_id)
        .subquery()
    )


def verify(session: Session) -> list[Drift]:
    """Every member whose cached points or solution count differ from what the data says."""
    drifts = []
    for name, sums, column in (
        ("points", _ledger_sums(), User.points),
        ("solutions", _solution_sums(), User.solution_count),
    ):
        actual = func.coalesce(sums.c.total, 0)
        rows = session.execute(
            select(User.id, User.username, column, actual)
            .outerjoin(sums, sums.c.user_id == User.id)
            .where(column != actual)
        )
        drifts += [Drift(uid, username, name, int(cached), int(real)) for uid, username, cached, real in rows]
    return drifts


def recompute(session: Session) -> int:
    """Set every cached total from the data; returns how many members were repaired."""
    drifts = verify(session)
    columns = {"points": User.points, "solutions": User.solution_count}
    for drift in drifts:
        session.execute(update(User).where(User.id == drift.user_id).values({columns[drift.field]: drift.actual}))
    return len({d.user_id for d in drifts})

"""Reading reputation: a member's standing and badges, their points history, leaderboards and superfans."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from flask_babel import lazy_gettext as _
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.accounts.models import User
from app.auth.roles import Role, at_least
from app.db import utcnow
from app.errors import NotFound
from app.reputation import rules
from app.reputation.models import Kudo, PointEvent, UserBadge

STAFF_ROLES = at_least(Role.STAFF)  # company staff are not in the running on leaderboards
PERIODS = {"week": timedelta(days=7), "month": timedelta(days=30), "all": None}


@dataclass(frozen=True)
class Standing:
    points: int
    solutions: int
    rank: rules.Rank
    next_rank: rules.Rank | None

    @property
    def progress_percent(self) -> int:
        """How far to the next rank, by whichever threshold is further away."""
        if self.next_rank is None:
            return 100
        parts = [min(1.0, self.points / self.next_rank.points)]
        if self.next_rank.solutions:
            parts.append(min(1.0, self.solutions / self.next_rank.solutions))
        return int(min(parts) * 100)


def standing(user: User) -> Standing:
    """A member's rank from the cached totals: no ledger scan."""
    rank = rules.rank_for(user.points, user.solution_count)
    return Standing(user.points, user.solution_count, rank, rules.next_rank(rank))


def badges_of(session: Session, user: User) -> list[tuple[rules.Badge, datetime]]:
    rows = session.execute(
        select(UserBadge.badge, UserBadge.awarded_at).where(UserBadge.user_id == user.id).order_by(UserBadge.awarded_at)
    )
    return [(rules.BADGE_BY_KEY[key], at) for key, at in rows if key in rules.BADGE_BY_KEY]


def kudos_received(session: Session, user: User) -> int:
    return session.scalar(select(func.count()).select_from(Kudo).where(Kudo.receiver_id == user.id)) or 0


@dataclass(frozen=True)
class LedgerPage:
    events: list[PointEvent]
    next_before: int | None


def ledger(session: Session, user: User, before: int | None = None, limit: int = 25) -> LedgerPage:
    """A member's points history, newest first, keyset-paginated on the event id."""
    query = select(PointEvent).where(PointEvent.user_id == user.id)
    if before is not None:
        query = query.where(PointEvent.id < before)
    events = list(session.scalars(query.order_by(PointEvent.id.desc()).limit(limit + 1)))
    next_before = events[limit - 1].id if len(events) > limit else None
    return LedgerPage(events[:limit], next_before)


def recent_points(session: Session, user: User, limit: int = 5) -> list[PointEvent]:
    """A member's latest point events by when they happened (ids follow insertion, which imports and the
    demo do not keep in time order)."""
    query = select(PointEvent).where(PointEvent.user_id == user.id)
    return list(session.scalars(query.order_by(PointEvent.created_at.desc(), PointEvent.id.desc()).limit(limit)))


def top_helpers(session: Session, period: str = "week", limit: int = 20) -> list[tuple[User, int]]:
    """Members ranked by points earned in the period (staff and admins are not in the running)."""
    if period not in PERIODS:
        raise NotFound(_("Unknown period."))
    span = PERIODS[period]
    if span is None:
        rows = session.execute(
            select(User, User.points)
            .where(User.role.not_in(STAFF_ROLES), User.points > 0)
            .order_by(User.points.desc(), User.id)
            .limit(limit)
        )
        return [(user, points) for user, points in rows]
    now = utcnow()
    return earned_between(session, now - span, now, limit)


def earned_between(session: Session, since: datetime, until: datetime, limit: int = 20) -> list[tuple[User, int]]:
    """Members by the points they earned in [since, until), staff and admins left out (leaderboards, insights).
    Bounded on both sides, so SQLite walks the (created_at, user_id) index instead of every event."""
    earned = (
        select(PointEvent.user_id, func.sum(PointEvent.delta).label("earned"))
        .where(PointEvent.created_at >= since, PointEvent.created_at < until)
        .group_by(PointEvent.user_id)
        .subquery()
    )
    rows = session.execute(
        select(User, earned.c.earned)
        .join(earned, earned.c.user_id == User.id)
        .where(User.role.not_in(STAFF_ROLES), earned.c.earned > 0)
        .order_by(earned.c.earned.desc(), User.id)
        .limit(limit)
    )
    return [(user, int(points)) for user, points in rows]


def superfans(session: Session, limit: int = 100) -> list[User]:
    lowest = min((rank for rank in rules.RANKS if rank.superfan), key=lambda rank: rank.points)
    return list(
        session.scalars(
            select(User)
            .where(User.role.not_in(STAFF_ROLES), User.points >= lowest.points, User.solution_count >= lowest.solutions)
            .order_by(User.points.desc(), User.id)
            .limit(limit)
        )
    )

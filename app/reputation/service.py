"""Reputation operations: kudos, accepted solutions, the points ledger, ranks and badges.

Every change of points is a PointEvent row; a member's `points` column is only a fast copy of the sum.
Undoing anything writes reversing rows, never deletes. Other domains call these functions explicitly.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta

from flask_babel import lazy_gettext as _
from sqlalchemy import and_, delete, func, or_, select, update
from sqlalchemy.orm import Session

from app.accounts.models import User
from app.auth.permissions import require
from app.db import utcnow
from app.errors import Conflict, NotFound
from app.forum import activity
from app.forum.models import Answer, Question
from app.notifications import service as notifications
from app.reputation import rules
from app.reputation.models import Kudo, PointEvent, UserBadge
from app.search import outbox as search_outbox

STAFF_ROLES = ("staff", "admin")

Post = Question | Answer


def _start_of_day(now: datetime) -> datetime:
    return datetime.combine(now.astimezone(UTC).date(), time.min, tzinfo=UTC)


def _post_ref(post: Post) -> dict[str, int | None]:
    if isinstance(post, Answer):
        return {"answer_id": post.id, "question_id": None}
    return {"question_id": post.id, "answer_id": None}


def _post_key(post: Post) -> str:
    return f"{'answer' if isinstance(post, Answer) else 'question'}:{post.id}"


# --- the ledger ---------------------------------------------------------------------------------


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
    _check_rank_badges(session, user_id)
    return event


def _net_by_user(session: Session, *conditions) -> dict[int, int]:
    rows = session.execute(
        select(PointEvent.user_id, func.sum(PointEvent.delta)).where(*conditions).group_by(PointEvent.user_id)
    )
    return {user_id: int(total or 0) for user_id, total in rows}


def reverse_key(session: Session, key: str, reason: str, actor_id: int | None = None, **post: int | None) -> None:
    """Cancel whatever the events under `key` still add up to, per member, with `reason` rows."""
    for user_id, net in _net_by_user(session, PointEvent.key == key).items():
        if net:
            record(session, user_id, -net, reason, key, actor_id=actor_id, **post)


def _points_today(session: Session, user_id: int, reason: str) -> tuple[int, int]:
    """(number of events, sum of points) of `reason` granted to the member since midnight UTC."""
    count, total = session.execute(
        select(func.count(), func.coalesce(func.sum(PointEvent.delta), 0)).where(
            PointEvent.user_id == user_id,
            PointEvent.reason == reason,
            PointEvent.created_at >= _start_of_day(utcnow()),
        )
    ).one()
    return int(count), int(total)


# --- answers ------------------------------------------------------------------------------------


def answer_posted(session: Session, answer: Answer, question: Question) -> None:
    """Points for a new answer (capped per day, none on one's own question) and the badges it may earn."""
    author_id = answer.author_id
    if author_id != question.author_id:
        granted_today, _points = _points_today(session, author_id, "answer_posted")
        if granted_today < rules.POINTS.answer_posted_per_day:
            record(
                session,
                author_id,
                rules.POINTS.answer_posted,
                "answer_posted",
                _post_key(answer),
                answer_id=answer.id,
                actor_id=author_id,
            )
    _award(session, author_id, "first-answer")
    _check_welcomer(session, answer, question)
    _check_streak(session, author_id)


# --- kudos --------------------------------------------------------------------------------------


def _visible_post(session: Session, kind: str, post_id: int) -> Post:
    model = Answer if kind == "answer" else Question
    post = session.get(model, post_id)
    if post is None or post.is_hidden:
        raise NotFound(_("That post doesn't exist or was removed."))
    question = session.get(Question, post.question_id) if isinstance(post, Answer) else post
    if question is None or question.is_hidden or question.is_private:
        raise NotFound(_("That post doesn't exist or was removed."))
    return post


def _kudo_of(session: Session, giver_id: int, post: Post) -> Kudo | None:
    column = Kudo.answer_id if isinstance(post, Answer) else Kudo.question_id
    return session.scalar(select(Kudo).where(Kudo.giver_id == giver_id, column == post.id))


def give_kudo(session: Session, giver: User, kind: str, post_id: int) -> Post:
    post = _visible_post(session, kind, post_id)
    require(giver, "kudo", post, _("You can't give kudos to your own post."))
    if _kudo_of(session, giver.id, post) is not None:
        raise Conflict(_("You already gave kudos to this post."))
    now = utcnow()
    kudo = Kudo(
        giver_id=giver.id, receiver_id=post.author_id, token=secrets.token_hex(16), created_at=now, **_post_ref(post)
    )
    session.add(kudo)
    post.kudos_count = type(post).kudos_count + 1
    session.flush()
    session.refresh(post, ["kudos_count"])

    points = rules.POINTS.kudo_on_answer if isinstance(post, Answer) else rules.POINTS.kudo_on_question
    same_pair_today = (
        session.scalar(
            select(func.count())
            .select_from(Kudo)
            .where(Kudo.giver_id == giver.id, Kudo.receiver_id == post.author_id, Kudo.created_at >= _start_of_day(now))
        )
        or 0
    )
    if same_pair_today > rules.POINTS.same_pair_kudos_per_day:
        points = 0  # serial voting: the kudo shows, the points don't
    _count, received_today = _points_today(session, post.author_id, "kudo_received")
    points = max(0, min(points, rules.POINTS.kudo_points_per_day - received_today))
    record(session, post.author_id, points, "kudo_received", f"kudo:{kudo.token}", actor_id=giver.id, **_post_ref(post))

    question = session.get(Question, post.question_id) if isinstance(post, Answer) else post
    anchor = f"#answer-{post.id}" if isinstance(post, Answer) else ""
    notifications.notify(
        session,
        post.author_id,
        "kudo",
        {"actor": giver.name, "title": question.title},
        f"/questions/{question.id}/{question.slug}{anchor}",
        actor_id=giver.id,
        group_key=f"kudos:{kind}:{post.id}",
    )
    if isinstance(post, Answer):
        if post.kudos_count >= rules.POPULAR_ANSWER_KUDOS:
            _award(session, post.author_id, "popular-answer")
        _check_fast_responder(session, post.author_id)
    return post


def withdraw_kudo(session: Session, giver: User, kind: str, post_id: int) -> Post:
    post = _visible_post(session, kind, post_id)
    kudo = _kudo_of(session, giver.id, post)
    if kudo is None:
        raise Conflict(_("You haven't given kudos to this post."))
    reverse_key(session, f"kudo:{kudo.token}", "kudo_withdrawn", actor_id=giver.id, **_post_ref(post))
    session.execute(delete(Kudo).where(Kudo.id == kudo.id))
    post.kudos_count = type(post).kudos_count - 1
    session.flush()
    session.refresh(post, ["kudos_count"])
    return post


def kudoed_post_ids(session: Session, user: User | None, question: Question, answers: list[Answer]) -> set[str]:
    """Which posts of this page the member already gave kudos to, as {'question:1', 'answer:7'}."""
    if user is None or not user.is_authenticated:
        return set()
    answer_ids = [a.id for a in answers]
    rows = session.execute(
        select(Kudo.question_id, Kudo.answer_id).where(
            Kudo.giver_id == user.id,
            or_(Kudo.question_id == question.id, Kudo.answer_id.in_(answer_ids) if answer_ids else False),
        )
    )
    return {f"question:{q}" if q else f"answer:{a}" for q, a in rows}


# --- accepted solutions -------------------------------------------------------------------------


def _solution_counts(answer: Answer, question: Question) -> bool:
    """An answer to one's own question can be the solution, but earns no points or rank."""
    return answer.author_id != question.author_id


def accept_answer(session: Session, actor: User, question_id: int, answer_id: int) -> Answer:
    question = session.get(Question, question_id)
    if question is None or question.is_hidden:
        raise NotFound(_("That question doesn't exist or was removed."))
    require(actor, "accept", question, _("Only the asker, a moderator or an experienced member can mark the solution."))
    answer = session.get(Answer, answer_id)
    if answer is None or answer.is_hidden:
        raise NotFound(_("That answer doesn't exist or was removed."))
    if answer.question_id != question.id:
        raise Conflict(_("That answer belongs to another question."))
    if answer.is_accepted:
        raise Conflict(_("That answer is already the solution."))
    current = session.scalar(select(Answer).where(Answer.question_id == question.id, Answer.is_accepted.is_(True)))
    if current is not None:
        _undo_acceptance(session, actor, question, current)

    now = utcnow()
    question.solution_seq = (question.solution_seq or 0) + 1
    question.is_solved = True
    activity.touch(session, question, now)
    if actor.id == question.author_id:
        question.asker_active_at = now
    answer.is_accepted, answer.accepted_at, answer.accepted_by_id = True, now, actor.id
    search_outbox.enqueue(session, question.id)
    key = f"accept:{question.id}:{question.solution_seq}"
    if _solution_counts(answer, question):
        session.execute(update(User).where(User.id == answer.author_id).values(solution_count=User.solution_count + 1))
        record(
            session,
            answer.author_id,
            rules.POINTS.answer_accepted,
            "answer_accepted",
            key,
            answer_id=answer.id,
            actor_id=actor.id,
        )
        if actor.id == question.author_id:
            record(
                session,
                actor.id,
                rules.POINTS.solution_marked,
                "solution_marked",
                key,
                answer_id=answer.id,
                actor_id=actor.id,
            )
        notifications.notify(
            session,
            answer.author_id,
            "accepted",
            {"title": question.title},
            f"/questions/{question.id}/{question.slug}#answer-{answer.id}",
            actor_id=actor.id,
        )
        _check_solution_badges(session, answer.author_id)
        _check_fast_responder(session, answer.author_id)
    return answer


def clear_solution(session: Session, actor: User, question_id: int) -> Question:
    question = session.get(Question, question_id)
    if question is None or question.is_hidden:
        raise NotFound(_("That question doesn't exist or was removed."))
    require(
        actor, "accept", question, _("Only the asker, a moderator or an experienced member can change the solution.")
    )
    current = session.scalar(select(Answer).where(Answer.question_id == question.id, Answer.is_accepted.is_(True)))
    if current is None:
        raise Conflict(_("This question has no solution marked."))
    _undo_acceptance(session, actor, question, current)
    question.is_solved = False
    return question


def _undo_acceptance(session: Session, actor: User | None, question: Question, answer: Answer) -> None:
    answer.is_accepted, answer.accepted_at, answer.accepted_by_id = False, None, None
    search_outbox.enqueue(session, question.id)
    if _solution_counts(answer, question):
        session.execute(update(User).where(User.id == answer.author_id).values(solution_count=User.solution_count - 1))
    reverse_key(
        session,
        f"accept:{question.id}:{question.solution_seq}",
        "acceptance_undone",
        actor_id=actor.id if actor else None,
        answer_id=answer.id,
    )


# --- hiding and restoring (called by moderation) -----------------------------------------------


def _post_condition(post: Post):
    if isinstance(post, Answer):
        return PointEvent.answer_id == post.id
    return and_(PointEvent.question_id == post.id, PointEvent.answer_id.is_(None))


def post_hidden(session: Session, post: Post, actor: User | None) -> None:
    """A hidden post stops counting: its solution mark goes, and what it earned anyone is cancelled."""
    if isinstance(post, Answer) and post.is_accepted:
        question = session.get(Question, post.question_id)
        _undo_acceptance(session, actor, question, post)
        question.is_solved = False
    hides = session.scalar(select(func.count()).where(_post_condition(post), PointEvent.reason == "post_hidden")) or 0
    key = f"{_post_key(post)}:hide:{hides + 1}"
    for user_id, net in _net_by_user(session, _post_condition(post)).items():
        if net:
            record(session, user_id, -net, "post_hidden", key, actor_id=actor.id if actor else None, **_post_ref(post))


def post_restored(session: Session, post: Post, actor: User | None) -> None:
    """Give back exactly what the latest hide took away."""
    latest = session.scalar(
        select(PointEvent.key)
        .where(_post_condition(post), PointEvent.reason == "post_hidden")
        .order_by(PointEvent.id.desc())
        .limit(1)
    )
    if latest is None:
        return
    for event in session.scalars(
        select(PointEvent).where(PointEvent.key == latest, PointEvent.reason == "post_hidden")
    ):
        record(
            session,
            event.user_id,
            -event.delta,
            "post_restored",
            latest,
            actor_id=actor.id if actor else None,
            **_post_ref(post),
        )


# --- badges -------------------------------------------------------------------------------------


def _has_badge(session: Session, user_id: int, badge: str) -> bool:
    return (
        session.scalar(select(UserBadge.id).where(UserBadge.user_id == user_id, UserBadge.badge == badge)) is not None
    )


def _award(session: Session, user_id: int, badge: str) -> bool:
    if _has_badge(session, user_id, badge):
        return False
    session.add(UserBadge(user_id=user_id, badge=badge, awarded_at=utcnow()))
    session.flush()
    notifications.notify(session, user_id, "badge", {"badge": rules.BADGE_BY_KEY[badge].name}, "/badges")
    return True


def _check_rank_badges(session: Session, user_id: int) -> None:
    points, solutions = session.execute(select(User.points, User.solution_count).where(User.id == user_id)).one()
    if rules.rank_for(points, solutions).superfan:
        _award(session, user_id, "superfan")


def _check_solution_badges(session: Session, user_id: int) -> None:
    solutions = session.scalar(select(User.solution_count).where(User.id == user_id)) or 0
    if solutions >= 1:
        _award(session, user_id, "first-solution")
    if solutions >= rules.PROBLEM_SOLVER_SOLUTIONS:
        _award(session, user_id, "problem-solver")
    if solutions >= rules.SOLUTION_MACHINE_SOLUTIONS:
        _award(session, user_id, "solution-machine")
    _check_rank_badges(session, user_id)


def _check_fast_responder(session: Session, user_id: int) -> None:
    if _has_badge(session, user_id, "fast-responder"):
        return
    # Portable (SQLite has no interval arithmetic) and bounded: stop at the threshold.
    rows = session.execute(
        select(Answer.created_at, Question.created_at)
        .join(Question, Question.id == Answer.question_id)
        .where(
            Answer.author_id == user_id,
            Answer.is_hidden.is_(False),
            Question.author_id != user_id,
            or_(Answer.is_accepted.is_(True), Answer.kudos_count > 0),
        )
        .order_by(Answer.id)
    )
    fast = 0
    for answered, asked in rows:
        if answered - asked <= rules.FAST_ANSWER_WITHIN:
            fast += 1
            if fast >= rules.FAST_RESPONDER_ANSWERS:
                _award(session, user_id, "fast-responder")
                return


def _check_welcomer(session: Session, answer: Answer, question: Question) -> None:
    if answer.author_id == question.author_id or question.answer_count != 1:
        return
    first_question = session.scalar(select(func.min(Question.id)).where(Question.author_id == question.author_id))
    if first_question == question.id:
        _award(session, answer.author_id, "welcomer")


def _check_streak(session: Session, user_id: int) -> None:
    today = utcnow().date()
    since = datetime.combine(today - timedelta(days=rules.HELPING_STREAK_DAYS - 1), time.min, tzinfo=UTC)
    days = {
        created.astimezone(UTC).date()
        for created in session.scalars(
            select(Answer.created_at).where(Answer.author_id == user_id, Answer.created_at >= since)
        )
    }
    if len(days) >= rules.HELPING_STREAK_DAYS:
        _award(session, user_id, "helping-streak")


# --- reading ------------------------------------------------------------------------------------


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


PERIODS = {"week": timedelta(days=7), "month": timedelta(days=30), "all": None}


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

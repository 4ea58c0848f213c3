"""Awarding badges: each check reads the member's record and awards a badge of rules.BADGES at most once."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from app.accounts.models import User
from app.auth.visibility import public_answers
from app.db import utcnow
from app.forum.models import Answer, Question
from app.notifications import service as notifications
from app.reputation import rules
from app.reputation.models import UserBadge


def has_badge(session: Session, user_id: int, badge: str) -> bool:
    return (
        session.scalar(select(UserBadge.id).where(UserBadge.user_id == user_id, UserBadge.badge == badge)) is not None
    )


def award(session: Session, user_id: int, badge: str) -> bool:
    """Give `badge` and tell the member; False when they already have it."""
    if has_badge(session, user_id, badge):
        return False
    session.add(UserBadge(user_id=user_id, badge=badge, awarded_at=utcnow()))
    session.flush()
    notifications.notify(session, user_id, "badge", {"badge": rules.BADGE_BY_KEY[badge].name}, "/badges")
    return True


def check_rank_badges(session: Session, user_id: int) -> None:
    points, solutions = session.execute(select(User.points, User.solution_count).where(User.id == user_id)).one()
    if rules.rank_for(points, solutions).superfan:
        award(session, user_id, "superfan")


def check_solution_badges(session: Session, user_id: int) -> None:
    solutions = session.scalar(select(User.solution_count).where(User.id == user_id)) or 0
    if solutions >= 1:
        award(session, user_id, "first-solution")
    if solutions >= rules.PROBLEM_SOLVER_SOLUTIONS:
        award(session, user_id, "problem-solver")
    if solutions >= rules.SOLUTION_MACHINE_SOLUTIONS:
        award(session, user_id, "solution-machine")
    check_rank_badges(session, user_id)


def check_fast_responder(session: Session, user_id: int) -> None:
    if has_badge(session, user_id, "fast-responder"):
        return
    # Portable (SQLite has no interval arithmetic) and bounded: stop at the threshold.
    rows = session.execute(
        select(Answer.created_at, Question.created_at)
        .join(Question, Question.id == Answer.question_id)
        .where(
            Answer.author_id == user_id,
            public_answers(),
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
                award(session, user_id, "fast-responder")
                return


def check_welcomer(session: Session, answer: Answer, question: Question) -> None:
    if answer.author_id == question.author_id or question.answer_count != 1:
        return
    first_question = session.scalar(select(func.min(Question.id)).where(Question.author_id == question.author_id))
    if first_question == question.id:
        award(session, answer.author_id, "welcomer")


def check_streak(session: Session, user_id: int) -> None:
    today = utcnow().date()
    since = datetime.combine(today - timedelta(days=rules.HELPING_STREAK_DAYS - 1), time.min, tzinfo=UTC)
    days = {
        created.astimezone(UTC).date()
        for created in session.scalars(
            select(Answer.created_at).where(Answer.author_id == user_id, Answer.created_at >= since)
        )
    }
    if len(days) >= rules.HELPING_STREAK_DAYS:
        award(session, user_id, "helping-streak")

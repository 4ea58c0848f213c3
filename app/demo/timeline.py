"""Moving demo activity into the past: posts, their revisions, the points and kudos they earned, and the
threads' activity times. Posts are written through the real services (which date everything now), then dated
back here, so the community looks months old and the daily caps of points see each day's share only."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from app.db import utcnow
from app.forum import activity
from app.forum.models import Answer, Question, Revision
from app.reputation.ledger import start_of_day
from app.reputation.models import Kudo, PointEvent

RECENT_HOURS, STRETCH = 48, 3


def spread(hours_ago: float) -> float:
    """The last two days as written; older threads stretched back over months, so the community looks as old
    as its members' ranks (the data's two months become about six)."""
    return hours_ago if hours_ago <= RECENT_HOURS else RECENT_HOURS + (hours_ago - RECENT_HOURS) * STRETCH


def backdate(session: Session, post: Question | Answer, when: datetime) -> None:
    """Demo posts were 'written' in the past: move their times and first revision there."""
    session.flush()
    post.created_at = when
    column = Revision.question_id if isinstance(post, Question) else Revision.answer_id
    for revision in session.scalars(select(Revision).where(column == post.id)):
        revision.created_at = when


def settle_question_times(session: Session, question: Question) -> None:
    """First answer and last activity from the answers' times (an accepted solution an hour after its answer),
    once the thread is complete: accepting touches the thread 'now'."""
    session.flush()
    session.refresh(question)
    answers = list(session.scalars(select(Answer).where(Answer.question_id == question.id)))
    times = sorted(a.created_at for a in answers)
    times += [a.created_at + timedelta(hours=1) for a in answers if a.is_accepted]
    question.first_answer_at = min(times) if times else None
    activity.touch(session, question, min(max(times), utcnow()) if times else question.created_at)


def backdate_points(session: Session, since: datetime | None = None) -> None:
    """Points were 'earned' when their posts were written, so the leaderboards have a history. With `since`,
    only the events and kudos dated at or after it (those just written): cheap enough to run after every thread,
    which keeps the daily caps from counting months of activity as one day."""
    fresh_events = [PointEvent.created_at >= since] if since else []
    for model, column in ((Answer, PointEvent.answer_id), (Question, PointEvent.question_id)):
        created = select(model.created_at).where(model.id == column).scalar_subquery()
        session.execute(update(PointEvent).where(column.is_not(None), *fresh_events).values(created_at=created))
    fresh_kudos = [Kudo.created_at >= since] if since else []
    answer_created = select(Answer.created_at).where(Answer.id == Kudo.answer_id).scalar_subquery()
    session.execute(update(Kudo).where(Kudo.answer_id.is_not(None), *fresh_kudos).values(created_at=answer_created))


def backdate_todays_points(session: Session) -> None:
    backdate_points(session, start_of_day(utcnow()))

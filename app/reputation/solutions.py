"""What a post earns over its life: points for an answer, accepted solutions, and hiding and restoring posts.

The forum calls answer_posted, reputation's views accept and clear solutions, and moderation calls
post_hidden / post_restored: explicitly, never through signals.
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _
from sqlalchemy import and_, func, select, update
from sqlalchemy.orm import Session

from app.accounts.models import User
from app.auth.permissions import require
from app.auth.visibility import access_post
from app.db import utcnow
from app.errors import Conflict, NotFound
from app.forum import activity
from app.forum.models import Answer, Question
from app.notifications import service as notifications
from app.reputation import badges, rules
from app.reputation.ledger import Post, net_by_user, points_today, post_key, post_ref, record, reverse_key
from app.reputation.models import PointEvent
from app.search import outbox as search_outbox
from app.webhooks import service as webhooks


def answer_posted(session: Session, answer: Answer, question: Question) -> None:
    """Points for a new answer (capped per day, none on one's own question) and the badges it may earn."""
    author_id = answer.author_id
    if author_id != question.author_id:
        granted_today, _points = points_today(session, author_id, "answer_posted")
        if granted_today < rules.POINTS.answer_posted_per_day:
            record(
                session,
                author_id,
                rules.POINTS.answer_posted,
                "answer_posted",
                post_key(answer),
                answer_id=answer.id,
                actor_id=author_id,
            )
    badges.award(session, author_id, "first-answer")
    badges.check_welcomer(session, answer, question)
    badges.check_streak(session, author_id)


# --- accepted solutions -------------------------------------------------------------------------


def _solution_counts(answer: Answer, question: Question) -> bool:
    """An answer to one's own question can be the solution, but earns no points or rank."""
    return answer.author_id != question.author_id


def _accepted_answer(session: Session, question: Question) -> Answer | None:
    return session.scalar(select(Answer).where(Answer.question_id == question.id, Answer.is_accepted.is_(True)))


def _question_for_solution(session: Session, actor: User, question_id: int, refusal: str) -> Question:
    """The question as the actor sees it (NotFound otherwise), if the policy lets them choose its solution."""
    question = access_post(session, actor, "question", question_id)
    assert isinstance(question, Question)
    require(actor, "accept", question, refusal)
    return question


def accept_answer(session: Session, actor: User, question_id: int, answer_id: int) -> Answer:
    question = _question_for_solution(
        session, actor, question_id, _("Only the asker, a moderator or an experienced member can mark the solution.")
    )
    answer = session.get(Answer, answer_id)
    if answer is None or answer.is_hidden:
        raise NotFound(_("That answer doesn't exist or was removed."))
    if answer.question_id != question.id:
        raise Conflict(_("That answer belongs to another question."))
    if answer.is_accepted:
        raise Conflict(_("That answer is already the solution."))
    current = _accepted_answer(session, question)
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
    if _solution_counts(answer, question):
        _reward_solution(session, actor, question, answer)
    if not (question.is_private or question.is_hidden):
        payload = webhooks.question_payload(question)
        payload["question"]["accepted_answer_id"] = answer.id
        webhooks.emit(session, "question.solved", f"question:{question.id}", payload)
    return answer


def _reward_solution(session: Session, actor: User, question: Question, answer: Answer) -> None:
    """Points to the answer's author (and to an asker who marks it), the news, and the badges it may earn."""
    key = f"accept:{question.id}:{question.solution_seq}"
    session.execute(update(User).where(User.id == answer.author_id).values(solution_count=User.solution_count + 1))
    earners = [(answer.author_id, rules.POINTS.answer_accepted, "answer_accepted")]
    if actor.id == question.author_id:
        earners.append((actor.id, rules.POINTS.solution_marked, "solution_marked"))
    for user_id, points, reason in earners:
        record(session, user_id, points, reason, key, answer_id=answer.id, actor_id=actor.id)
    notifications.notify(
        session,
        answer.author_id,
        "accepted",
        {"title": question.title},
        f"/questions/{question.id}/{question.slug}#answer-{answer.id}",
        actor_id=actor.id,
    )
    badges.check_solution_badges(session, answer.author_id)
    badges.check_fast_responder(session, answer.author_id)


def clear_solution(session: Session, actor: User, question_id: int) -> Question:
    question = _question_for_solution(
        session, actor, question_id, _("Only the asker, a moderator or an experienced member can change the solution.")
    )
    current = _accepted_answer(session, question)
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
    key = f"{post_key(post)}:hide:{hides + 1}"
    for user_id, net in net_by_user(session, _post_condition(post)).items():
        if net:
            record(session, user_id, -net, "post_hidden", key, actor_id=actor.id if actor else None, **post_ref(post))


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
            **post_ref(post),
        )

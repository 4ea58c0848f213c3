"""Thread actions for moderators: lock and pin, move to another board, close as a duplicate, reopen, and merge
a duplicate's answers into the original."""

from __future__ import annotations

from flask_babel import lazy_gettext as _
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from app.accounts.models import User
from app.auth.visibility import access_post
from app.errors import Conflict, NotFound, ValidationFailed
from app.forum import activity
from app.forum.models import Answer, Board, Question
from app.moderation.service.auditing import audit, check_reason
from app.reputation import service as reputation
from app.search import outbox as search_outbox

# (state, on) -> the audit log's name for the change.
THREAD_STATE_ACTIONS = {
    ("locked", True): "thread_locked",
    ("locked", False): "thread_unlocked",
    ("pinned", True): "thread_pinned",
    ("pinned", False): "thread_unpinned",
}


def _moderated_question(session: Session, actor: User, question_id: int) -> Question:
    question = access_post(session, actor, "question", question_id, "moderate")
    assert isinstance(question, Question)
    return question


def _audit(
    session: Session, actor: User, action: str, question: Question, reason: str, before: dict, after: dict
) -> None:
    """Thread actions take an optional reason, kept in the audit log."""
    audit(session, actor, action, "question", question.id, check_reason(reason, required=False), before, after)


def set_thread_state(
    session: Session, actor: User, question_id: int, state: str, on: bool, reason: str = ""
) -> Question:
    """Lock/unlock or pin/unpin a thread."""
    if (state, on) not in THREAD_STATE_ACTIONS:
        raise NotFound(_("Unknown thread action."))
    question = _moderated_question(session, actor, question_id)
    attribute = f"is_{state}"
    if getattr(question, attribute) == on:
        raise Conflict(_("The thread is already in that state."))
    setattr(question, attribute, on)
    _audit(session, actor, THREAD_STATE_ACTIONS[(state, on)], question, reason, {state: not on}, {state: on})
    return question


def move_question(session: Session, actor: User, question_id: int, board_slug: str, reason: str = "") -> Question:
    question = _moderated_question(session, actor, question_id)
    board = session.scalar(select(Board).where(Board.slug == board_slug))
    if board is None:
        raise NotFound(_("There is no board called “%(slug)s”.", slug=(board_slug or "")[:60]))
    if board.id == question.board_id:
        raise Conflict(_("The question is already in that board."))
    if board.is_archived:
        raise Conflict(_("That board is archived and takes no new questions."))
    old = question.board_id
    if not question.is_hidden:
        session.execute(update(Board).where(Board.id == old).values(question_count=Board.question_count - 1))
        board.question_count = Board.question_count + 1
    question.board_id = board.id
    activity.moved(session, question)
    search_outbox.enqueue(session, question.id)
    _audit(session, actor, "question_moved", question, reason, {"board_id": old}, {"board_id": board.id})
    return question


def _public_original(session: Session, original_id: int) -> Question:
    """The original must be one the public can read, since every reader of the duplicate is sent there."""
    try:
        original = access_post(session, None, "question", original_id)
    except NotFound:
        raise NotFound(_("The original question doesn't exist or was removed.")) from None
    assert isinstance(original, Question)
    return original


def close_as_duplicate(session: Session, actor: User, question_id: int, original_id: int, reason: str = "") -> Question:
    question = _moderated_question(session, actor, question_id)
    if original_id == question.id:
        raise ValidationFailed(_("A question can't be a duplicate of itself."), "original_id")
    original = _public_original(session, original_id)
    seen, cursor = {question.id}, original
    while cursor.duplicate_of_id is not None:  # refuse A -> B -> ... -> A
        if cursor.duplicate_of_id in seen or len(seen) > 100:
            raise Conflict(_("That would make a circle of duplicates."))
        seen.add(cursor.id)
        cursor = session.get(Question, cursor.duplicate_of_id)
    if cursor.id in seen:
        raise Conflict(_("That would make a circle of duplicates."))
    before = question.duplicate_of_id
    question.duplicate_of_id = original.id
    _audit(
        session, actor, "closed_as_duplicate", question, reason, {"duplicate_of": before}, {"duplicate_of": original.id}
    )
    return question


def reopen(session: Session, actor: User, question_id: int, reason: str = "") -> Question:
    question = _moderated_question(session, actor, question_id)
    if question.duplicate_of_id is None:
        raise Conflict(_("The question is not closed as a duplicate."))
    before = question.duplicate_of_id
    question.duplicate_of_id = None
    _audit(session, actor, "reopened", question, reason, {"duplicate_of": before}, {"duplicate_of": None})
    return question


def merge_answers(session: Session, actor: User, question_id: int) -> Question:
    """Move a duplicate's answers to its original, so the answers live in one place."""
    question = _moderated_question(session, actor, question_id)
    if question.duplicate_of_id is None:
        raise Conflict(_("Close the question as a duplicate first."))
    original = _moderated_question(session, actor, question.duplicate_of_id)
    answers = list(session.scalars(select(Answer).where(Answer.question_id == question.id)))
    if not answers:
        raise Conflict(_("That question has no answers to merge."))
    if any(a.is_accepted for a in answers):  # the original keeps its own solution; merged answers arrive unaccepted
        reputation.clear_solution(session, actor, question.id)
    visible = sum(1 for a in answers if not a.is_hidden)
    for answer in answers:
        answer.question_id = original.id
    question.answer_count = Question.answer_count - visible
    question.is_solved = False
    original.answer_count = Question.answer_count + visible
    latest = max(a.created_at for a in answers)
    if latest > original.last_activity_at:
        activity.touch(session, original, latest)
    search_outbox.enqueue(session, question.id)
    search_outbox.enqueue(session, original.id)
    if original.first_answer_at is None or min(a.created_at for a in answers) < original.first_answer_at:
        original.first_answer_at = min(a.created_at for a in answers)
    audit(
        session,
        actor,
        "answers_merged",
        "question",
        question.id,
        "",
        before={"question_id": question.id},
        after={"question_id": original.id, "answers": [a.id for a in answers]},
    )
    return original

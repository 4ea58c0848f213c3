"""Loads the demo community from app/demo_data.py through the same services a member uses."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.accounts import service as accounts
from app.accounts.models import User
from app.db import utcnow
from app.demo_data import BOARDS, DEMO_PASSWORD, QUESTIONS, USERS
from app.forum import activity
from app.forum import service as forum
from app.forum.models import Answer, Board, Question, Revision


def is_seeded(session: Session) -> bool:
    return bool(session.scalar(select(func.count()).select_from(Board)))


def seed(session: Session) -> dict[str, int]:
    for board in BOARDS:
        session.add(Board(**board))
    users = {}
    for spec in USERS:
        user = accounts.register(
            session,
            accounts.Registration(spec["username"], spec["email"], DEMO_PASSWORD, spec["locale"]),
            role=spec["role"],
        )
        user.display_name, user.bio = spec["display_name"], spec["bio"]
        users[spec["username"]] = user
    session.flush()

    now = utcnow()
    answer_count = 0
    for spec in QUESTIONS:
        draft = forum.QuestionDraft(spec["board"], spec["title"], spec["body"], tuple(spec["tags"]))
        question = forum.ask_question(session, users[spec["author"]], draft)
        asked = now - timedelta(hours=spec["hours_ago"])
        _backdate(session, question, asked)
        for answer_spec in spec["answers"]:
            answer = forum.post_answer(
                session, users[answer_spec["author"]], question.id, forum.AnswerDraft(answer_spec["body"])
            )
            _backdate(session, answer, min(asked + timedelta(minutes=answer_spec["minutes_after"]), now))
            answer_count += 1
        session.flush()
        _settle_question_times(session, question)
    return {"boards": len(BOARDS), "members": len(USERS), "questions": len(QUESTIONS), "answers": answer_count}


def _backdate(session: Session, post: Question | Answer, when) -> None:
    """Demo posts were 'written' in the past: move their times and first revision there."""
    session.flush()
    post.created_at = when
    column = Revision.question_id if isinstance(post, Question) else Revision.answer_id
    for revision in session.scalars(select(Revision).where(column == post.id)):
        revision.created_at = when


def _settle_question_times(session: Session, question: Question) -> None:
    session.refresh(question)
    times = sorted(a.created_at for a in session.scalars(select(Answer).where(Answer.question_id == question.id)))
    question.first_answer_at = times[0] if times else None
    activity.touch(session, question, times[-1] if times else question.created_at)


def logins_text(session: Session) -> str:
    rows = session.execute(select(User.username, User.role).order_by(User.id)).all()
    demo_names = {spec["username"] for spec in USERS}
    lines = [f"Demo logins (password for all: {DEMO_PASSWORD}):"]
    for username, role in rows:
        if username in demo_names:
            lines.append(f"  {role:<10} {username}")
    return "\n".join(lines)

"""Keeps a question's copies in step: its tag rows carry its board and last activity (see question_tags)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, insert, update
from sqlalchemy.orm import Session

from app.forum.models import Question, Tag, question_tags


def touch(session: Session, question: Question, at: datetime) -> None:
    """Something happened in the thread at `at`: it moves to the top of its lists."""
    question.last_activity_at = at
    session.execute(update(question_tags).where(question_tags.c.question_id == question.id).values(last_activity_at=at))


def set_tags(session: Session, question: Question, tags: list[Tag]) -> None:
    """Replace a question's tags (the question and the tags must have ids)."""
    session.flush()
    session.execute(delete(question_tags).where(question_tags.c.question_id == question.id))
    if tags:
        session.execute(
            insert(question_tags),
            [
                {
                    "question_id": question.id,
                    "tag_id": tag.id,
                    "board_id": question.board_id,
                    "last_activity_at": question.last_activity_at,
                }
                for tag in tags
            ],
        )
    session.expire(question, ["tags"])


def moved(session: Session, question: Question) -> None:
    """The question changed boards."""
    session.execute(
        update(question_tags).where(question_tags.c.question_id == question.id).values(board_id=question.board_id)
    )

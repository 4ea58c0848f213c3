"""What the index holds for a question, built from the database: only public content, as plain text."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload, selectinload

from app import content
from app.auth.visibility import can_see
from app.forum.models import Answer, Question

BODY_LIMIT = 20_000


@dataclass(frozen=True)
class Document:
    id: int
    title: str
    body: str
    answers: str
    best_answer: str
    tags: list[str]
    board: str
    author: str
    language: str
    solved: bool
    answered: bool
    created_at: datetime
    last_activity_at: datetime


def is_public(question: Question) -> bool:
    return can_see(None, question)  # what a visitor may read, as the policy says


def _document(question: Question, answers: list[Answer]) -> Document:
    visible = [a for a in answers if not a.is_hidden]  # the thread itself passed is_public() already
    best = next((a for a in visible if a.is_accepted), None) or max(
        visible, key=lambda a: (a.kudos_count, -a.id), default=None
    )
    return Document(
        id=question.id,
        title=question.title,
        body=content.plain_text(question.body_source)[:BODY_LIMIT],
        answers=" ".join(content.plain_text(a.body_source) for a in visible)[:BODY_LIMIT],
        best_answer=content.plain_text(best.body_source)[:2000] if best else "",
        tags=[t.name for t in question.tags],
        board=question.board.slug,
        author="" if question.author.deleted_at is not None else question.author.username,
        language=question.language,
        solved=question.is_solved,
        answered=question.answer_count > 0,
        created_at=question.created_at,
        last_activity_at=question.last_activity_at,
    )


def _questions(session: Session, ids: list[int] | None = None, after: int = 0, limit: int = 500) -> list[Question]:
    query = select(Question).options(
        joinedload(Question.board),
        joinedload(Question.author),
        selectinload(Question.tags),
        selectinload(Question.answers),
    )
    if ids is not None:
        query = query.where(Question.id.in_(ids))
    else:
        query = query.where(Question.id > after).order_by(Question.id).limit(limit)
    return list(session.scalars(query))


def documents_for(session: Session, ids: list[int]) -> dict[int, Document | None]:
    """The current document of each question, or None where it must leave the index (gone or not public)."""
    found = {q.id: q for q in _questions(session, ids=ids)}
    return {
        qid: (_document(found[qid], found[qid].answers) if qid in found and is_public(found[qid]) else None)
        for qid in ids
    }


def all_documents(session: Session, batch: int = 500) -> Iterator[Document]:
    """Every public question's document, in id order, a batch at a time (for a full rebuild)."""
    after = 0
    while True:
        questions = _questions(session, after=after, limit=batch)
        if not questions:
            return
        for question in questions:
            if is_public(question):
                yield _document(question, question.answers)
        after = questions[-1].id
        session.expunge_all()  # keep memory flat over a million rows


def clip(text: str, limit: int) -> str:
    """The first `limit` characters of `text`, cut at a word and ended with an ellipsis when it goes on."""
    if len(text) <= limit:
        return text
    cut = text[:limit]
    if not text[limit].isspace() and " " in cut:
        cut = cut.rsplit(" ", 1)[0]
    return cut.rstrip() + " …"

"""Plain factory functions that build test data through the real services."""

from __future__ import annotations

import itertools
from contextlib import AbstractContextManager, nullcontext

from flask import has_app_context
from sqlalchemy.orm import Session

from app.accounts import service as accounts
from app.accounts.models import User
from app.db import utcnow
from app.forum import service as forum
from app.forum.models import Answer, Board, Question

PASSWORD = "correct horse battery"
_counter = itertools.count(1)


def in_app_of(session: Session) -> AbstractContextManager[object]:
    """The app context of the app whose database `session` uses (the `session` fixture records it), so a
    service hashes passwords with that app's costs; nothing when a context is already pushed."""
    app = session.info.get("app")
    return app.app_context() if app is not None and not has_app_context() else nullcontext()


def make_user(
    session: Session, username: str | None = None, role: str = "member", verified: bool = True, **fields
) -> User:
    """A member whose e-mail address is confirmed, unless `verified=False` (as right after signing up)."""
    n = next(_counter)
    username = username or f"user{n}"
    with in_app_of(session):
        user = accounts.register(
            session,
            accounts.Registration(username, fields.pop("email", f"{username}@example.com"), PASSWORD),
            role=role,
        )
    if verified:
        user.email_verified_at = utcnow()
    for name, value in fields.items():
        setattr(user, name, value)
    session.commit()
    return user


def make_board(session: Session, slug: str | None = None, name: str | None = None) -> Board:
    n = next(_counter)
    slug = slug or f"board-{n}"
    board = Board(slug=slug, name=name or f"Board {n}", description="A board for tests.", position=n)
    session.add(board)
    session.commit()
    return board


def make_question(
    session: Session,
    author: User,
    board: Board,
    title: str | None = None,
    body: str = "My Nimbus Book 14 does something odd. What should I check?",
    tags: tuple[str, ...] = (),
) -> Question:
    title = title or f"Question number {next(_counter)} about my laptop"
    question = forum.ask_question(session, author, forum.QuestionDraft(board.slug, title, body, tags))
    session.commit()
    return question


def make_answer(
    session: Session, author: User, question: Question, body: str = "Update the BIOS, it fixed it."
) -> Answer:
    answer = forum.post_answer(session, author, question.id, forum.AnswerDraft(body))
    session.commit()
    return answer

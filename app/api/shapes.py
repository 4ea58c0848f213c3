"""What the API sends: models, ORM rows and services' results turned into the schemas of app/api/schemas.py."""

from __future__ import annotations

from flask import url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from app.accounts.models import User
from app.api import schemas, tokens
from app.escalation import service as escalation
from app.escalation.models import Case, CaseMessage
from app.forum import service as forum
from app.forum.models import Answer, Question

# --- shapes ------------------------------------------------------------------------------------------


def users_by_id(session, ids) -> dict[int, User]:
    ids = {i for i in ids if i is not None}
    return {user.id: user for user in session.scalars(select(User).where(User.id.in_(ids)))} if ids else {}


def author_of(user: User | None) -> schemas.Author:
    if user is None:
        return schemas.Author(username=None, name=_("Former member"))
    return schemas.Author(username=user.username, name=user.name)


def question_url(question: Question) -> str:
    return url_for("forum.question", question_id=question.id, slug=question.slug, _external=True)


def question_summary(
    question: Question, author: User | None, board_slug: str, tags: list[str]
) -> schemas.QuestionSummary:
    return schemas.QuestionSummary(
        id=question.id,
        title=question.title,
        url=question_url(question),
        board=board_slug,
        tags=tags,
        language=question.language,
        author=author_of(author),
        is_solved=question.is_solved,
        is_locked=question.is_locked,
        answer_count=question.answer_count,
        kudos_count=question.kudos_count,
        created_at=question.created_at,
        last_activity_at=question.last_activity_at,
    )


def listed(session, questions: list[Question]) -> list[schemas.QuestionSummary]:
    """Summaries of list rows (their board and tags are loaded with them)."""
    authors = users_by_id(session, [q.author_id for q in questions])
    return [question_summary(q, authors.get(q.author_id), q.board.slug, [t.name for t in q.tags]) for q in questions]


def answer_of(answer: Answer, author: User | None) -> schemas.Answer:
    return schemas.Answer(
        id=answer.id,
        question_id=answer.question_id,
        author=author_of(author),
        body_markdown=answer.body_source,
        body_html=answer.body_html,
        language=answer.language,
        kudos_count=answer.kudos_count,
        is_accepted=answer.is_accepted,
        is_staff=answer.is_staff,
        created_at=answer.created_at,
        edited_at=answer.edited_at,
    )


def question_detail(session, question_id: int) -> schemas.QuestionDetail:
    question = forum.access_question(session, current_user, question_id)
    answers = forum.answers_for(session, question, current_user)
    authors = users_by_id(session, [question.author_id, *(a.author_id for a in answers)])
    tags = tag_names(session, question.id)
    summary = question_summary(
        question, authors.get(question.author_id), board_slug_of(session, question.board_id), tags
    )
    accepted = next((a.id for a in answers if a.is_accepted), None)
    return schemas.QuestionDetail(
        **summary.model_dump(),
        body_markdown=question.body_source,
        body_html=question.body_html,
        edited_at=question.edited_at,
        accepted_answer_id=accepted,
        answers=[answer_of(a, authors.get(a.author_id)) for a in answers],
    )


def board_slug_of(session, board_id: int) -> str:
    from app.forum.models import Board

    return session.scalar(select(Board.slug).where(Board.id == board_id)) or ""


def tag_names(session, question_id: int) -> list[str]:
    from app.forum.models import Tag, question_tags

    return list(
        session.scalars(
            select(Tag.name)
            .join(question_tags, question_tags.c.tag_id == Tag.id)
            .where(question_tags.c.question_id == question_id)
            .order_by(Tag.name)
        )
    )


def token_of(token) -> schemas.Token:
    return schemas.Token(
        id=token.id,
        name=token.name,
        scopes=sorted(token.scope_set, key=list(tokens.SCOPES).index),
        created_at=token.created_at,
        expires_at=token.expires_at,
    )


def with_lists(session, rows: list[Question]) -> list[Question]:
    from sqlalchemy.orm import joinedload, selectinload

    ids = [q.id for q in rows]
    if not ids:
        return []
    loaded = session.scalars(
        select(Question)
        .options(joinedload(Question.board), selectinload(Question.tags))
        .where(Question.id.in_(ids))
        .execution_options(populate_existing=True)
    ).unique()
    return list(loaded)


def case_summary(case: Case) -> schemas.CaseSummary:
    return schemas.CaseSummary(
        id=case.id,
        question_id=case.question_id,
        category=case.category,
        priority=case.priority,
        status=case.status,
        customer=author_of(case.customer),
        assignee=author_of(case.assignee) if case.assignee is not None else None,
        opened_at=case.opened_at,
        due_at=case.due_at,
        is_overdue=escalation.is_overdue(case),
    )


def case_detail(case: Case) -> schemas.CaseDetail:
    return schemas.CaseDetail(
        **case_summary(case).model_dump(),
        public_note=case.public_note,
        public_resolution=case.public_resolution,
        first_staff_response_at=case.first_staff_response_at,
        resolved_at=case.resolved_at,
        moves=[move.action for move in escalation.available_moves(current_user, case)],
    )


def message_of(message: CaseMessage, author: User | None) -> schemas.CaseMessage:
    return schemas.CaseMessage(
        id=message.id,
        author=author_of(author),
        body_markdown=message.body_source,
        body_html=message.body_html,
        internal=message.is_internal,
        created_at=message.created_at,
    )

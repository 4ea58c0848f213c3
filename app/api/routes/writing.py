"""Writing over the API: ask, edit, answer, kudos, solutions and flags, with the site's rules and limits."""

from __future__ import annotations

from flask import request
from flask_babel import gettext as _
from flask_login import current_user
from spectree import Response

from app.accounts.models import User
from app.api import schemas, shapes
from app.api.auth import api_access
from app.api.blueprint import Errors, bp, secured, spec
from app.auth.permissions import require
from app.auth.visibility import access_post
from app.db import db
from app.extensions import flag_limit, limiter, post_limit, user_or_address
from app.forum import service as forum
from app.moderation import service as moderation
from app.reputation import service as reputation

# --- writing -----------------------------------------------------------------------------------------


@bp.post("/questions")
@api_access("member", "write")
@limiter.limit(post_limit, key_func=user_or_address)
@spec.validate(
    json=schemas.Ask,
    resp=Response(HTTP_201=schemas.QuestionDetail, **Errors),
    tags=["writing"],
    security=secured("write"),
)
def ask():
    """Ask a question (the listening rules mask private data, as on the site)."""
    body: schemas.Ask = request.context.json
    require(current_user, "ask", None, _("Your account is suspended, so you can't ask questions right now."))
    session = db.session()
    draft = forum.QuestionDraft(body.board, body.title, body.body, tuple(body.tags), body.language)
    asked = forum.ask_question(session, current_user, draft)
    db.commit()
    return shapes.question_detail(session, asked.id), 201


@bp.patch("/questions/<id:question_id>")
@api_access("member", "write", owner=True)
@spec.validate(
    json=schemas.EditQuestion,
    resp=Response(HTTP_200=schemas.QuestionDetail, **Errors),
    tags=["writing"],
    security=secured("write"),
)
def edit_question(question_id: int):
    """Edit a question: send only the fields that change."""
    body: schemas.EditQuestion = request.context.json
    session = db.session()
    current = forum.access_question(session, current_user, question_id, for_action="edit_question")
    draft = forum.QuestionDraft(
        body.board or shapes.board_slug_of(session, current.board_id),
        body.title if body.title is not None else current.title,
        body.body if body.body is not None else current.body_source,
        tuple(body.tags) if body.tags is not None else tuple(shapes.tag_names(session, current.id)),
        body.language,
    )
    forum.edit_question(session, current_user, question_id, draft)
    db.commit()
    return shapes.question_detail(session, question_id)


@bp.post("/questions/<id:question_id>/answers")
@api_access("member", "write")
@limiter.limit(post_limit, key_func=user_or_address)
@spec.validate(
    json=schemas.Reply, resp=Response(HTTP_201=schemas.Answer, **Errors), tags=["writing"], security=secured("write")
)
def answer(question_id: int):
    """Answer a question."""
    body: schemas.Reply = request.context.json
    session = db.session()
    posted = forum.post_answer(session, current_user, question_id, forum.AnswerDraft(body.body, body.language))
    db.commit()
    return shapes.answer_of(posted, current_user), 201


@bp.patch("/answers/<id:answer_id>")
@api_access("member", "write", owner=True)
@spec.validate(
    json=schemas.Reply, resp=Response(HTTP_200=schemas.Answer, **Errors), tags=["writing"], security=secured("write")
)
def edit_answer(answer_id: int):
    """Edit an answer."""
    body: schemas.Reply = request.context.json
    session = db.session()
    edited = forum.edit_answer(session, current_user, answer_id, forum.AnswerDraft(body.body, body.language))
    db.commit()
    return shapes.answer_of(edited, session.get(User, edited.author_id))


def _kudo_limit() -> str:
    from app.reputation import rules

    return rules.POINTS.kudos_per_minute


@bp.post("/<any(questions, answers):kind>/<id:post_id>/kudos")
@api_access("member", "write")
@limiter.limit(_kudo_limit, key_func=user_or_address)
@spec.validate(resp=Response(HTTP_200=schemas.Kudos, **Errors), tags=["writing"], security=secured("write"))
def give_kudo(kind: str, post_id: int):
    """Give kudos to a question or an answer."""
    post = reputation.give_kudo(db.session(), current_user, kind.removesuffix("s"), post_id)
    db.commit()
    return schemas.Kudos(kudos_count=post.kudos_count, given=True)


@bp.delete("/<any(questions, answers):kind>/<id:post_id>/kudos")
@api_access("member", "write")
@limiter.limit(_kudo_limit, key_func=user_or_address)
@spec.validate(resp=Response(HTTP_200=schemas.Kudos, **Errors), tags=["writing"], security=secured("write"))
def withdraw_kudo(kind: str, post_id: int):
    """Withdraw kudos given earlier."""
    post = reputation.withdraw_kudo(db.session(), current_user, kind.removesuffix("s"), post_id)
    db.commit()
    return schemas.Kudos(kudos_count=post.kudos_count, given=False)


@bp.put("/questions/<id:question_id>/solution")
@api_access("member", "write", owner=True)
@spec.validate(
    json=schemas.Accept,
    resp=Response(HTTP_200=schemas.Solution, **Errors),
    tags=["writing"],
    security=secured("write"),
)
def accept(question_id: int):
    """Accept an answer as the solution (the asker, or a moderator)."""
    body: schemas.Accept = request.context.json
    accepted = reputation.accept_answer(db.session(), current_user, question_id, body.answer_id)
    db.commit()
    return schemas.Solution(question_id=question_id, accepted_answer_id=accepted.id)


@bp.delete("/questions/<id:question_id>/solution")
@api_access("member", "write", owner=True)
@spec.validate(resp=Response(HTTP_200=schemas.Solution, **Errors), tags=["writing"], security=secured("write"))
def clear_solution(question_id: int):
    """Clear the accepted solution."""
    reputation.clear_solution(db.session(), current_user, question_id)
    db.commit()
    return schemas.Solution(question_id=question_id, accepted_answer_id=None)


@bp.post("/<any(questions, answers):kind>/<id:post_id>/flags")
@api_access("member", "write")
@limiter.limit(flag_limit, key_func=user_or_address)
@spec.validate(
    json=schemas.FlagRequest,
    resp=Response(HTTP_201=schemas.Flagged, **Errors),
    tags=["writing"],
    security=secured("write"),
)
def flag(kind: str, post_id: int):
    """Flag a post for the moderators."""
    body: schemas.FlagRequest = request.context.json
    session = db.session()
    access_post(session, current_user, kind.removesuffix("s"), post_id)
    raised = moderation.flag_post(session, current_user, kind.removesuffix("s"), post_id, body.reason, body.note)
    db.commit()
    return schemas.Flagged(id=raised.id, status=raised.status), 201

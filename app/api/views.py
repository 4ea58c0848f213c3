"""/api/v1: reading, writing, moderating and working cases over JSON. Every route calls the same services as
the HTML views (no rule is written twice) and declares its role and token scope; `spec` turns the routes and
their pydantic models into the OpenAPI description."""

from __future__ import annotations

from flask import Blueprint, current_app, g, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from spectree import Response, SecurityScheme, SpecTree
from spectree.models import SecureType, SecuritySchemeData
from sqlalchemy import select

from app.accounts import service as accounts
from app.accounts.models import User
from app.accounts.throttle import LoginThrottle
from app.api import schemas, tokens
from app.api.auth import Unauthenticated, api_access, api_rate_limit, token_key
from app.auth.permissions import require
from app.auth.visibility import access_post
from app.db import db
from app.errors import BadRequest, PermissionDenied, RateLimited, ValidationFailed
from app.escalation import service as escalation
from app.escalation.models import Case, CaseMessage
from app.extensions import csrf, limit_for, limiter, user_or_address
from app.forum import service as forum
from app.forum.models import Answer, Question
from app.moderation import service as moderation
from app.reputation import service as reputation
from app.search import service as search_service
from app.search.backend import SearchQuery

bp = Blueprint("api", __name__, url_prefix="/api/v1")
csrf.exempt(bp)  # cookies never authorise the API, so a forged cross-site request has nothing to ride on
limiter.limit(api_rate_limit, key_func=token_key)(bp)

Errors = {
    "HTTP_400": schemas.Error,
    "HTTP_401": schemas.Error,
    "HTTP_403": schemas.Error,
    "HTTP_404": schemas.Error,
    "HTTP_409": schemas.Error,
    "HTTP_422": schemas.Error,
    "HTTP_429": schemas.Error,
}


class Invalid(ValidationFailed):
    """A request that does not match its schema: each field with what is wrong with it."""

    def __init__(self, fields: dict[str, str]) -> None:
        super().__init__(_("Some fields need another look."))
        self.fields = fields


def _refuse_invalid(_request, _response, error, _instance, _adapter) -> None:
    """spectree's request validation failed: answer in the API's error shape, field by field."""
    if error is None:
        return
    fields: dict[str, str] = {}
    for problem in error.errors():
        location = ".".join(str(part) for part in problem.get("loc", ())) or "body"
        fields.setdefault(location, problem.get("msg", "invalid"))
    raise Invalid(fields)


spec = SpecTree(
    "flask",
    title="Agora API",
    version="1",
    description="The community's questions, answers, kudos, moderation and private cases, as JSON.",
    path="api/v1/unused-ui",  # the description is served by our own route; no UI from a CDN
    mode="strict",
    before=_refuse_invalid,
    validation_error_status=422,
    security_schemes=[SecurityScheme(name="token", data=SecuritySchemeData(type=SecureType.HTTP, scheme="bearer"))],
    annotations=False,
)


def _secured(scope: str | None) -> dict:
    return {"token": []} if scope else {}


@bp.before_request
def _json_only() -> None:
    if request.method in ("POST", "PATCH", "PUT") and request.content_length:
        if not request.is_json:
            raise _UnsupportedMedia()
        if request.get_json(silent=True) is None:
            raise BadRequest(_("The body is not valid JSON."))


class _UnsupportedMedia(BadRequest):
    status = 415

    def __init__(self) -> None:
        super().__init__(_("Send JSON, with Content-Type: application/json."))


# --- shapes ------------------------------------------------------------------------------------------


def _users(session, ids) -> dict[int, User]:
    ids = {i for i in ids if i is not None}
    return {user.id: user for user in session.scalars(select(User).where(User.id.in_(ids)))} if ids else {}


def _author(user: User | None) -> schemas.Author:
    if user is None:
        return schemas.Author(username=None, name=_("Former member"))
    return schemas.Author(username=user.username, name=user.name)


def _question_url(question: Question) -> str:
    return url_for("forum.question", question_id=question.id, slug=question.slug, _external=True)


def _summary(question: Question, author: User | None, board_slug: str, tags: list[str]) -> schemas.QuestionSummary:
    return schemas.QuestionSummary(
        id=question.id,
        title=question.title,
        url=_question_url(question),
        board=board_slug,
        tags=tags,
        language=question.language,
        author=_author(author),
        is_solved=question.is_solved,
        is_locked=question.is_locked,
        answer_count=question.answer_count,
        kudos_count=question.kudos_count,
        created_at=question.created_at,
        last_activity_at=question.last_activity_at,
    )


def _listed(session, questions: list[Question]) -> list[schemas.QuestionSummary]:
    """Summaries of list rows (their board and tags are loaded with them)."""
    authors = _users(session, [q.author_id for q in questions])
    return [_summary(q, authors.get(q.author_id), q.board.slug, [t.name for t in q.tags]) for q in questions]


def _answer(answer: Answer, author: User | None) -> schemas.Answer:
    return schemas.Answer(
        id=answer.id,
        question_id=answer.question_id,
        author=_author(author),
        body_markdown=answer.body_source,
        body_html=answer.body_html,
        language=answer.language,
        kudos_count=answer.kudos_count,
        is_accepted=answer.is_accepted,
        is_staff=answer.is_staff,
        created_at=answer.created_at,
        edited_at=answer.edited_at,
    )


def _question_detail(session, question_id: int) -> schemas.QuestionDetail:
    question = forum.access_question(session, current_user, question_id)
    answers = forum.answers_for(session, question, current_user)
    authors = _users(session, [question.author_id, *(a.author_id for a in answers)])
    tags = _tag_names(session, question.id)
    summary = _summary(question, authors.get(question.author_id), _board_slug(session, question.board_id), tags)
    accepted = next((a.id for a in answers if a.is_accepted), None)
    return schemas.QuestionDetail(
        **summary.model_dump(),
        body_markdown=question.body_source,
        body_html=question.body_html,
        edited_at=question.edited_at,
        accepted_answer_id=accepted,
        answers=[_answer(a, authors.get(a.author_id)) for a in answers],
    )


def _board_slug(session, board_id: int) -> str:
    from app.forum.models import Board

    return session.scalar(select(Board.slug).where(Board.id == board_id)) or ""


def _tag_names(session, question_id: int) -> list[str]:
    from app.forum.models import Tag, question_tags

    return list(
        session.scalars(
            select(Tag.name)
            .join(question_tags, question_tags.c.tag_id == Tag.id)
            .where(question_tags.c.question_id == question_id)
            .order_by(Tag.name)
        )
    )


def _token(token) -> schemas.Token:
    return schemas.Token(
        id=token.id,
        name=token.name,
        scopes=sorted(token.scope_set, key=list(tokens.SCOPES).index),
        created_at=token.created_at,
        expires_at=token.expires_at,
    )


# --- tokens ------------------------------------------------------------------------------------------


def _login_limit() -> str:
    return current_app.config["LOGIN_RATE_LIMIT"]


@bp.post("/tokens")
@api_access("visitor")
@limiter.limit(_login_limit)
@spec.validate(json=schemas.TokenRequest, resp=Response(HTTP_201=schemas.NewToken, **Errors), tags=["tokens"])
def create_token():
    """Create a token with a username (or e-mail) and password."""
    body: schemas.TokenRequest = request.context.json
    session = db.session()
    throttle = _throttle()
    if throttle is not None and (wait := throttle.wait(body.username)):
        raise RateLimited(_("Too many failed sign-ins for this account. Try again later."), retry_after=wait)
    user = accounts.authenticate(session, body.username, body.password)
    if throttle is not None:
        (throttle.failed if user is None else throttle.succeeded)(body.username)
    if user is None:
        raise Unauthenticated(_("That username or e-mail and password don't match an account."))
    if user.is_suspended():
        raise PermissionDenied(_("Your account is suspended."))
    token, raw = tokens.create(session, user, body.name, list(body.scopes), body.expires_in_days)
    db.commit()
    return schemas.NewToken(**_token(token).model_dump(), token=raw), 201


def _throttle() -> LoginThrottle | None:
    from app.accounts.views import _login_throttle

    return _login_throttle()


@bp.get("/tokens")
@api_access("member", "read")
@spec.validate(resp=Response(HTTP_200=schemas.TokenList, **Errors), tags=["tokens"], security=_secured("read"))
def list_tokens():
    """The calling member's live tokens."""
    return schemas.TokenList(tokens=[_token(t) for t in tokens.live(db.session(), current_user)])


@bp.delete("/tokens/<id:token_id>")
@api_access("member", "read", owner=True)
@spec.validate(resp=Response("HTTP_204", **Errors), tags=["tokens"], security=_secured("read"))
def revoke_token(token_id: int):
    """Revoke one of the calling member's tokens (the one in use included)."""
    tokens.revoke(db.session(), current_user, token_id)
    db.commit()
    return "", 204


# --- reading -----------------------------------------------------------------------------------------


@bp.get("/boards")
@api_access("visitor")
@spec.validate(resp=Response(HTTP_200=schemas.BoardList, **Errors), tags=["reading"])
def boards():
    """Every board, in the order the community shows them."""
    rows = forum.list_boards(db.session())
    return schemas.BoardList(
        boards=[
            schemas.Board(slug=b.slug, name=b.name, description=b.description, question_count=b.question_count)
            for b in rows
        ]
    )


@bp.get("/questions")
@api_access("visitor")
@spec.validate(query=schemas.QuestionQuery, resp=Response(HTTP_200=schemas.QuestionList, **Errors), tags=["reading"])
def questions():
    """Public questions by latest activity, filtered; follow `next` for the following page."""
    query: schemas.QuestionQuery = request.context.query
    session = db.session()
    board = forum.get_board(session, query.board) if query.board else None
    page = forum.list_questions(
        session,
        board,
        filter=query.status,
        tag=query.tag,
        after=query.cursor,
        limit=query.limit,
        sort=query.sort,
        language=query.language,
    )
    following = None
    if page.next_cursor:
        args = {k: v for k, v in query.model_dump().items() if v not in (None, "all", "activity") and k != "cursor"}
        following = url_for("api.questions", **args, cursor=page.next_cursor, _external=True)
    return schemas.QuestionList(questions=_listed(session, page.questions), next=following)


@bp.get("/questions/<id:question_id>")
@api_access("visitor")
@spec.validate(resp=Response(HTTP_200=schemas.QuestionDetail, **Errors), tags=["reading"])
def question(question_id: int):
    """A question with its answers (the accepted one first), tags and counts."""
    return _question_detail(db.session(), question_id)


@bp.get("/members/<username>")
@api_access("visitor")
@spec.validate(resp=Response(HTTP_200=schemas.Member, **Errors), tags=["reading"])
def member(username: str):
    """A member's public standing: points, rank, solutions and badges."""
    session = db.session()
    user = accounts.user_by_username(session, username[:40])
    standing = reputation.standing(user)
    return schemas.Member(
        username=user.username,
        name=user.name,
        bio=user.bio,
        role=user.role,
        points=standing.points,
        rank=str(standing.rank.name),
        solution_count=standing.solutions,
        badges=[
            schemas.Badge(key=b.key, name=str(b.name), awarded_at=at) for b, at in reputation.badges_of(session, user)
        ],
        joined_at=user.created_at,
    )


@bp.get("/search")
@api_access("visitor")
@spec.validate(query=schemas.SearchQuery, resp=Response(HTTP_200=schemas.SearchResults, **Errors), tags=["reading"])
def search():
    """Full-text search over the questions the caller may see."""
    query: schemas.SearchQuery = request.context.query
    session = db.session()
    wanted = SearchQuery(
        text=query.q,
        board=query.board,
        solved={"solved": True, "unsolved": False}.get(query.status),
        unanswered=query.status == "unanswered",
        page=query.page,
    )
    found = search_service.search(session, current_app.extensions["agora_search"], wanted, autocorrect=False)
    rows = [question for question, _hit in found.questions]
    summaries = {s.id: s for s in _listed(session, _with_lists(session, rows))}
    return schemas.SearchResults(
        total=found.result.total,
        page=query.page,
        results=[
            schemas.SearchHit(question=summaries[q.id], snippet=hit.snippet_html)
            for q, hit in found.questions
            if q.id in summaries
        ],
    )


def _with_lists(session, rows: list[Question]) -> list[Question]:
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


# --- writing -----------------------------------------------------------------------------------------


def _post_limit() -> str:
    return limit_for("POST_RATE_LIMIT")


@bp.post("/questions")
@api_access("member", "write")
@limiter.limit(_post_limit, key_func=user_or_address)
@spec.validate(
    json=schemas.Ask,
    resp=Response(HTTP_201=schemas.QuestionDetail, **Errors),
    tags=["writing"],
    security=_secured("write"),
)
def ask():
    """Ask a question (the listening rules mask private data, as on the site)."""
    body: schemas.Ask = request.context.json
    require(current_user, "ask", None, _("Your account is suspended, so you can't ask questions right now."))
    session = db.session()
    draft = forum.QuestionDraft(body.board, body.title, body.body, tuple(body.tags), body.language)
    asked = forum.ask_question(session, current_user, draft)
    db.commit()
    return _question_detail(session, asked.id), 201


@bp.patch("/questions/<id:question_id>")
@api_access("member", "write", owner=True)
@spec.validate(
    json=schemas.EditQuestion,
    resp=Response(HTTP_200=schemas.QuestionDetail, **Errors),
    tags=["writing"],
    security=_secured("write"),
)
def edit_question(question_id: int):
    """Edit a question: send only the fields that change."""
    body: schemas.EditQuestion = request.context.json
    session = db.session()
    current = forum.access_question(session, current_user, question_id, for_action="edit_question")
    draft = forum.QuestionDraft(
        body.board or _board_slug(session, current.board_id),
        body.title if body.title is not None else current.title,
        body.body if body.body is not None else current.body_source,
        tuple(body.tags) if body.tags is not None else tuple(_tag_names(session, current.id)),
        body.language,
    )
    forum.edit_question(session, current_user, question_id, draft)
    db.commit()
    return _question_detail(session, question_id)


@bp.post("/questions/<id:question_id>/answers")
@api_access("member", "write")
@limiter.limit(_post_limit, key_func=user_or_address)
@spec.validate(
    json=schemas.Reply, resp=Response(HTTP_201=schemas.Answer, **Errors), tags=["writing"], security=_secured("write")
)
def answer(question_id: int):
    """Answer a question."""
    body: schemas.Reply = request.context.json
    session = db.session()
    posted = forum.post_answer(session, current_user, question_id, forum.AnswerDraft(body.body, body.language))
    db.commit()
    return _answer(posted, current_user), 201


@bp.patch("/answers/<id:answer_id>")
@api_access("member", "write", owner=True)
@spec.validate(
    json=schemas.Reply, resp=Response(HTTP_200=schemas.Answer, **Errors), tags=["writing"], security=_secured("write")
)
def edit_answer(answer_id: int):
    """Edit an answer."""
    body: schemas.Reply = request.context.json
    session = db.session()
    edited = forum.edit_answer(session, current_user, answer_id, forum.AnswerDraft(body.body, body.language))
    db.commit()
    return _answer(edited, session.get(User, edited.author_id))


def _kudo_limit() -> str:
    from app.reputation import rules

    return rules.POINTS.kudos_per_minute


@bp.post("/<any(questions, answers):kind>/<id:post_id>/kudos")
@api_access("member", "write")
@limiter.limit(_kudo_limit, key_func=user_or_address)
@spec.validate(resp=Response(HTTP_200=schemas.Kudos, **Errors), tags=["writing"], security=_secured("write"))
def give_kudo(kind: str, post_id: int):
    """Give kudos to a question or an answer."""
    post = reputation.give_kudo(db.session(), current_user, kind.removesuffix("s"), post_id)
    db.commit()
    return schemas.Kudos(kudos_count=post.kudos_count, given=True)


@bp.delete("/<any(questions, answers):kind>/<id:post_id>/kudos")
@api_access("member", "write")
@limiter.limit(_kudo_limit, key_func=user_or_address)
@spec.validate(resp=Response(HTTP_200=schemas.Kudos, **Errors), tags=["writing"], security=_secured("write"))
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
    security=_secured("write"),
)
def accept(question_id: int):
    """Accept an answer as the solution (the asker, or a moderator)."""
    body: schemas.Accept = request.context.json
    accepted = reputation.accept_answer(db.session(), current_user, question_id, body.answer_id)
    db.commit()
    return schemas.Solution(question_id=question_id, accepted_answer_id=accepted.id)


@bp.delete("/questions/<id:question_id>/solution")
@api_access("member", "write", owner=True)
@spec.validate(resp=Response(HTTP_200=schemas.Solution, **Errors), tags=["writing"], security=_secured("write"))
def clear_solution(question_id: int):
    """Clear the accepted solution."""
    reputation.clear_solution(db.session(), current_user, question_id)
    db.commit()
    return schemas.Solution(question_id=question_id, accepted_answer_id=None)


def _flag_limit() -> str:
    return limit_for("FLAG_RATE_LIMIT")


@bp.post("/<any(questions, answers):kind>/<id:post_id>/flags")
@api_access("member", "write")
@limiter.limit(_flag_limit, key_func=user_or_address)
@spec.validate(
    json=schemas.FlagRequest,
    resp=Response(HTTP_201=schemas.Flagged, **Errors),
    tags=["writing"],
    security=_secured("write"),
)
def flag(kind: str, post_id: int):
    """Flag a post for the moderators."""
    body: schemas.FlagRequest = request.context.json
    session = db.session()
    access_post(session, current_user, kind.removesuffix("s"), post_id)
    raised = moderation.flag_post(session, current_user, kind.removesuffix("s"), post_id, body.reason, body.note)
    db.commit()
    return schemas.Flagged(id=raised.id, status=raised.status), 201


# --- moderation and staff ----------------------------------------------------------------------------


def _case_summary(case: Case) -> schemas.CaseSummary:
    return schemas.CaseSummary(
        id=case.id,
        question_id=case.question_id,
        category=case.category,
        priority=case.priority,
        status=case.status,
        customer=_author(case.customer),
        assignee=_author(case.assignee) if case.assignee is not None else None,
        opened_at=case.opened_at,
        due_at=case.due_at,
        is_overdue=escalation.is_overdue(case),
    )


def _case_detail(case: Case) -> schemas.CaseDetail:
    return schemas.CaseDetail(
        **_case_summary(case).model_dump(),
        public_note=case.public_note,
        public_resolution=case.public_resolution,
        first_staff_response_at=case.first_staff_response_at,
        resolved_at=case.resolved_at,
        moves=[move.action for move in escalation.available_moves(current_user, case)],
    )


@bp.post("/questions/<id:question_id>/escalate")
@api_access("moderator", "moderate")
@spec.validate(
    json=schemas.Escalate,
    resp=Response(HTTP_201=schemas.CaseDetail, **Errors),
    tags=["moderation"],
    security=_secured("moderate"),
)
def escalate(question_id: int):
    """Take a question to staff as a private case."""
    body: schemas.Escalate = request.context.json
    session = db.session()
    draft = escalation.EscalationDraft(category=body.category, priority=body.priority, public_note=body.public_note)
    case = escalation.escalate(session, current_user, question_id, draft, answer_id=body.answer_id)
    db.commit()
    return _case_detail(escalation.access_case(session, current_user, case.id)), 201


@bp.get("/cases")
@api_access("staff", "staff")
@spec.validate(
    query=schemas.CaseQuery,
    resp=Response(HTTP_200=schemas.CaseList, **Errors),
    tags=["cases"],
    security=_secured("staff"),
)
def cases():
    """The staff inbox, with its filters."""
    query: schemas.CaseQuery = request.context.query
    filters = escalation.InboxFilter(
        status=query.status,
        category=query.category,
        priority=query.priority,
        assignee=query.assignee,
        overdue=query.overdue,
    )
    inbox = escalation.inbox(db.session(), current_user, filters)
    return schemas.CaseList(cases=[_case_summary(c) for c in inbox.cases], counts=inbox.counts)


@bp.get("/cases/<id:case_id>")
@api_access("member", "read", owner=True)
@spec.validate(resp=Response(HTTP_200=schemas.CaseDetail, **Errors), tags=["cases"], security=_secured("read"))
def case(case_id: int):
    """A case: for its customer, staff, and (its status only) moderators."""
    return _case_detail(escalation.access_case(db.session(), current_user, case_id))


def _message(message: CaseMessage, author: User | None) -> schemas.CaseMessage:
    return schemas.CaseMessage(
        id=message.id,
        author=_author(author),
        body_markdown=message.body_source,
        body_html=message.body_html,
        internal=message.is_internal,
        created_at=message.created_at,
    )


@bp.get("/cases/<id:case_id>/messages")
@api_access("member", "read", owner=True)
@spec.validate(resp=Response(HTTP_200=schemas.CaseMessages, **Errors), tags=["cases"], security=_secured("read"))
def case_messages(case_id: int):
    """The conversation: internal notes only for staff."""
    session = db.session()
    found = escalation.access_case(session, current_user, case_id)
    require(current_user, "read_case", found, _("Only the customer and staff read a case's conversation."))
    rows = escalation.messages_for(session, current_user, found)
    authors = _users(session, [m.author_id for m in rows])
    return schemas.CaseMessages(messages=[_message(m, authors.get(m.author_id)) for m in rows])


@bp.post("/cases/<id:case_id>/messages")
@api_access("member", "write", owner=True)
@limiter.limit(_post_limit, key_func=user_or_address)
@spec.validate(
    json=schemas.PostCaseMessage,
    resp=Response(HTTP_201=schemas.CaseMessage, **Errors),
    tags=["cases"],
    security=_secured("write"),
)
def post_case_message(case_id: int):
    """Reply on a case (customer or staff), or add an internal note (staff token with the staff scope)."""
    body: schemas.PostCaseMessage = request.context.json
    if body.internal and "staff" not in g.api_token.scope_set:
        raise PermissionDenied(_("Internal notes need a token with the “staff” scope."))
    posted = escalation.post_message(db.session(), current_user, case_id, body.body, internal=body.internal)
    db.commit()
    return _message(posted, current_user), 201


@bp.post("/cases/<id:case_id>/status")
@api_access("member", "write", owner=True)
@spec.validate(
    json=schemas.CaseMove,
    resp=Response(HTTP_200=schemas.CaseDetail, **Errors),
    tags=["cases"],
    security=_secured("write"),
)
def case_status(case_id: int):
    """Move a case along its workflow (one of its `moves`)."""
    body: schemas.CaseMove = request.context.json
    session = db.session()
    escalation.transition(session, current_user, case_id, body.action, body.public_resolution)
    db.commit()
    return _case_detail(escalation.access_case(session, current_user, case_id))


@bp.post("/cases/<id:case_id>/assignee")
@api_access("staff", "staff")
@spec.validate(
    json=schemas.Assign,
    resp=Response(HTTP_200=schemas.CaseDetail, **Errors),
    tags=["cases"],
    security=_secured("staff"),
)
def assign(case_id: int):
    """Assign a case to a staff member (or to nobody)."""
    body: schemas.Assign = request.context.json
    session = db.session()
    escalation.assign(session, current_user, case_id, body.assignee)
    db.commit()
    return _case_detail(escalation.access_case(session, current_user, case_id))


# --- the description ---------------------------------------------------------------------------------


def description() -> dict:
    """The OpenAPI 3.1 description of this app's API routes, from the routes and their models."""
    document = spec.spec
    for path in document.get("paths", {}).values():
        for operation in path.values():
            for parameter in operation.get("parameters", []):
                if parameter.get("in") == "path" and parameter.get("schema") is None:
                    # Our `id` converter: a positive 31-bit integer (anything else is a 404 before any query).
                    parameter["schema"] = {"type": "integer", "minimum": 1, "maximum": 2**31 - 1}
    return document


@bp.get("/openapi.json")
@api_access("visitor")
def openapi():
    """This API's OpenAPI 3.1 description."""
    return description()


@bp.get("/docs")
@api_access("visitor")
def docs():
    """The API's reference as a page: rendered here from the description, no script, nothing from a CDN."""
    return render_template("api/docs.html", api=description())

"""Reading over the API: boards, questions, a question with its answers, members, search."""

from __future__ import annotations

from flask import current_app, request, url_for
from spectree import Response

from app.accounts import service as accounts
from app.api import schemas, shapes
from app.api.auth import api_access
from app.api.blueprint import Errors, bp, spec
from app.db import db
from app.forum import service as forum
from app.reputation import service as reputation
from app.search import service as search_service
from app.search.backend import SearchQuery

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
    return schemas.QuestionList(questions=shapes.listed(session, page.questions), next=following)


@bp.get("/questions/<id:question_id>")
@api_access("visitor")
@spec.validate(resp=Response(HTTP_200=schemas.QuestionDetail, **Errors), tags=["reading"])
def question(question_id: int):
    """A question with its answers (the accepted one first), tags and counts."""
    return shapes.question_detail(db.session(), question_id)


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
    summaries = {s.id: s for s in shapes.listed(session, shapes.with_lists(session, rows))}
    return schemas.SearchResults(
        total=found.result.total,
        total_capped=found.result.capped,
        page=query.page,
        results=[
            schemas.SearchHit(question=summaries[q.id], snippet=hit.snippet_html)
            for q, hit in found.questions
            if q.id in summaries
        ],
    )

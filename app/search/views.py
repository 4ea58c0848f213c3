"""The search page and the "similar questions" lookup used while a customer types a title."""

from __future__ import annotations

import re
from datetime import date
from functools import partial

from flask import Blueprint, current_app, jsonify, render_template, request, url_for
from flask_babel import gettext as _

from app.auth.access import access
from app.db import db
from app.errors import BadRequest
from app.ids import parse_id
from app.search import service
from app.search.backend import QUERY_MAX, IndexUnavailable, SearchQuery
from app.search.recovery import Recovery
from app.web.locale import post_language

bp = Blueprint("search", __name__)

STATUSES = ("", "solved", "unsolved", "unanswered")
SLUG = re.compile(r"^[a-z0-9-]{1,60}$")


def _backend():
    return current_app.extensions["agora_search"]


def _recovery() -> Recovery:
    return current_app.extensions["agora_search_recovery"]


def _date(name: str) -> date | None:
    raw = request.args.get(name) or ""
    if not raw:
        return None
    try:
        return date.fromisoformat(raw)
    except ValueError:
        raise BadRequest(_("Use dates like 2026-11-26.")) from None


def _filters() -> tuple[str, str, str | None, str | None]:
    """Status, sort, board and tag from the query string, each checked against what exists."""
    status, sort = request.args.get("status", ""), request.args.get("sort", "relevance")
    board, tag = request.args.get("board") or None, request.args.get("tag") or None
    if status not in STATUSES:
        raise BadRequest(_("Unknown filter “%(name)s”.", name=status[:30]))
    if sort not in ("relevance", "newest"):
        raise BadRequest(_("Unknown sort order."))
    if (board and not SLUG.match(board)) or (tag and not SLUG.match(tag.lower())):
        raise BadRequest(_("Unknown board or tag."))
    return status, sort, board, tag.lower() if tag else None


def _query() -> SearchQuery:
    text = request.args.get("q", "")
    if len(text) > QUERY_MAX:
        raise BadRequest(_("That search is too long: use at most %(n)d characters.", n=QUERY_MAX))
    status, sort, board, tag = _filters()
    page = parse_id(request.args.get("page", "1"))  # a page number is read like an id: ASCII digits, in range
    if page is None or page > 500:
        raise BadRequest(_("That page of results doesn't exist."))
    date_from, date_to = _date("from"), _date("to")
    if date_from and date_to and date_from > date_to:
        raise BadRequest(_("The start date is after the end date."))
    solved = True if status == "solved" else False if status == "unsolved" else None
    return SearchQuery(text=text, board=board, tag=tag, solved=solved, unanswered=status == "unanswered",
                       language=post_language(request.args.get("language")),
                       date_from=date_from, date_to=date_to, sort=sort, page=page)


@bp.get("/search")
@access("visitor")
def search():
    from app.forum import service as forum

    boards = forum.list_boards(db.session(), include_archived=True)
    try:
        query = _query()
    except BadRequest as error:
        shown = request.args.get("q", "")[:QUERY_MAX]
        return render_template(
            "search/results.html", query=None, text=shown, found=None, boards=boards, error=error.message
        ), 400
    page = partial(render_template, "search/results.html", query=query, text=query.text, boards=boards)
    found, rebuilding = None, _recovery().check()
    if query.text.strip() or query.board or query.tag or query.solved is not None or query.unanswered:
        try:
            found = service.search(db.session(), _backend(), query, autocorrect=request.args.get("exact") != "1")
        except IndexUnavailable:
            rebuilding = _recovery().start()
        except Exception:
            current_app.logger.exception("search failed for %r", query.text)
            return page(found=None, error=_("We couldn't understand that search. Try plain words.")), 400
    return page(found=found, error=None, rebuilding=rebuilding)


@bp.get("/search/similar")
@access("visitor")
def similar():
    """Up to five existing questions like a draft title (solved first), for the ask form; with `exclude`, the
    questions related to that one, for the list beside it."""
    title = (request.args.get("title") or "")[:200]
    if len(title.strip()) < 4:
        return jsonify(questions=[])
    exclude = parse_id(request.args.get("exclude") or "")
    try:
        questions = service.similar(db.session(), _backend(), title, exclude_id=exclude)
    except IndexUnavailable:
        _recovery().start()
        questions = []
    return jsonify(
        questions=[
            {
                "id": q.id,
                "title": q.title,
                "language": q.language,
                "url": url_for("forum.question", question_id=q.id, slug=q.slug),
                "solved": q.is_solved,
                "answers": q.answer_count,
            }
            for q in questions
        ]
    )

"""Kudos and solutions (POST forms that also answer JSON), leaderboards, superfans, badges, points history."""

from __future__ import annotations

from flask import Blueprint, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from app.accounts import service as accounts
from app.auth.access import access
from app.db import db
from app.extensions import limiter, user_or_address
from app.forum.models import Answer
from app.ids import cursor_id, parse_id
from app.reputation import rules, service

bp = Blueprint("reputation", __name__)


def _kudo_limit() -> str:
    return rules.POINTS.kudos_per_minute


def _wants_json() -> bool:
    return request.accept_mimetypes.best == "application/json"


def _after_kudo(kind: str, post):
    db.commit()
    if _wants_json():
        return jsonify(kudos=post.kudos_count, given=(request.endpoint or "").endswith("give"))
    question_id = post.question_id if isinstance(post, Answer) else post.id
    anchor = f"answer-{post.id}" if isinstance(post, Answer) else "question"
    return redirect(url_for("forum.question", question_id=question_id, _anchor=anchor))


@bp.post("/<any(questions, answers):kind>/<id:post_id>/kudos")
@access("member")
@limiter.limit(_kudo_limit, key_func=user_or_address)
def kudo_give(kind: str, post_id: int):
    post = service.give_kudo(db.session(), current_user, kind.removesuffix("s"), post_id)
    return _after_kudo(kind, post)


@bp.post("/<any(questions, answers):kind>/<id:post_id>/kudos/withdraw")
@access("member")
@limiter.limit(_kudo_limit, key_func=user_or_address)
def kudo_withdraw(kind: str, post_id: int):
    post = service.withdraw_kudo(db.session(), current_user, kind.removesuffix("s"), post_id)
    return _after_kudo(kind, post)


@bp.post("/questions/<id:question_id>/solution")
@access("member", owner=True)
def accept(question_id: int):
    # A missing or malformed id is "no such answer" (404), after the permission check.
    answer_id = parse_id(request.form.get("answer_id")) or 0
    answer = service.accept_answer(db.session(), current_user, question_id, answer_id)
    db.commit()
    return redirect(url_for("forum.question", question_id=question_id, _anchor=f"answer-{answer.id}"))


@bp.post("/questions/<id:question_id>/solution/clear")
@access("member", owner=True)
def clear(question_id: int):
    service.clear_solution(db.session(), current_user, question_id)
    db.commit()
    return redirect(url_for("forum.question", question_id=question_id))


@bp.get("/leaderboard")
@access("visitor")
def leaderboard():
    period = request.args.get("period", "week")
    helpers = service.top_helpers(db.session(), period)
    return render_template("reputation/leaderboard.html", helpers=helpers, period=period)


@bp.get("/superfans")
@access("visitor")
def superfans():
    members = service.superfans(db.session())
    return render_template("reputation/superfans.html", members=members, ranks=rules.RANKS)


@bp.get("/badges")
@access("visitor")
def badges():
    return render_template("reputation/badges.html", badges=rules.BADGES, ranks=rules.RANKS)


@bp.get("/users/<username>/points")
@access("visitor")
def points(username: str):
    session = db.session()
    user = accounts.user_by_username(session, username)
    before = cursor_id(request.args.get("before"))
    page = service.ledger(session, user, before=before)
    return render_template("reputation/points.html", user=user, page=page, reasons=REASONS())


def REASONS() -> dict[str, str]:
    return {
        "answer_posted": _("Posted an answer"),
        "kudo_received": _("Received kudos"),
        "kudo_withdrawn": _("Kudos withdrawn"),
        "answer_accepted": _("Answer accepted as the solution"),
        "solution_marked": _("Marked a solution on own question"),
        "acceptance_undone": _("Solution changed or cleared"),
        "post_hidden": _("Post hidden by a moderator"),
        "post_restored": _("Post restored"),
    }

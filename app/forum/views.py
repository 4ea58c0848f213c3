"""Pages for boards, questions and answers."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from flask import Blueprint, abort, current_app, flash, jsonify, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user
from wtforms import SelectChoice

from app import content
from app.auth.access import access
from app.auth.permissions import require
from app.auth.visibility import Withdrawn
from app.db import db
from app.escalation import service as escalation
from app.extensions import limit_for, limiter, user_or_address
from app.forum import service
from app.forum.forms import AnswerForm, PreviewForm, QuestionForm
from app.forum.models import Answer, Question
from app.notifications import service as notifications
from app.reputation import service as reputation
from app.web import form_status, submitted
from app.web.locale import post_language

bp = Blueprint("forum", __name__)
Draft = TypeVar("Draft", service.QuestionDraft, service.AnswerDraft)


def _post_limit() -> str:
    return limit_for("POST_RATE_LIMIT")


def _board_choices(form: QuestionForm) -> None:
    form.board.choices = [SelectChoice(b.slug, b.name) for b in service.list_boards(db.session())]


def _question_draft(form: QuestionForm) -> service.QuestionDraft:
    """The asked or edited question, parsed from its form (tags normalised; ValidationFailed if bad)."""
    return service.QuestionDraft(
        board_slug=form.board.data,
        title=form.title.data,
        body=form.body.data,
        tags=service.parse_tags(form.tags.data or ""),
        language=form.language.data or None,
    )


def _list_args() -> dict:
    return {
        "filter": request.args.get("filter", "all"),
        "tag": request.args.get("tag") or None,
        "after": request.args.get("after") or None,
        "language": post_language(request.args.get("language")),
    }


def _question_url(question: Question) -> str:
    return url_for("forum.question", question_id=question.id, slug=question.slug)


def _answer_url(answer: Answer) -> str:
    return url_for(
        "forum.question", question_id=answer.question_id, slug=answer.question.slug, _anchor=f"answer-{answer.id}"
    )


def _preview_html(body: str) -> str:
    """The draft as it would be stored: private data masked, then rendered."""
    return content.render(service.screened_text(db.session(), body))


@dataclass(frozen=True)
class Outcome:
    """Where a valid post form leads: a preview, a confirmation step first, or on to what was saved."""

    preview: str | None = None
    keywords: tuple[str, ...] = ()  # billing or account words in a question: private help is offered first
    similar: tuple = ()  # existing questions like the one being asked
    redirect_to: str | None = None
    notice: str | None = None  # flashed once the work is committed

    @property
    def confirming(self) -> bool:
        return bool(self.keywords or self.similar)

    @property
    def status(self) -> int:
        """A preview or a confirmation step is a page like any other; a refused form comes back with 422."""
        return 200 if self.preview is not None or self.confirming else form_status()


NOT_YET = Outcome()  # a form shown for the first time, or refused


def _ask_outcome(form: QuestionForm) -> Outcome:
    """A valid ask form leads to a preview, a private case, a confirmation step, or the posted question. The
    confirmation (private help for billing or account words, or an existing answer) comes once: "Post
    publicly anyway" then posts."""
    session, draft = db.session(), _question_draft(form)
    if form.preview.data:
        return Outcome(preview=_preview_html(draft.body))
    if request.form.get("ask_private"):
        case = escalation.ask_privately(session, current_user, draft, request.form.get("private_category", "billing"))
        notice = _("Your question went to our staff privately. You'll hear from them here.")
        return Outcome(redirect_to=url_for("escalation.case", case_id=case.id), notice=notice)
    if not form.public_confirmed.data:
        keywords = service.private_help_keywords(session, draft.title, draft.body)
        similar = _similar_questions(draft.title)
        if keywords or similar:
            return Outcome(keywords=tuple(keywords), similar=tuple(similar))
    return Outcome(redirect_to=_question_url(service.ask_question(session, current_user, draft)))


def _edit_round(
    form: QuestionForm | AnswerForm,
    draft_of: Callable[[], Draft],
    save: Callable[[Draft], str],
    template: str,
    **context: Any,
) -> ResponseReturnValue:
    """One round of an edit form: Preview shows the draft and saves nothing; Save stores it (`save` names
    where the post now is) and goes there; a refused draft comes back on the form with 422."""

    def work() -> Outcome:
        draft = draft_of()
        if form.preview.data:
            return Outcome(preview=_preview_html(draft.body))
        return Outcome(redirect_to=save(draft))

    outcome = submitted(form, work) or NOT_YET
    if outcome.redirect_to:
        return redirect(outcome.redirect_to)
    return render_template(template, form=form, preview=outcome.preview, **context), outcome.status


def _similar_questions(title: str) -> list:
    """Existing questions like this one (solved first); a search failure never blocks asking."""
    from app.search import service as search

    try:
        return search.similar(db.session(), current_app.extensions["agora_search"], title)
    except Exception:
        current_app.logger.exception("similar-questions lookup failed")
        return []


@bp.get("/")
@access("visitor")
def index():
    session = db.session()
    boards = service.list_boards(session)
    language = post_language(request.args.get("language"))
    page = service.list_questions(session, limit=current_app.config["PAGE_SIZE"], language=language)
    return render_template("forum/index.html", boards=boards, page=page, language=language)


@bp.get("/questions")
@access("visitor")
def questions():
    args = _list_args()
    page = service.list_questions(db.session(), limit=current_app.config["PAGE_SIZE"], **args)
    return render_template("forum/questions.html", board=None, page=page, **args)


@bp.get("/boards/<slug>")
@access("visitor")
def board(slug: str):
    session = db.session()
    board = service.get_board(session, slug)
    args = _list_args()
    page = service.list_questions(session, board=board, limit=current_app.config["PAGE_SIZE"], **args)
    first_page = not args["after"] and args["filter"] == "all" and not args["tag"] and not args["language"]
    pinned = service.pinned_questions(session, board) if first_page else []
    following = notifications.is_following(session, current_user, board_id=board.id)
    return render_template("forum/questions.html", board=board, page=page, pinned=pinned, following=following, **args)


@bp.get("/questions/<id:question_id>")
@bp.get("/questions/<id:question_id>/<slug>")
@access("visitor")
def question(question_id: int, slug: str | None = None, answer_form: AnswerForm | None = None, status: int = 200):
    session = db.session()
    try:
        question = service.access_question(session, current_user, question_id)
    except Withdrawn as withdrawn:
        return render_template("forum/withdrawn.html", withdrawn=withdrawn)
    if slug != question.slug and request.method == "GET":
        return redirect(url_for("forum.question", question_id=question.id, slug=question.slug), 301)
    answers = service.answers_for(session, question, current_user)
    form = answer_form or AnswerForm()
    if answer_form is None and current_user.is_authenticated:
        form.language.data = current_user.locale  # a post is, at first, in its author's interface language
    previewing = answer_form is not None and form.preview.data and form.body.data
    return render_template(
        "forum/question.html",
        question=question,
        answers=answers,
        form=form,
        preview=_preview_html(form.body.data) if previewing else None,
        kudoed=reputation.kudoed_post_ids(session, current_user, question, answers),
        following=notifications.is_following(session, current_user, question_id=question.id),
    ), status


@bp.route("/ask", methods=["GET", "POST"])
@access("member")
@limiter.limit(_post_limit, key_func=user_or_address, methods=["POST"])
def ask():
    require(current_user, "ask", None, _("Your account is suspended, so you can't ask questions right now."))
    form = QuestionForm()
    _board_choices(form)
    if request.method == "GET":
        form.language.data = current_user.locale  # a post is, at first, in its author's interface language
        if request.args.get("board"):
            form.board.data = request.args["board"]
    outcome = submitted(form, lambda: _ask_outcome(form)) or NOT_YET
    if outcome.redirect_to:
        if outcome.notice:
            flash(outcome.notice, "success")
        return redirect(outcome.redirect_to)
    return render_template(
        "forum/ask.html",
        form=form,
        preview=outcome.preview,
        keywords=outcome.keywords,
        similar=outcome.similar,
        confirming=outcome.confirming,
    ), outcome.status


@bp.post("/ask/check")
@access("member")
def ask_check():
    """For the ask form's script: does the draft look like a billing or account matter?"""
    title = request.form.get("title", "")[:200]
    return jsonify(keywords=service.private_help_keywords(db.session(), title, _scripted_body()))


@bp.post("/questions/<id:question_id>/answers")
@access("member")
@limiter.limit(_post_limit, key_func=user_or_address)
def answer(question_id: int):
    form = AnswerForm()

    def post() -> Answer | None:  # Preview validates too, so its errors show, but posts nothing
        if form.preview.data:
            return None
        draft = service.AnswerDraft(form.body.data, language=form.language.data or None)
        return service.post_answer(db.session(), current_user, question_id, draft)

    posted = submitted(form, post)
    if posted is not None:
        return redirect(_answer_url(posted))
    status = 200 if form.preview.data and not form.errors else 422
    return question(question_id, answer_form=form, status=status)


def _question_fields(question: Question) -> dict:
    """The edit form's starting values: the question as it stands."""
    tags = ", ".join(tag.name for tag in question.tags)
    return {
        "board": question.board.slug,
        "title": question.title,
        "body": question.body_source,
        "tags": tags,
        "language": question.language,
    }


@bp.route("/questions/<id:question_id>/edit", methods=["GET", "POST"])
@access("member", owner=True)
def edit_question(question_id: int):
    session = db.session()
    question = service.access_question(session, current_user, question_id, for_action="edit_question")
    form = QuestionForm(data=_question_fields(question) if request.method == "GET" else None)
    _board_choices(form)
    return _edit_round(
        form,
        lambda: _question_draft(form),
        lambda draft: _question_url(service.edit_question(session, current_user, question_id, draft)),
        "forum/edit_question.html",
        question=question,
    )


@bp.route("/answers/<id:answer_id>/edit", methods=["GET", "POST"])
@access("member", owner=True)
def edit_answer(answer_id: int):
    session = db.session()
    answer = service.access_answer(session, current_user, answer_id, for_action="edit_answer")
    form = AnswerForm(
        data={"body": answer.body_source, "language": answer.language} if request.method == "GET" else None
    )
    return _edit_round(
        form,
        lambda: service.AnswerDraft(form.body.data, language=form.language.data or None),
        lambda draft: _answer_url(service.edit_answer(session, current_user, answer_id, draft)),
        "forum/edit_answer.html",
        answer=answer,
    )


@bp.get("/answers/<id:answer_id>")
@access("visitor")
def answer_link(answer_id: int):
    """A stable link to one answer: its place on the question page."""
    return redirect(_answer_url(service.access_answer(db.session(), current_user, answer_id)))


@bp.get("/questions/<id:question_id>/history")
@access("visitor")
def question_history(question_id: int):
    session = db.session()
    question = service.access_question(session, current_user, question_id)
    changes = service.history(service.revisions_of(session, question=question))
    return render_template("forum/history.html", question=question, answer=None, changes=changes)


@bp.get("/answers/<id:answer_id>/history")
@access("visitor")
def answer_history(answer_id: int):
    session = db.session()
    answer = service.access_answer(session, current_user, answer_id)
    changes = service.history(service.revisions_of(session, answer=answer))
    return render_template("forum/history.html", question=answer.question, answer=answer, changes=changes)


@bp.post("/preview")
@access("member")
def preview():
    """Live preview for the Markdown editors (JS); the forms' Preview buttons do the same without JS."""
    return jsonify(html=_preview_html(_scripted_body()))


def _scripted_body() -> str:
    """The draft body the editor's script sends (with its CSRF token), or 400."""
    form = PreviewForm()
    if not form.validate_on_submit():
        abort(400)
    return form.body.data or ""

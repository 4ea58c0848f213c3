"""Pages for boards, questions and answers."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from flask import Blueprint, abort, current_app, flash, jsonify, redirect, render_template, request, url_for
from flask import session as browser_session
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user
from wtforms import SelectChoice

from app import content
from app.attachments.views import store_uploads
from app.auth.access import access
from app.auth.permissions import require
from app.auth.visibility import Withdrawn
from app.db import db
from app.errors import NotFound
from app.escalation import service as escalation
from app.escalation.workflow import ACTIVE_STATES
from app.extensions import limiter, post_limit, user_or_address
from app.forum import fragments, service, view_counts
from app.forum.forms import (
    AnswerForm,
    DraftForm,
    EditAnswerForm,
    EditQuestionForm,
    PreviewForm,
    QuestionForm,
    RollbackForm,
    TagDescriptionForm,
)
from app.forum.models import Answer, Board, Question
from app.ids import parse_id
from app.notifications import service as notifications
from app.reputation import service as reputation
from app.search import related
from app.search.backend import IndexUnavailable
from app.web import form_status, submitted
from app.web.forms import submitted_action
from app.web.locale import post_language

bp = Blueprint("forum", __name__)
bp.record_once(lambda state: fragments.register_fragments(state.app))
Draft = TypeVar("Draft", service.QuestionDraft, service.AnswerDraft)


def _posted(response) -> bool:
    """Only what was posted counts against the limit: a preview, a confirmation step or a refused form is a
    page, not a post (a newcomer's first question used to end in "Slow down" after preview and confirm)."""
    return response.status_code in (302, 303)


def _seen_ids(text: str | None) -> set[int]:
    """The question ids the ask form's script showed as similar ("12,40"); anything else is ignored."""
    return {int(part) for part in (text or "").split(",")[:20] if part.strip().isdigit() and len(part) < 12}


def _board_choices(form: QuestionForm, current: Board | None = None) -> None:
    """The boards open for questions, and the edited question's own board even when it is archived."""
    boards = service.list_boards(db.session())
    if current is not None and current.is_archived:
        boards.append(current)
    form.board.choices = [SelectChoice(b.slug, b.name) for b in boards]


def _max_attachments() -> int:
    return current_app.config["ATTACHMENTS_PER_POST"]


def _take_files(form: QuestionForm | AnswerForm) -> None:
    """Files sent with the form (no script): stored now, and linked from the text, which keeps them from here on
    (through Preview, a confirmation step or a refused form)."""
    form.body.data = store_uploads(form.body.data)


def _question_draft(form: QuestionForm) -> service.QuestionDraft:
    """The asked or edited question, parsed from its form (tags normalised; ValidationFailed if bad)."""
    _take_files(form)
    return service.QuestionDraft(
        board_slug=form.board.data,
        title=form.title.data,
        body=form.body.data,
        tags=service.parse_tags(form.tags.data or ""),
        language=form.language.data or None,
        summary=(getattr(form, "summary", None) and form.summary.data) or "",
        max_attachments=_max_attachments(),
    )


def _answer_draft(form: AnswerForm) -> service.AnswerDraft:
    _take_files(form)
    return service.AnswerDraft(
        form.body.data,
        language=form.language.data or None,
        summary=(getattr(form, "summary", None) and form.summary.data) or "",
        max_attachments=_max_attachments(),
    )


def _list_args() -> dict:
    return {
        "filter": request.args.get("filter", "all"),
        "sort": request.args.get("sort", "activity"),
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
    confirmation (private help for billing or account words, or existing questions like it) comes once: "Post
    publicly anyway" (or "Post your question") then posts."""
    session, draft = db.session(), _question_draft(form)
    if form.preview.data:
        _keep_draft(None, service.DraftText(draft.body, draft.title, form.tags.data or "", draft.board_slug))
        return Outcome(preview=_preview_html(draft.body))
    if request.form.get("ask_private"):
        case = escalation.ask_privately(session, current_user, draft, request.form.get("private_category", "billing"))
        service.discard_draft(session, current_user, None)
        notice = _("Your question went to our staff privately. You'll hear from them here.")
        return Outcome(redirect_to=url_for("escalation.case", case_id=case.id), notice=notice)
    if not form.public_confirmed.data:
        keywords = service.private_help_keywords(session, draft.title, draft.body)
        similar = _similar_questions(draft.title)
        if similar and {q.id for q in similar} <= _seen_ids(form.similar_seen.data):
            similar = []  # shown while the title was typed: posting is the member's answer to them
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


# The forms with a draft, remembered in the member's session so the question page asks the database for an
# answer draft only when there is one (the page keeps its fixed number of queries).
DRAFTS_KEY = "drafts"


def _remember_draft(question_id: int | None, kept: bool) -> None:
    slots = [slot for slot in browser_session.get(DRAFTS_KEY, []) if slot != service.slot_for(question_id)]
    browser_session[DRAFTS_KEY] = ([service.slot_for(question_id)] if kept else []) + slots[:19]


def _may_have_draft(question_id: int | None) -> bool:
    return current_user.is_authenticated and service.slot_for(question_id) in browser_session.get(DRAFTS_KEY, [])


def _keep_draft(question_id: int | None, text: service.DraftText) -> None:
    kept = service.keep_draft(db.session(), current_user, question_id, text)
    _remember_draft(question_id, kept is not None)


@bp.get("/")
@access("visitor")
def index():
    session = db.session()
    boards = service.list_boards(session, include_archived=True)
    language = post_language(request.args.get("language"))
    page = service.list_questions(session, limit=current_app.config["PAGE_SIZE"], language=language)
    open_boards = [board for board in boards if not board.is_archived]
    archived = [board for board in boards if board.is_archived]
    return render_template(
        "forum/index.html", boards=open_boards, archived=archived, page=page, language=language
    )


@bp.get("/questions")
@access("visitor")
def questions():
    args = _list_args()
    page = service.list_questions(db.session(), limit=current_app.config["PAGE_SIZE"], **args)
    tag = _described_tag(args["tag"])
    following = tag is not None and notifications.is_following(db.session(), current_user, tag_id=tag.id)
    return render_template("forum/questions.html", board=None, page=page, tag_row=tag, following=following, **args)


def _described_tag(name: str | None):
    """The tag a list is filtered by, for its description (None when unfiltered or unknown)."""
    if not name:
        return None
    try:
        return service.get_tag(db.session(), name)
    except NotFound:
        return None


@bp.get("/boards/<slug>")
@access("visitor")
def board(slug: str):
    session = db.session()
    board = service.get_board(session, slug)
    args = _list_args()
    pinned_above = args["filter"] == "all" and not args["tag"] and args["sort"] == "activity" and not args["language"]
    page = service.list_questions(
        session, board=board, limit=current_app.config["PAGE_SIZE"], without_pinned=pinned_above, **args
    )
    pinned = service.pinned_questions(session, board) if pinned_above and not args["after"] else []
    following = notifications.is_following(session, current_user, board_id=board.id)
    return render_template("forum/questions.html", board=board, page=page, pinned=pinned, following=following, **args)


@bp.get("/tags")
@access("visitor")
def tags():
    return render_template("forum/tags.html", tags=service.tags_with_counts(db.session()), form=TagDescriptionForm())


@bp.get("/questions/<id:question_id>")
@bp.get("/questions/<id:question_id>/<slug>")
@access("visitor")
def question(question_id: int, slug: str | None = None, answer_form: AnswerForm | None = None, status: int = 200):
    session = db.session()
    try:
        question = service.access_question(session, current_user, question_id)
    except Withdrawn as withdrawn:
        return render_template("forum/withdrawn.html", withdrawn=withdrawn)
    case = escalation.asker_case(session, current_user, question)
    if case is not None and question.is_private and request.method == "GET":
        # Withdrawn into a private case: the conversation goes on there, not on a page nobody else can see.
        return redirect(url_for("escalation.case", case_id=case.id))
    if slug != question.slug and request.method == "GET":
        return redirect(url_for("forum.question", question_id=question.id, slug=question.slug), 301)
    answer_order = request.args.get("answers", "votes")
    answers = service.answers_for(session, question, current_user, order=answer_order)
    # A visitor's page shows no answer form: building one would put a CSRF token in their session (a cookie), and
    # the page could not be cached.
    form = answer_form or AnswerForm(meta={"csrf": current_user.is_authenticated})
    kept = None
    if answer_form is None and current_user.is_authenticated:
        form.language.data = current_user.locale  # a post is, at first, in its author's interface language
        kept = service.draft_for(session, current_user, question.id) if _may_have_draft(question.id) else None
        form.body.data = kept.body if kept is not None else form.body.data
    previewing = answer_form is not None and form.preview.data and form.body.data
    if answer_form is None and getattr(current_user, "id", None) != question.author_id:
        _count_view(question.id)
    return render_template(
        "forum/question.html",
        question=question,
        answers=answers,
        form=form,
        preview=_preview_html(form.body.data) if previewing else None,
        kudoed=reputation.kudoed_post_ids(session, current_user, question, answers),
        following=notifications.is_following(session, current_user, question_id=question.id),
        open_case=case if case is not None and case.status in ACTIVE_STATES else None,
        answer_order=answer_order,
        kept=kept,
        related=_related(session, question),
    ), status


def _related(session, question: Question) -> list[Question]:
    """The related questions beside this one; an index that fails costs the list, never the page."""
    cache = current_app.extensions.get("agora_related")
    if cache is None:
        cache = current_app.extensions.setdefault(
            "agora_related", related.RelatedCache(current_app.config.get("RELATED_CACHE_SECONDS", 600))
        )
    try:
        return related.related_questions(session, current_app.extensions["agora_search"], cache, question)
    except IndexUnavailable:
        current_app.extensions["agora_search_recovery"].start()
    except Exception:
        current_app.logger.exception("related questions failed for question %s", question.id)
    return []


def _count_view(question_id: int) -> None:
    """One more view, counted outside the database; now and then the batch is added to it. A counter that
    fails (Redis away) costs the count, never the page."""
    counter = current_app.extensions["agora_views"]
    try:
        counter.hit(question_id)
        if counter.due():
            with db.scope() as session:
                view_counts.flush(session, counter)
                session.commit()
    except Exception:
        current_app.logger.exception("counting a question view failed")


@bp.route("/ask", methods=["GET", "POST"])
@access("member")
@limiter.limit(post_limit, key_func=user_or_address, methods=["POST"], deduct_when=_posted)
def ask():
    require(current_user, "ask", None, _("Your account is suspended, so you can't ask questions right now."))
    form = QuestionForm()
    _board_choices(form)
    kept = None
    if request.method == "GET":
        form.language.data = current_user.locale  # a post is, at first, in its author's interface language
        if request.args.get("board"):
            form.board.data = request.args["board"]
        kept = service.draft_for(db.session(), current_user, None)
        if kept is not None:
            form.title.data, form.body.data, form.tags.data = kept.title, kept.body, kept.tags
            form.board.data = kept.board_slug or form.board.data
    outcome = submitted(form, lambda: _ask_outcome(form)) or NOT_YET
    if outcome.redirect_to:
        _remember_draft(None, False)
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
        kept=kept,
    ), outcome.status


@bp.post("/ask/check")
@access("member")
def ask_check():
    """For the ask form's script: does the draft look like a billing or account matter?"""
    title = request.form.get("title", "")[:200]
    return jsonify(keywords=service.private_help_keywords(db.session(), title, _scripted_body()))


@bp.post("/questions/<id:question_id>/answers")
@access("member")
@limiter.limit(post_limit, key_func=user_or_address, deduct_when=_posted)
def answer(question_id: int):
    form = AnswerForm()

    def post() -> Answer | None:  # Preview validates too, so its errors show, but posts nothing
        draft = _answer_draft(form)
        if form.preview.data:
            _keep_draft(question_id, service.DraftText(draft.body))
            return None
        return service.post_answer(db.session(), current_user, question_id, draft)

    posted = submitted(form, post)
    if posted is not None:
        _remember_draft(question_id, False)
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
    form = EditQuestionForm(data=_question_fields(question) if request.method == "GET" else None)
    _board_choices(form, question.board)
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
    form = EditAnswerForm(
        data={"body": answer.body_source, "language": answer.language} if request.method == "GET" else None
    )
    return _edit_round(
        form,
        lambda: _answer_draft(form),
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
    return render_template(
        "forum/history.html", question=question, answer=None, changes=changes, rollback_form=RollbackForm()
    )


@bp.get("/answers/<id:answer_id>/history")
@access("visitor")
def answer_history(answer_id: int):
    session = db.session()
    answer = service.access_answer(session, current_user, answer_id)
    changes = service.history(service.revisions_of(session, answer=answer))
    return render_template(
        "forum/history.html", question=answer.question, answer=answer, changes=changes, rollback_form=RollbackForm()
    )


@bp.post("/questions/<id:question_id>/history/<int:number>/restore", defaults={"kind": "question"})
@bp.post("/answers/<id:answer_id>/history/<int:number>/restore", defaults={"kind": "answer"})
@access("member", owner=True)
def roll_back(kind: str, number: int, question_id: int | None = None, answer_id: int | None = None):
    """Make an earlier version current again (the author or a moderator), then show the history with it on top."""
    post_id = question_id if kind == "question" else answer_id
    assert post_id is not None
    submitted_action(
        RollbackForm(),
        lambda: service.roll_back(db.session(), current_user, kind, post_id, number),
        _("Version %(n)d is the current text again.", n=number),
    )
    if kind == "question":
        return redirect(url_for("forum.question_history", question_id=post_id))
    return redirect(url_for("forum.answer_history", answer_id=post_id))


def _draft_question_id(form: DraftForm) -> int | None:
    """The question an answer draft belongs to (None: the ask form's draft); 404 for what is not an id."""
    if not form.question_id.data:
        return None
    question_id = parse_id(form.question_id.data)
    if question_id is None:
        abort(404)
    return question_id


@bp.post("/drafts")
@access("member")
@limiter.limit("30 per minute", key_func=user_or_address)
def keep_draft():
    """The editors' script saves what is being written every few seconds."""
    form = DraftForm()
    if not form.validate_on_submit():
        abort(400)
    question_id = _draft_question_id(form)
    text = service.DraftText(form.body.data or "", form.title.data or "", form.tags.data or "", form.board.data or "")
    _keep_draft(question_id, text)
    db.commit()
    return jsonify(saved=True)


@bp.post("/drafts/discard")
@access("member")
def discard_draft():
    form = DraftForm()
    if not form.validate_on_submit():
        abort(400)
    question_id = _draft_question_id(form)
    service.discard_draft(db.session(), current_user, question_id)
    db.commit()
    _remember_draft(question_id, False)
    flash(_("Your draft was discarded."), "success")
    if question_id is None:
        return redirect(url_for("forum.ask"))
    return redirect(url_for("forum.question", question_id=question_id, _anchor="your-answer"))


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

"""Flagging for members; the queue, thread tools, suspensions and the audit log for moderators; listening
rules for admins."""

from __future__ import annotations

import re

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from wtforms import SelectChoice

from app.auth.access import access
from app.auth.permissions import can
from app.db import db
from app.errors import NotFound, ValidationFailed
from app.extensions import limit_for, limiter, user_or_address
from app.forum import service as forum
from app.forum.models import Answer
from app.ids import cursor_id, parse_id
from app.moderation import service
from app.moderation.forms import DuplicateForm, FlagForm, HideForm, MoveForm, ReasonForm, RuleForm, SuspendForm
from app.web import form_error

bp = Blueprint("moderation", __name__)


@bp.app_context_processor
def queue_count() -> dict:
    """The number of posts waiting for moderators, for the header; only moderators pay for the query."""
    if can(current_user, "moderate"):
        return {"mod_queue_count": service.pending_count(db.session())}
    return {}


def _flag_limit() -> str:
    return limit_for("FLAG_RATE_LIMIT")


def _question_url(post) -> str:
    if isinstance(post, Answer):
        return url_for("forum.question", question_id=post.question_id, _anchor=f"answer-{post.id}")
    return url_for("forum.question", question_id=post.id)


# --- members: flag a post -----------------------------------------------------------------------


# One rule per kind, not `<any(questions, answers):kind>`: Werkzeug prefers a static segment, so
# "/questions/7/flag" matched forum.question's "/questions/<id>/<slug>" (slug "flag") and redirected.
@bp.route("/questions/<id:post_id>/flag", methods=["GET", "POST"], defaults={"kind": "questions"})
@bp.route("/answers/<id:post_id>/flag", methods=["GET", "POST"], defaults={"kind": "answers"})
@access("member")
@limiter.limit(_flag_limit, key_func=user_or_address, methods=["POST"])
def flag(kind: str, post_id: int):
    session = db.session()
    kind = kind.removesuffix("s")
    post = (forum.access_answer if kind == "answer" else forum.access_question)(session, current_user, post_id)
    form = FlagForm()
    if form.validate_on_submit():
        try:
            service.flag_post(session, current_user, kind, post_id, form.reason.data, form.note.data or "")
        except ValidationFailed as error:
            form_error(form, error)
        else:
            db.commit()
            flash(_("Thanks. The moderators will take a look."), "success")
            return redirect(_question_url(post))
    status = 422 if request.method == "POST" else 200
    return render_template("moderation/flag.html", form=form, post=post, kind=kind), status


# --- moderators: the queue ----------------------------------------------------------------------


@bp.get("/mod")
@access("moderator")
def queue():
    items = service.queue(db.session())
    return render_template("moderation/queue.html", items=items, hide_form=HideForm(), reason_form=ReasonForm())


@bp.post("/mod/<any(questions, answers):kind>/<id:post_id>/dismiss")
@access("moderator")
def dismiss(kind: str, post_id: int):
    form = ReasonForm()
    form.validate_on_submit()
    service.dismiss_flags(db.session(), current_user, kind.removesuffix("s"), post_id, form.reason.data or "")
    db.commit()
    flash(_("Flags dismissed."), "success")
    return redirect((request.form.get("back") == "thread" and _back_to_thread(kind, post_id)) or url_for(".queue"))


def _back_to_thread(kind: str, post_id: int) -> str:
    if kind == "answers":
        return url_for("forum.answer_link", answer_id=post_id)
    return url_for("forum.question", question_id=post_id)


@bp.post("/mod/<any(questions, answers):kind>/<id:post_id>/hide")
@access("moderator")
def hide(kind: str, post_id: int):
    form = HideForm()
    if not form.validate_on_submit():
        raise ValidationFailed(" ".join(map(str, form.reason.errors)) or _("Give a reason."), "reason")
    service.hide_post(db.session(), current_user, kind.removesuffix("s"), post_id, form.reason.data)
    db.commit()
    flash(_("The post is hidden. Its author sees your reason."), "success")
    return redirect((request.form.get("back") == "queue" and url_for(".queue")) or _back_to_thread(kind, post_id))


@bp.post("/mod/<any(questions, answers):kind>/<id:post_id>/restore")
@access("moderator")
def restore(kind: str, post_id: int):
    form = ReasonForm()
    form.validate_on_submit()
    service.restore_post(db.session(), current_user, kind.removesuffix("s"), post_id, form.reason.data or "")
    db.commit()
    flash(_("The post is visible again."), "success")
    return redirect(_back_to_thread(kind, post_id))


# --- moderators: thread tools -------------------------------------------------------------------


def _move_form(question) -> MoveForm:
    form = MoveForm(prefix="move")
    form.board.choices = [SelectChoice(b.slug, b.name) for b in forum.list_boards(db.session())]
    if request.method == "GET":
        form.board.data = question.board.slug
    return form


def _render_tools(question, status: int = 200, **forms):
    forms.setdefault("move_form", _move_form(question))
    forms.setdefault("duplicate_form", DuplicateForm(prefix="dup"))
    forms.setdefault("hide_form", HideForm())
    forms.setdefault("reason_form", ReasonForm())
    return render_template("moderation/thread.html", question=question, **forms), status


@bp.get("/mod/questions/<id:question_id>")
@access("moderator")
def thread(question_id: int):
    question = forum.access_question(db.session(), current_user, question_id)
    return _render_tools(question)


@bp.post("/mod/questions/<id:question_id>/<any(lock, unlock, pin, unpin):action>")
@access("moderator")
def thread_state(question_id: int, action: str):
    form = ReasonForm()
    form.validate_on_submit()
    state = "locked" if action in ("lock", "unlock") else "pinned"
    service.set_thread_state(
        db.session(), current_user, question_id, state, not action.startswith("un"), form.reason.data or ""
    )
    db.commit()
    messages = {
        "lock": _("Thread locked."),
        "unlock": _("Thread unlocked."),
        "pin": _("Thread pinned."),
        "unpin": _("Thread unpinned."),
    }
    flash(messages[action], "success")
    return redirect(url_for("forum.question", question_id=question_id))


@bp.post("/mod/questions/<id:question_id>/move")
@access("moderator")
def move(question_id: int):
    question = forum.access_question(db.session(), current_user, question_id)
    form = _move_form(question)
    if form.validate_on_submit():
        try:
            service.move_question(db.session(), current_user, question_id, form.board.data, form.reason.data or "")
        except ValidationFailed as error:
            form_error(form, error)
        else:
            db.commit()
            flash(_("Question moved."), "success")
            return redirect(url_for("forum.question", question_id=question_id))
    return _render_tools(question, 422, move_form=form)


_QUESTION_NUMBER = re.compile(r"(?:/questions/)?(\d{1,12})(?:[/?#].*)?$")


@bp.post("/mod/questions/<id:question_id>/duplicate")
@access("moderator")
def duplicate(question_id: int):
    question = forum.access_question(db.session(), current_user, question_id)
    form = DuplicateForm(prefix="dup")
    if form.validate_on_submit():
        match = _QUESTION_NUMBER.search(form.original.data.strip())
        original_id = parse_id(match.group(1)) if match else None
        if original_id is None:
            form.original.errors = [_("Give the original question's number or paste its address.")]
        else:
            try:
                service.close_as_duplicate(db.session(), current_user, question_id, original_id, form.reason.data or "")
            except ValidationFailed as error:
                form_error(form, error)
            else:
                db.commit()
                flash(_("Closed as a duplicate."), "success")
                return redirect(url_for("forum.question", question_id=question_id))
    return _render_tools(question, 422, duplicate_form=form)


@bp.post("/mod/questions/<id:question_id>/reopen")
@access("moderator")
def reopen(question_id: int):
    form = ReasonForm()
    form.validate_on_submit()
    service.reopen(db.session(), current_user, question_id, form.reason.data or "")
    db.commit()
    flash(_("The question is open again."), "success")
    return redirect(url_for("forum.question", question_id=question_id))


@bp.post("/mod/questions/<id:question_id>/merge")
@access("moderator")
def merge(question_id: int):
    original = service.merge_answers(db.session(), current_user, question_id)
    db.commit()
    flash(_("The answers now live on the original question."), "success")
    return redirect(url_for("forum.question", question_id=original.id))


# --- moderators: members ------------------------------------------------------------------------


@bp.route("/mod/users/<username>", methods=["GET", "POST"])
@access("moderator")
def member(username: str):
    from app.accounts import service as accounts

    session = db.session()
    user = accounts.user_by_username(session, username)
    form = SuspendForm()
    if form.validate_on_submit():
        days = None if form.days.data == "indefinite" else int(form.days.data)
        try:
            service.suspend(session, current_user, username, days, form.reason.data)
        except ValidationFailed as error:
            form_error(form, error)
        else:
            db.commit()
            flash(_("%(name)s is suspended.", name=user.name), "success")
            return redirect(url_for(".member", username=user.username))
    status = 422 if request.method == "POST" else 200
    return render_template("moderation/member.html", user=user, form=form, reason_form=ReasonForm()), status


@bp.post("/mod/users/<username>/unsuspend")
@access("moderator")
def unsuspend(username: str):
    form = ReasonForm()
    form.validate_on_submit()
    user = service.unsuspend(db.session(), current_user, username, form.reason.data or "")
    db.commit()
    flash(_("%(name)s can take part again.", name=user.name), "success")
    return redirect(url_for(".member", username=user.username))


@bp.get("/mod/audit")
@access("moderator")
def audit():
    session = db.session()
    args = {key: request.args.get(key) or None for key in ("action", "actor", "target_type")}
    page = service.audit_log(session, before=cursor_id(request.args.get("before")), **args)
    return render_template("moderation/audit.html", page=page, actions=service.audit_actions(session), **args)


# --- admins: listening rules --------------------------------------------------------------------


@bp.route("/admin/listening", methods=["GET", "POST"])
@access("admin")
def listening_rules():
    session = db.session()
    form = RuleForm()
    if form.validate_on_submit():
        draft = service.RuleDraft(
            form.name.data, form.kind.data, form.pattern.data, form.action.data, form.flag_reason.data
        )
        try:
            service.add_rule(session, current_user, draft)
        except ValidationFailed as error:
            form_error(form, error)
        else:
            db.commit()
            flash(_("Rule added."), "success")
            return redirect(url_for(".listening_rules"))
    builtins, custom = service.list_rules(session)
    status = 422 if request.method == "POST" else 200
    return render_template("moderation/listening.html", form=form, builtins=builtins, custom=custom), status


@bp.post("/admin/listening/<id:rule_id>/<any(toggle, delete):action>")
@access("admin")
def listening_rule(rule_id: int, action: str):
    ReasonForm().validate_on_submit()  # the CSRF check happened globally; nothing else to read
    if action == "toggle":
        service.toggle_rule(db.session(), current_user, rule_id)
    else:
        service.delete_rule(db.session(), current_user, rule_id)
    db.commit()
    return redirect(url_for(".listening_rules"))


@bp.post("/admin/listening/builtin/<key>/toggle")
@access("admin")
def listening_builtin(key: str):
    if not key.isalpha():
        raise NotFound()
    service.toggle_builtin(db.session(), current_user, key)
    db.commit()
    return redirect(url_for(".listening_rules"))

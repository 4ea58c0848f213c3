"""Flagging for members; the queue, thread tools, suspensions and the audit log for moderators; listening
rules for admins."""

from __future__ import annotations

import re

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from wtforms import SelectChoice

from app.accounts import service as accounts
from app.attachments import service as attachments
from app.auth.access import access
from app.auth.permissions import can
from app.auth.visibility import access_post
from app.db import db
from app.errors import NotFound, ValidationFailed
from app.extensions import flag_limit, limiter, user_or_address
from app.forum import service as forum
from app.forum.forms import TagDescriptionForm
from app.forum.models import Answer
from app.ids import cursor_id, parse_id
from app.moderation import service
from app.moderation.audit_text import action_label, audit_sentence
from app.moderation.forms import (
    ConfirmForm,
    DuplicateForm,
    FlagForm,
    HideForm,
    MergeForm,
    MoveForm,
    ReasonForm,
    RuleForm,
    SuspendForm,
)
from app.web.forms import form_status, submitted, submitted_action

bp = Blueprint("moderation", __name__)


@bp.app_context_processor
def queue_count() -> dict:
    """The number of posts waiting for moderators, for the header; only moderators pay for the query."""
    if can(current_user, "moderate"):
        return {"mod_queue_count": service.pending_count(db.session())}
    return {}


def _question_url(post) -> str:
    if isinstance(post, Answer):
        return url_for("forum.question", question_id=post.question_id, _anchor=f"answer-{post.id}")
    return url_for("forum.question", question_id=post.id)


def _reason(form) -> str:
    return form.reason.data or ""


# --- members: flag a post -----------------------------------------------------------------------


# One rule per kind, not `<any(questions, answers):kind>`: Werkzeug prefers a static segment, so
# "/questions/7/flag" matched forum.question's "/questions/<id>/<slug>" (slug "flag") and redirected.
@bp.route("/questions/<id:post_id>/flag", methods=["GET", "POST"], defaults={"kind": "questions"})
@bp.route("/answers/<id:post_id>/flag", methods=["GET", "POST"], defaults={"kind": "answers"})
@access("member")
@limiter.limit(flag_limit, key_func=user_or_address, methods=["POST"])
def flag(kind: str, post_id: int):
    session, kind = db.session(), kind.removesuffix("s")
    post = access_post(session, current_user, kind, post_id)
    form = FlagForm()
    if submitted(
        form, lambda: service.flag_post(session, current_user, kind, post_id, form.reason.data, form.note.data or "")
    ):
        flash(_("Thanks. The moderators will take a look."), "success")
        return redirect(_question_url(post))
    return render_template("moderation/flag.html", form=form, post=post, kind=kind), form_status()


# --- moderators: the queue ----------------------------------------------------------------------


@bp.get("/mod")
@access("moderator")
def queue():
    items = service.queue(db.session())
    return render_template("moderation/queue.html", items=items, hide_form=HideForm(), reason_form=ReasonForm())


def _back_to_thread(kind: str, post_id: int) -> str:
    if kind == "answers":
        return url_for("forum.answer_link", answer_id=post_id)
    return url_for("forum.question", question_id=post_id)


@bp.post("/mod/<any(questions, answers):kind>/<id:post_id>/dismiss")
@access("moderator")
def dismiss(kind: str, post_id: int):
    form = ReasonForm()
    submitted_action(
        form,
        lambda: service.dismiss_flags(db.session(), current_user, kind.removesuffix("s"), post_id, _reason(form)),
        _("Flags dismissed."),
    )
    return redirect((request.form.get("back") == "thread" and _back_to_thread(kind, post_id)) or url_for(".queue"))


@bp.post("/mod/<any(questions, answers):kind>/<id:post_id>/hide")
@access("moderator")
def hide(kind: str, post_id: int):
    form = HideForm()
    submitted_action(
        form,
        lambda: service.hide_post(db.session(), current_user, kind.removesuffix("s"), post_id, form.reason.data),
        _("The post is hidden. Its author sees your reason."),
    )
    return redirect((request.form.get("back") == "queue" and url_for(".queue")) or _back_to_thread(kind, post_id))


@bp.post("/mod/<any(questions, answers):kind>/<id:post_id>/restore")
@access("moderator")
def restore(kind: str, post_id: int):
    form = ReasonForm()
    submitted_action(
        form,
        lambda: service.restore_post(db.session(), current_user, kind.removesuffix("s"), post_id, _reason(form)),
        _("The post is visible again."),
    )
    return redirect(_back_to_thread(kind, post_id))


# --- moderators: thread tools -------------------------------------------------------------------


def _thread(question_id: int):
    return access_post(db.session(), current_user, "question", question_id, "moderate")


def _move_form(question) -> MoveForm:
    form = MoveForm(prefix="move")
    form.board.choices = [SelectChoice(b.slug, b.name) for b in forum.list_boards(db.session())]
    if request.method == "GET":
        form.board.data = question.board.slug
    return form


def _render_tools(question, **forms):
    forms.setdefault("move_form", _move_form(question))
    forms.setdefault("duplicate_form", DuplicateForm(prefix="dup"))
    forms.setdefault("hide_form", HideForm())
    forms.setdefault("reason_form", ReasonForm())
    forms.setdefault("merge_form", MergeForm(prefix="merge"))
    files = attachments.attachments_of_thread(db.session(), question)
    return render_template("moderation/thread.html", question=question, attachments=files, **forms), form_status()


@bp.get("/mod/questions/<id:question_id>")
@access("moderator")
def thread(question_id: int):
    return _render_tools(_thread(question_id))


def _thread_state_done(action: str) -> str:
    return {
        "lock": _("Thread locked."),
        "unlock": _("Thread unlocked."),
        "pin": _("Thread pinned."),
        "unpin": _("Thread unpinned."),
    }[action]


@bp.post("/mod/questions/<id:question_id>/<any(lock, unlock, pin, unpin):action>")
@access("moderator")
def thread_state(question_id: int, action: str):
    form = ReasonForm()
    state, on = ("locked" if action in ("lock", "unlock") else "pinned"), not action.startswith("un")
    submitted_action(
        form,
        lambda: service.set_thread_state(db.session(), current_user, question_id, state, on, _reason(form)),
        _thread_state_done(action),
    )
    return redirect(url_for("forum.question", question_id=question_id))


@bp.post("/mod/questions/<id:question_id>/move")
@access("moderator")
def move(question_id: int):
    question = _thread(question_id)
    form = _move_form(question)
    if submitted(
        form, lambda: service.move_question(db.session(), current_user, question_id, form.board.data, _reason(form))
    ):
        flash(_("Question moved."), "success")
        return redirect(url_for("forum.question", question_id=question_id))
    return _render_tools(question, move_form=form)


_QUESTION_NUMBER = re.compile(r"(?:/questions/)?(\d{1,12})(?:[/?#].*)?$")


def _original_id(form: DuplicateForm) -> int:
    """The original's number, typed or inside a pasted address."""
    match = _QUESTION_NUMBER.search(form.original.data.strip())
    original_id = parse_id(match.group(1)) if match else None
    if original_id is None:
        raise ValidationFailed(_("Give the original question's number or paste its address."), "original")
    return original_id


@bp.post("/mod/questions/<id:question_id>/duplicate")
@access("moderator")
def duplicate(question_id: int):
    question = _thread(question_id)
    form = DuplicateForm(prefix="dup")
    if submitted(
        form,
        lambda: service.close_as_duplicate(db.session(), current_user, question_id, _original_id(form), _reason(form)),
    ):
        flash(_("Closed as a duplicate."), "success")
        return redirect(url_for("forum.question", question_id=question_id))
    return _render_tools(question, duplicate_form=form)


@bp.post("/mod/questions/<id:question_id>/reopen")
@access("moderator")
def reopen(question_id: int):
    form = ReasonForm()
    submitted_action(
        form,
        lambda: service.reopen(db.session(), current_user, question_id, _reason(form)),
        _("The question is open again."),
    )
    return redirect(url_for("forum.question", question_id=question_id))


@bp.post("/mod/questions/<id:question_id>/merge")
@access("moderator")
def merge(question_id: int):
    """Moving answers can't be undone, so the form asks for a tick first (refused with 422 without one)."""
    question = _thread(question_id)
    form = MergeForm(prefix="merge")
    original = submitted(form, lambda: service.merge_answers(db.session(), current_user, question_id))
    if original:
        flash(_("The answers now live on the original question."), "success")
        return redirect(url_for("forum.question", question_id=original.id))
    return _render_tools(question, merge_form=form)


@bp.post("/tags/<name>/description")
@access("moderator")
def describe_tag(name: str):
    form = TagDescriptionForm()
    submitted_action(
        form,
        lambda: service.describe_tag(db.session(), current_user, name, form.description.data or ""),
        _("The tag's description is saved."),
    )
    return redirect(url_for("forum.tags", _anchor=f"tag-{name[:30]}"))


# --- moderators: members ------------------------------------------------------------------------


def _days(choice: str) -> int | None:
    return None if choice == "indefinite" else int(choice)


@bp.route("/mod/users/<username>", methods=["GET", "POST"])
@access("moderator")
def member(username: str):
    user = accounts.user_by_username(db.session(), username)
    form = SuspendForm()
    if submitted(
        form,
        lambda: service.suspend(db.session(), current_user, username, _days(form.days.data), form.reason.data),
    ):
        flash(_("%(name)s is suspended.", name=user.name), "success")
        return redirect(url_for(".member", username=user.username))
    # What moderators and admins did to this member: suspensions, lifts, role changes (keyset on the entry id).
    history = service.audit_log(
        db.session(), target_type="user", target_id=user.id, before=cursor_id(request.args.get("before")), limit=20
    )
    page = {"history": history, "sentence": audit_sentence, "reason_form": ReasonForm()}
    return render_template("moderation/member.html", user=user, form=form, **page), form_status()


@bp.post("/mod/users/<username>/unsuspend")
@access("moderator")
def unsuspend(username: str):
    user = accounts.user_by_username(db.session(), username)
    form = ReasonForm()
    submitted_action(
        form,
        lambda: service.unsuspend(db.session(), current_user, username, _reason(form)),
        _("%(name)s can take part again.", name=user.name),
    )
    return redirect(url_for(".member", username=user.username))


@bp.get("/mod/audit")
@access("moderator")
def audit():
    session = db.session()
    args = {key: request.args.get(key) or None for key in ("action", "actor", "target_type")}
    page = service.audit_log(session, before=cursor_id(request.args.get("before")), **args)
    return render_template(
        "moderation/audit.html",
        page=page,
        actions=service.audit_actions(session),
        sentence=audit_sentence,
        action_label=action_label,
        **args,
    )


# --- admins: listening rules --------------------------------------------------------------------


def _rule_draft(form: RuleForm) -> service.RuleDraft:
    return service.RuleDraft(form.name.data, form.kind.data, form.pattern.data, form.action.data, form.flag_reason.data)


@bp.route("/admin/listening", methods=["GET", "POST"])
@access("admin")
def listening_rules():
    form = RuleForm()
    if submitted(form, lambda: service.add_rule(db.session(), current_user, _rule_draft(form))):
        flash(_("Rule added."), "success")
        return redirect(url_for(".listening_rules"))
    builtins, custom = service.list_rules(db.session())
    return render_template("moderation/listening.html", form=form, builtins=builtins, custom=custom), form_status()


@bp.post("/admin/listening/<id:rule_id>/<any(toggle, delete):action>")
@access("admin")
def listening_rule(rule_id: int, action: str):
    change = service.toggle_rule if action == "toggle" else service.delete_rule
    submitted_action(ConfirmForm(), lambda: change(db.session(), current_user, rule_id))
    return redirect(url_for(".listening_rules"))


@bp.post("/admin/listening/builtin/<key>/toggle")
@access("admin")
def listening_builtin(key: str):
    if not key.isalpha():
        raise NotFound()
    submitted_action(ConfirmForm(), lambda: service.toggle_builtin(db.session(), current_user, key))
    return redirect(url_for(".listening_rules"))

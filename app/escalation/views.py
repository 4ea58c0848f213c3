"""Escalating (moderators), asking for private help (customers), the staff inbox and the case page."""

from __future__ import annotations

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from app.attachments.views import store_uploads
from app.auth.access import access
from app.auth.visibility import access_post
from app.db import db
from app.errors import NotFound, ValidationFailed
from app.escalation import labels, rules, service, workflow
from app.escalation.forms import AssignForm, EscalateForm, MessageForm, NoteForm, PrivateHelpForm, ResolveForm
from app.escalation.timeline_text import timeline_sentence
from app.ids import parse_id
from app.web.forms import form_status, submitted, submitted_action

bp = Blueprint("escalation", __name__)


@bp.context_processor
def case_words() -> dict:
    """Cases' states and actions come from the workflow, and their words from labels, on every case page."""
    return {"workflow": workflow, "case_labels": labels, "status_filters": service.STATUS_FILTERS}


def _draft(form, message: str = "") -> service.EscalationDraft:
    return service.EscalationDraft(
        category=form.category.data,
        priority=(getattr(form, "priority", None) and form.priority.data) or "normal",
        public_note=(getattr(form, "public_note", None) and (form.public_note.data or "")) or "",
        withdraw=bool(form.withdraw.data),
        message=message,
    )


@bp.route("/mod/questions/<id:question_id>/escalate", methods=["GET", "POST"])
@access("moderator")
def escalate(question_id: int):
    question = access_post(db.session(), current_user, "question", question_id, "escalate")
    form = EscalateForm()
    case = submitted(form, lambda: service.escalate(db.session(), current_user, question_id, _draft(form)))
    if case:
        flash(_("Case #%(n)d opened for staff.", n=case.id), "success")
        return redirect(url_for(".case", case_id=case.id))
    return render_template("escalation/escalate.html", form=form, question=question), form_status()


@bp.route("/questions/<id:question_id>/private-help", methods=["GET", "POST"])
@access("member", owner=True)
def private_help(question_id: int):
    question = access_post(db.session(), current_user, "question", question_id, "request_private_help")
    form = PrivateHelpForm()
    case = submitted(
        form,
        lambda: service.request_private_help(db.session(), current_user, question_id, _draft(form, form.message.data)),
    )
    if case:
        flash(_("Our support team has your request. You'll hear from them here."), "success")
        return redirect(url_for(".case", case_id=case.id))
    return render_template("escalation/private_help.html", form=form, question=question), form_status()


@bp.get("/cases")
@access("member")
def my_cases():
    return render_template("escalation/my_cases.html", cases=service.my_cases(db.session(), current_user))


def _render_case(case, **forms):
    session = db.session()
    forms.setdefault("message_form", MessageForm())
    forms.setdefault("note_form", NoteForm(prefix="note"))
    forms.setdefault("resolve_form", ResolveForm())
    forms.setdefault("assign_form", _assign_form(case))
    timeline = service.timeline(session, case)
    return render_template(
        "escalation/case.html",
        case=case,
        messages=service.messages_for(session, current_user, case),
        timeline=timeline,
        timeline_names=service.timeline_names(session, timeline),
        timeline_sentence=timeline_sentence,
        moves=service.available_moves(current_user, case),
        overdue=service.is_overdue(case),
        reopen_days=rules.REOPEN_DAYS,
        **forms,
    ), form_status()


@bp.get("/cases/<id:case_id>")
@access("member", owner=True)
def case(case_id: int):
    return _render_case(service.access_case(db.session(), current_user, case_id))


@bp.post("/cases/<id:case_id>/messages")
@access("member", owner=True)
def reply(case_id: int):
    case = service.access_case(db.session(), current_user, case_id)
    form = MessageForm()

    def post():
        form.body.data = store_uploads(form.body.data)
        limit = current_app.config["ATTACHMENTS_PER_POST"]
        return service.post_message(db.session(), current_user, case_id, form.body.data, max_attachments=limit)

    if submitted(form, post):
        return redirect(url_for(".case", case_id=case_id, _anchor="conversation-end"))
    return _render_case(case, message_form=form)


@bp.post("/cases/<id:case_id>/notes")
@access("moderator")
def note(case_id: int):
    case = service.access_case(db.session(), current_user, case_id)
    form = NoteForm(prefix="note")
    if submitted(form, lambda: service.post_message(db.session(), current_user, case_id, form.body.data, True)):
        return redirect(url_for(".case", case_id=case_id, _anchor="conversation-end"))
    return _render_case(case, note_form=form)


# The actions a button may post: the workflow's, less the customer's reply (which is a message, not a button).
_BUTTONS = ", ".join(action for action in workflow.ACTIONS if action != "customer_reply")


@bp.post(f"/cases/<id:case_id>/<any({_BUTTONS}):action>")
@access("member", owner=True)
def move(case_id: int, action: str):
    form = ResolveForm()
    submitted_action(
        form,
        lambda: service.transition(db.session(), current_user, case_id, action, form.public_resolution.data or ""),
        _("Case updated."),
    )
    return redirect(url_for(".case", case_id=case_id))


def _assign_form(case=None) -> AssignForm:
    form = AssignForm().offer(service.staff_members(db.session()), current_user)
    if case is not None and request.method == "GET":
        form.assignee.data = "me" if case.assignee_id == current_user.id else (case.assignee and case.assignee.username)
    return form


@bp.post("/cases/<id:case_id>/assign")
@access("staff")
def assign(case_id: int):
    form = _assign_form()
    submitted_action(
        form,
        lambda: service.assign(db.session(), current_user, case_id, _assignee(form.assignee.data)),
        _("Assignment saved."),
    )
    return redirect((request.form.get("back") == "inbox" and url_for(".inbox")) or url_for(".case", case_id=case_id))


def _assignee(typed: str | None) -> str | None:
    """ "me" is the one assigning; nothing typed takes the assignment away."""
    typed = (typed or "").strip()
    return current_user.username if typed == "me" else typed or None


@bp.get("/staff")
@access("staff")
def inbox():
    filters = service.InboxFilter(
        status=request.args.get("status") or None,
        category=request.args.get("category") or None,
        priority=request.args.get("priority") or None,
        assignee=request.args.get("assignee") or None,
        overdue=request.args.get("overdue") == "1",
    )
    try:
        result = service.inbox(db.session(), current_user, filters)
    except ValidationFailed as error:
        raise NotFound(error.message) from None
    return render_template(
        "escalation/inbox.html",
        inbox=result,
        filters=filters,
        categories=rules.CATEGORIES,
        priorities=rules.PRIORITIES,
        overdue=service.is_overdue,
        assign_form=_assign_form(),
    )


@bp.post("/staff/assign")
@access("staff")
def bulk_assign():
    ids = [case_id for value in request.form.getlist("case_ids") if (case_id := parse_id(value)) is not None]
    assignee = (request.form.get("assignee") or "").strip()  # the staff list's choice (a username), or me
    changed = service.bulk_assign(db.session(), current_user, ids, _assignee(assignee or "me"))
    db.commit()
    flash(_("%(n)d case(s) assigned.", n=changed), "success")
    return redirect(url_for(".inbox"))

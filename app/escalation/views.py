"""Escalating (moderators), asking for private help (customers), the staff inbox and the case page."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from app.auth.access import access
from app.db import db
from app.errors import NotFound, ValidationFailed
from app.escalation import rules, service
from app.escalation.forms import AssignForm, EscalateForm, MessageForm, NoteForm, PrivateHelpForm, ResolveForm
from app.forum import service as forum
from app.ids import parse_id
from app.web import form_error

bp = Blueprint("escalation", __name__)


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
    session = db.session()
    question = forum.access_question(session, current_user, question_id)
    form = EscalateForm()
    if form.validate_on_submit():
        try:
            case = service.escalate(session, current_user, question_id, _draft(form))
        except ValidationFailed as error:
            form_error(form, error)
        else:
            db.commit()
            flash(_("Case #%(n)d opened for staff.", n=case.id), "success")
            return redirect(url_for(".case", case_id=case.id))
    status = 422 if request.method == "POST" else 200
    return render_template("escalation/escalate.html", form=form, question=question), status


@bp.route("/questions/<id:question_id>/private-help", methods=["GET", "POST"])
@access("member", owner=True)
def private_help(question_id: int):
    session = db.session()
    question = forum.access_question(session, current_user, question_id, for_action="request_private_help")
    form = PrivateHelpForm()
    if form.validate_on_submit():
        try:
            case = service.request_private_help(session, current_user, question_id, _draft(form, form.message.data))
        except ValidationFailed as error:
            form_error(form, error)
        else:
            db.commit()
            flash(_("Our support team has your request. You'll hear from them here."), "success")
            return redirect(url_for(".case", case_id=case.id))
    status = 422 if request.method == "POST" else 200
    return render_template("escalation/private_help.html", form=form, question=question), status


@bp.get("/cases")
@access("member")
def my_cases():
    return render_template("escalation/my_cases.html", cases=service.my_cases(db.session(), current_user))


def _render_case(case, status: int = 200, **forms):
    session = db.session()
    forms.setdefault("message_form", MessageForm())
    forms.setdefault("note_form", NoteForm(prefix="note"))
    forms.setdefault("resolve_form", ResolveForm())
    forms.setdefault("assign_form", AssignForm())
    moves = service.available_moves(current_user, case)
    return render_template(
        "escalation/case.html",
        case=case,
        messages=service.messages_for(session, current_user, case),
        timeline=service.timeline(session, case),
        moves=moves,
        overdue=service.is_overdue(case),
        reopen_days=rules.REOPEN_DAYS,
        **forms,
    ), status


@bp.get("/cases/<id:case_id>")
@access("member", owner=True)
def case(case_id: int):
    return _render_case(service.access_case(db.session(), current_user, case_id))


@bp.post("/cases/<id:case_id>/messages")
@access("member", owner=True)
def reply(case_id: int):
    session = db.session()
    case = service.access_case(session, current_user, case_id)
    form = MessageForm()
    if form.validate_on_submit():
        try:
            service.post_message(session, current_user, case_id, form.body.data)
        except ValidationFailed as error:
            form_error(form, error)
        else:
            db.commit()
            return redirect(url_for(".case", case_id=case_id, _anchor="conversation-end"))
    return _render_case(case, 422, message_form=form)


@bp.post("/cases/<id:case_id>/notes")
@access("moderator")
def note(case_id: int):
    session = db.session()
    case = service.access_case(session, current_user, case_id)
    form = NoteForm(prefix="note")
    if form.validate_on_submit():
        try:
            service.post_message(session, current_user, case_id, form.body.data, internal=True)
        except ValidationFailed as error:
            form_error(form, error)
        else:
            db.commit()
            return redirect(url_for(".case", case_id=case_id, _anchor="conversation-end"))
    return _render_case(case, 422, note_form=form)


@bp.post("/cases/<id:case_id>/<any(start, wait, resume, resolve, close, reopen):action>")
@access("member", owner=True)
def move(case_id: int, action: str):
    form = ResolveForm()
    form.validate_on_submit()
    service.transition(db.session(), current_user, case_id, action, form.public_resolution.data or "")
    db.commit()
    flash(_("Case updated."), "success")
    return redirect(url_for(".case", case_id=case_id))


@bp.post("/cases/<id:case_id>/assign")
@access("staff")
def assign(case_id: int):
    form = AssignForm()
    form.validate_on_submit()
    target = form.assignee.data or ""
    username = current_user.username if target == "me" else target.strip() or None
    service.assign(db.session(), current_user, case_id, username)
    db.commit()
    flash(_("Assignment saved."), "success")
    return redirect((request.form.get("back") == "inbox" and url_for(".inbox")) or url_for(".case", case_id=case_id))


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
    )


@bp.post("/staff/assign")
@access("staff")
def bulk_assign():
    ids = [case_id for value in request.form.getlist("case_ids") if (case_id := parse_id(value)) is not None]
    assignee = (request.form.get("assignee") or "").strip()
    username = current_user.username if assignee in ("", "me") else assignee
    changed = service.bulk_assign(db.session(), current_user, ids, username)
    db.commit()
    flash(_("%(n)d case(s) assigned.", n=changed), "success")
    return redirect(url_for(".inbox"))

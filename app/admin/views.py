"""The admin pages: boards, members and the reputation rules. Every change goes through a service that
writes the audit log."""

from __future__ import annotations

from dataclasses import fields

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from app.admin import service
from app.admin.forms import BoardForm, RoleForm
from app.admin.labels import POINT_RULE_NAMES, ROLE_NAMES
from app.auth.access import access
from app.db import db
from app.errors import BadRequest
from app.moderation import service as moderation
from app.moderation.forms import ConfirmForm, ReasonForm, SuspendForm
from app.reputation import rules
from app.web.forms import form_status, submitted, submitted_action

bp = Blueprint("admin", __name__, url_prefix="/admin")


# --- boards ------------------------------------------------------------------------------------


def _board_draft(form: BoardForm) -> service.BoardDraft:
    return service.BoardDraft(form.slug.data or "", form.name.data or "", form.description.data or "")


@bp.route("/boards", methods=["GET", "POST"])
@access("admin")
def boards():
    form = BoardForm()
    board = submitted(form, lambda: service.create_board(db.session(), current_user, _board_draft(form)))
    if board is not None:
        flash(_("The board “%(name)s” is open.", name=board.name), "success")
        return redirect(url_for(".boards"))
    page = service.board_page(db.session(), request.args.get("after") or None)
    return render_template("admin/boards.html", form=form, page=page), form_status()


@bp.route("/boards/<id:board_id>", methods=["GET", "POST"])
@access("admin")
def edit_board(board_id: int):
    board = service.get_board_by_id(db.session(), board_id)
    form = BoardForm(obj=board if request.method == "GET" else None)
    if submitted(form, lambda: service.edit_board(db.session(), current_user, board_id, _board_draft(form))):
        flash(_("Board saved."), "success")
        return redirect(url_for(".boards"))
    return render_template("admin/board.html", form=form, board=board, reason_form=ReasonForm()), form_status()


@bp.post("/boards/<id:board_id>/<any(up, down):direction>")
@access("admin")
def move_board(board_id: int, direction: str):
    submitted_action(ConfirmForm(), lambda: service.move_board(db.session(), current_user, board_id, direction))
    return redirect(url_for(".boards", _anchor=f"board-{board_id}"))


@bp.post("/boards/<id:board_id>/<any(archive, unarchive):action>")
@access("admin")
def archive_board(board_id: int, action: str):
    form = ReasonForm()
    archived = action == "archive"
    done = _("The board is archived: its questions stay readable.") if archived else _("The board is open again.")
    submitted_action(
        form,
        lambda: service.set_archived(db.session(), current_user, board_id, archived, form.reason.data or ""),
        done,
    )
    return redirect(url_for(".edit_board", board_id=board_id))


# --- members -----------------------------------------------------------------------------------


@bp.get("/members")
@access("admin")
def members():
    query = request.args.get("q", "")
    role = request.args.get("role") or None
    page = service.search_members(db.session(), query, role, request.args.get("after") or None)
    return render_template("admin/members.html", page=page, q=query, role=role, role_names=ROLE_NAMES)


def _render_member(username: str, **forms):
    record = service.member_record(db.session(), username)
    role_form = forms.pop("role_form", None) or RoleForm(data={"role": record.user.role})
    return render_template(
        "admin/member.html",
        record=record,
        role_form=role_form,
        suspend_form=forms.pop("suspend_form", None) or SuspendForm(prefix="suspend"),
        reason_form=ReasonForm(),
        role_names=ROLE_NAMES,
    ), form_status()


@bp.get("/members/<username>")
@access("admin")
def member(username: str):
    return _render_member(username)


@bp.post("/members/<username>/role")
@access("admin")
def member_role(username: str):
    form = RoleForm()
    user = submitted(
        form,
        lambda: service.change_role(db.session(), current_user, username, form.role.data, form.reason.data or ""),
    )
    if user is not None:
        flash(_("%(name)s is now: %(role)s.", name=user.name, role=_(ROLE_NAMES[user.role])), "success")
        return redirect(url_for(".member", username=user.username))
    return _render_member(username, role_form=form)


def _days(choice: str) -> int | None:
    if choice == "indefinite":
        return None
    if not choice.isdigit():
        raise BadRequest()
    return int(choice)


@bp.post("/members/<username>/suspend")
@access("admin")
def member_suspend(username: str):
    form = SuspendForm(prefix="suspend")
    user = submitted(
        form,
        lambda: moderation.suspend(db.session(), current_user, username, _days(form.days.data), form.reason.data),
    )
    if user is not None:
        flash(_("%(name)s is suspended.", name=user.name), "success")
        return redirect(url_for(".member", username=user.username))
    return _render_member(username, suspend_form=form)


@bp.post("/members/<username>/unsuspend")
@access("admin")
def member_unsuspend(username: str):
    form = ReasonForm()
    user = submitted_action(
        form,
        lambda: moderation.unsuspend(db.session(), current_user, username, form.reason.data or ""),
    )
    flash(_("%(name)s can take part again.", name=user.name), "success")
    return redirect(url_for(".member", username=user.username))


@bp.post("/members/<username>/password-reset")
@access("admin")
def member_password_reset(username: str):
    user = service.send_reset_link(db.session(), current_user, username)
    db.commit()
    flash(_("%(name)s will get an e-mail with a link to choose a new password.", name=user.name), "success")
    return redirect(url_for(".member", username=user.username))


# --- the reputation rules (read-only: they come from app/reputation/rules.py and the environment) ------


@bp.get("/reputation")
@access("admin")
def reputation_rules():
    points = [(field.name, POINT_RULE_NAMES.get(field.name), getattr(rules.POINTS, field.name))
              for field in fields(rules.POINTS)]  # fmt: skip
    return render_template("admin/reputation.html", points=points, ranks=rules.RANKS, badges=rules.BADGES)

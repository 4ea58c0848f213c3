"""The privacy page: download everything we hold about you, or delete your account."""

from __future__ import annotations

from datetime import UTC, datetime

from flask import Blueprint, Response, current_app, flash, redirect, render_template, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, logout_user

from app.auth.access import access
from app.db import db
from app.errors import BadRequest
from app.extensions import limiter, user_or_address
from app.privacy import deletion, export
from app.privacy.forms import DeleteAccountForm, ExportForm
from app.web import form_status, submitted

bp = Blueprint("privacy", __name__, url_prefix="/settings/privacy")

# The hook for company sign-in (OpenID Connect): its callback stores the time of the sign-in here, as a UNIX
# timestamp, and an account without a password of ours confirms its deletion with a sign-in this recent.
SIGNED_IN_AT = "signed_in_at"


def _export_limit() -> str:
    return current_app.config["EXPORT_RATE_LIMIT"]


def _confirm_limit() -> str:
    return current_app.config["LOGIN_RATE_LIMIT"]


@bp.get("")
@access("member")
def page():
    return render_template(
        "privacy/page.html",
        export_form=ExportForm(),
        exports=export.exports_of(db.session(), current_user),
        now=datetime.now(UTC),
    )


@bp.post("/export")
@access("member")
@limiter.limit(_export_limit, key_func=user_or_address)
def request_export():
    if not ExportForm().validate_on_submit():
        raise BadRequest(_("The request could not be understood."))
    export.request_export(db.session(), current_user)
    db.commit()  # then the export is prepared (app/privacy/export.py)
    flash(_("We are preparing your data. We'll notify you when the download is ready."), "success")
    return redirect(url_for(".page"))


@bp.get("/exports/<id:export_id>")
@access("member", owner=True)
def download(export_id: int):
    ready = export.access_export(db.session(), current_user, export_id)
    return Response(
        ready.content,
        mimetype="application/zip",
        headers={
            "Content-Disposition": f'attachment; filename="{export.filename(ready)}"',
            "Cache-Control": "private, no-store",
        },
    )


@bp.route("/delete", methods=["GET", "POST"])
@access("member")
@limiter.limit(_confirm_limit, key_func=user_or_address, methods=["POST"])
def delete_account():
    form = DeleteAccountForm()
    locale = current_user.locale  # erased with the account; the goodbye is still said in the member's language
    done = submitted(form, lambda: _delete(form))
    if done is None:
        return render_template(
            "privacy/delete.html", form=form, has_password=deletion.has_local_password(current_user)
        ), form_status()
    session.clear()  # nothing of the signed-in session survives, the CSRF secret included
    logout_user()
    session["locale"] = locale
    flash(_("Your account is deleted. Thank you for having been part of the community."), "info")
    return redirect(url_for("forum.index"))


def _delete(form: DeleteAccountForm) -> deletion.Deletion:
    signed_in = session.get(SIGNED_IN_AT)
    confirmation = deletion.Confirmation(
        password=form.password.data or "",
        signed_in_at=datetime.fromtimestamp(signed_in, UTC) if isinstance(signed_in, int | float) else None,
    )
    config = current_app.config
    return deletion.delete_account(
        db.session(),
        current_user,
        confirmation,
        question_policy=config["DELETED_MEMBER_QUESTIONS"],
        retention_days=int(config["CASE_RETENTION_DAYS"]),
    )

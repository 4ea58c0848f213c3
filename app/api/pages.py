"""The settings page where members create, see and revoke their personal access tokens."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user
from wtforms import SelectChoice

from app.api import tokens
from app.api.forms import SCOPE_LABELS, TokenForm
from app.auth.access import access
from app.db import db
from app.web.forms import form_status, submitted

bp = Blueprint("api_tokens", __name__)


def _form() -> TokenForm:
    form = TokenForm()
    form.scopes.choices = [SelectChoice(scope, SCOPE_LABELS[scope]) for scope in tokens.scopes_for(current_user)]
    return form


@bp.route("/settings/tokens", methods=["GET", "POST"])
@access("member", owner=True)
def settings():
    form = _form()
    created = submitted(
        form,
        lambda: tokens.create(db.session(), current_user, form.name.data, list(form.scopes.data or []), form.days.data),
    )
    new_secret = None
    if created is not None:
        _token, new_secret = created
        form = _form()
        form.name.data = ""
    return render_template(
        "api/tokens.html",
        form=form,
        new_secret=new_secret,
        tokens=tokens.live(db.session(), current_user),
        scope_labels=SCOPE_LABELS,
    ), (200 if new_secret else form_status())


@bp.post("/settings/tokens/<id:token_id>/revoke")
@access("member", owner=True)
def revoke(token_id: int):
    tokens.revoke(db.session(), current_user, token_id)
    db.commit()
    flash(_("The token is revoked: anything using it is now refused."), "success")
    return redirect(url_for("api_tokens.settings"))

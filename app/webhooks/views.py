"""Admins register the help desk's endpoints, read each one's delivery log and send a delivery again."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from app.auth.access import access
from app.db import db
from app.web.forms import form_status, submitted
from app.webhooks import service
from app.webhooks.forms import EndpointForm

bp = Blueprint("webhooks", __name__, url_prefix="/admin/webhooks")


@bp.route("", methods=["GET", "POST"])
@access("admin")
def endpoints():
    form = EndpointForm()
    created = submitted(
        form,
        lambda: service.register(
            db.session(),
            current_user,
            service.EndpointDraft(
                form.url.data or "", tuple(form.events.data or ()), form.staff.data, form.secret.data or ""
            ),
        ),
    )
    if created is not None:
        form = EndpointForm(formdata=None)
    return render_template(
        "webhooks/endpoints.html",
        form=form,
        created=created,
        endpoints=service.endpoints(db.session()),
        events=service.EVENTS,
    ), (200 if created is not None else form_status())


@bp.get("/<id:endpoint_id>")
@access("admin")
def endpoint(endpoint_id: int):
    session = db.session()
    found = service.get_endpoint(session, endpoint_id)
    return render_template(
        "webhooks/endpoint.html", endpoint=found, deliveries=service.deliveries(session, found), events=service.EVENTS
    )


@bp.post("/<id:endpoint_id>/active")
@access("admin")
def set_active(endpoint_id: int):
    active = request.form.get("active") == "1"
    service.set_active(db.session(), current_user, endpoint_id, active)
    db.commit()
    flash(_("The webhook is on.") if active else _("The webhook is off: nothing is sent to it."), "success")
    return redirect(url_for("webhooks.endpoint", endpoint_id=endpoint_id))


@bp.post("/<id:endpoint_id>/delete")
@access("admin")
def delete(endpoint_id: int):
    service.remove(db.session(), current_user, endpoint_id)
    db.commit()
    flash(_("The webhook and its delivery log were removed."), "success")
    return redirect(url_for("webhooks.endpoints"))


@bp.post("/<id:endpoint_id>/deliveries/<id:delivery_id>/redeliver")
@access("admin")
def redeliver(endpoint_id: int, delivery_id: int):
    service.redeliver(db.session(), current_user, endpoint_id, delivery_id)
    db.commit()
    flash(_("The delivery is on its way again."), "success")
    return redirect(url_for("webhooks.endpoint", endpoint_id=endpoint_id))

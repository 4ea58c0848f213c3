"""Notifications, follows, e-mail settings, one-click unsubscribe, and Atom feeds of public questions."""

from __future__ import annotations

from datetime import UTC
from xml.etree import ElementTree as ET

from flask import Blueprint, Response, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from wtforms import BooleanField, RadioField, SelectChoice
from wtforms.validators import DataRequired

from app import content
from app.auth.access import access
from app.db import db, utcnow
from app.extensions import csrf
from app.forum import service as forum
from app.notifications import links, mail, service
from app.web import safe_next
from app.web.forms import AgoraForm, form_status, submitted

bp = Blueprint("notifications", __name__)


class EmailSettingsForm(AgoraForm):
    email_pref = RadioField(
        choices=[SelectChoice("immediately", ""), SelectChoice("daily", ""), SelectChoice("never", "")],
        validators=[DataRequired()],
    )
    reply_by_email = BooleanField()


@bp.get("/notifications")
@access("member")
def notification_list():
    """Reading the list changes nothing: a GET can be triggered by any page (an image in a post), so marking
    read takes a POST, by the "Mark all as read" button or by opening one notification."""
    items = service.recent(db.session(), current_user)
    return render_template("notifications/list.html", items=items, unread={i.id for i in items if i.read_at is None})


@bp.post("/notifications/read")
@access("member")
def notifications_read():
    service.mark_all_read(db.session(), current_user)
    db.commit()
    return redirect(url_for(".notification_list"))


@bp.post("/notifications/<id:notification_id>/open")
@access("member", owner=True)
def open_notification(notification_id: int):
    """Mark one notification read and go where it points (only ever a path on this site)."""
    note = service.mark_read(db.session(), current_user, notification_id)
    db.commit()
    return redirect(safe_next(note.link, url_for(".notification_list")))


@bp.post("/<any(questions, boards, tags):kind>/<id:target_id>/<any(follow, unfollow):action>")
@access("member")
def follow(kind: str, target_id: int, action: str):
    service.set_following(db.session(), current_user, kind.removesuffix("s"), target_id, action == "follow")
    db.commit()
    flash(
        _("You follow it now: you'll hear about new posts.") if action == "follow" else _("You no longer follow it."),
        "success",
    )
    fallback = url_for("forum.question", question_id=target_id) if kind == "questions" else url_for("forum.index")
    return redirect(safe_next(request.form.get("next"), fallback))


@bp.route("/settings/notifications", methods=["GET", "POST"])
@access("member")
def email_settings():
    data = {"email_pref": current_user.email_pref, "reply_by_email": current_user.reply_by_email}
    form = EmailSettingsForm(data=data if request.method == "GET" else None)

    def save():
        return service.set_email_pref(db.session(), current_user, form.email_pref.data, form.reply_by_email.data)

    if submitted(form, save):
        flash(_("Your e-mail settings are saved."), "success")
        return redirect(url_for(".email_settings"))
    bouncing = mail.is_bouncing(db.session(), current_user.email, current_app.config["MAIL_BOUNCE_LIMIT"])
    return render_template("notifications/settings.html", form=form, bouncing=bouncing), form_status()


@bp.post("/settings/notifications/mail-works")
@access("member")
def mail_works():
    """The member fixed their mailbox (or their address): their mail is sent again."""
    mail.clear_bounces(db.session(), current_user.email)
    db.commit()
    flash(_("Thank you. We'll send your e-mail again."), "success")
    return redirect(url_for(".email_settings"))


@bp.route("/unsubscribe/<token>", methods=["GET", "POST"])
@access("visitor")
@csrf.exempt
def unsubscribe(token: str):
    """The link in every e-mail: signed with the app's key, so nobody can unsubscribe someone else. A GET only
    asks (mail scanners open links); a POST unsubscribes, without a CSRF token or sign-in, as RFC 8058's
    one-click POST from the mail provider (List-Unsubscribe=One-Click) must. The signed token is the proof."""
    session = db.session()
    user = service.user_for_token(session, token)
    if user is None:
        return render_template("notifications/unsubscribe.html", user=None, done=False), 400
    if request.method == "POST":
        service.set_email_pref(session, user, "never")
        db.commit()
        return render_template("notifications/unsubscribe.html", user=user, done=True)
    return render_template("notifications/unsubscribe.html", user=user, done=False)


# --- feeds --------------------------------------------------------------------------------------

ATOM = "http://www.w3.org/2005/Atom"


def _atom(title: str, self_url: str, html_url: str, questions) -> Response:
    """An Atom feed of public questions (lists never hold hidden or withdrawn ones)."""
    base = links.signer().base_url
    ET.register_namespace("", ATOM)
    feed = ET.Element(f"{{{ATOM}}}feed")
    ET.SubElement(feed, f"{{{ATOM}}}title").text = title
    ET.SubElement(feed, f"{{{ATOM}}}id").text = base + self_url
    ET.SubElement(feed, f"{{{ATOM}}}link", rel="self", href=base + self_url)
    ET.SubElement(feed, f"{{{ATOM}}}link", rel="alternate", href=base + html_url)
    newest = max((q.last_activity_at for q in questions), default=None)
    ET.SubElement(feed, f"{{{ATOM}}}updated").text = (newest or utcnow()).astimezone(UTC).isoformat()
    for question in questions:
        url = base + url_for("forum.question", question_id=question.id, slug=question.slug)
        entry = ET.SubElement(feed, f"{{{ATOM}}}entry")
        ET.SubElement(entry, f"{{{ATOM}}}title").text = question.title
        ET.SubElement(entry, f"{{{ATOM}}}id").text = url
        ET.SubElement(entry, f"{{{ATOM}}}link", rel="alternate", href=url)
        ET.SubElement(entry, f"{{{ATOM}}}updated").text = question.last_activity_at.astimezone(UTC).isoformat()
        ET.SubElement(entry, f"{{{ATOM}}}published").text = question.created_at.astimezone(UTC).isoformat()
        author = ET.SubElement(entry, f"{{{ATOM}}}author")
        ET.SubElement(author, f"{{{ATOM}}}name").text = question.author.name
        for tag in question.tags:
            ET.SubElement(entry, f"{{{ATOM}}}category", term=tag.name)
    body = ET.tostring(feed, encoding="unicode", xml_declaration=True)
    return Response(body, mimetype="application/atom+xml")


@bp.get("/feeds/boards/<slug>.atom")
@access("visitor")
def board_feed(slug: str):
    session = db.session()
    board = forum.get_board(session, slug)
    page = forum.list_questions(session, board=board, limit=30).questions
    return _atom(
        _("%(board)s — Nimbus Community", board=board.name), request.path, url_for("forum.board", slug=board.slug), page
    )


@bp.get("/feeds/tags/<tag>.atom")
@access("visitor")
def tag_feed(tag: str):
    name = content.normalize_tag(tag)
    if not content.TAG_PATTERN.match(name):
        abort(404)
    page = forum.list_questions(db.session(), tag=name, limit=30).questions
    return _atom(
        _("Questions tagged %(tag)s — Nimbus Community", tag=name),
        request.path,
        url_for("forum.questions", tag=name),
        page,
    )

"""Attachments over HTTP: the editor's upload endpoint, serving a file under its post's visibility, and a
moderator's removal. Forms that take files use `uploaded_files` and `store_uploads`."""

from __future__ import annotations

from urllib.parse import quote

from flask import Blueprint, Response, abort, current_app, flash, jsonify, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from app.attachments import service
from app.attachments.models import Attachment
from app.attachments.storage import Storage, make_storage
from app.auth.access import access
from app.db import db
from app.errors import DomainError
from app.extensions import limiter, user_or_address
from app.moderation.forms import ReasonForm
from app.web.forms import submitted_action

bp = Blueprint("attachments", __name__)

# Views whose forms may carry files: their requests may be larger than MAX_CONTENT_LENGTH (set before the CSRF
# check reads the form).
UPLOAD_ENDPOINTS = frozenset(
    {
        "attachments.upload",
        "forum.ask",
        "forum.answer",
        "forum.edit_question",
        "forum.edit_answer",
        "escalation.reply",
    }
)
EXTENSION = "agora_attachments"


def init_app(app) -> None:
    app.extensions[EXTENSION] = make_storage(app.config)

    def allow_uploads() -> None:
        # Only a multipart form carries files; its text fields stay within MAX_FORM_MEMORY_SIZE.
        if request.endpoint in UPLOAD_ENDPOINTS and request.mimetype == "multipart/form-data":
            config = current_app.config
            request.max_content_length = config["ATTACHMENTS_PER_POST"] * config["ATTACHMENT_MAX_BYTES"] + 1024 * 1024

    app.before_request_funcs.setdefault(None, []).insert(0, allow_uploads)


def storage() -> Storage:
    return current_app.extensions[EXTENSION]


def rules() -> service.UploadRules:
    return service.UploadRules.from_config(current_app.config)


def uploaded_files(field: str = "files") -> list[tuple[str, bytes]]:
    """The files a form sent (a file input left empty sends one nameless part, which is not a file)."""
    return [(item.filename, item.read()) for item in request.files.getlist(field) if item and item.filename]


def store_uploads(body: str) -> str:
    """For a form posted without the editor's script: store the files it carries (ValidationFailed names the one
    refused) and return the text with a link to each, which the post's service then takes as its own."""
    uploads = uploaded_files()
    if not uploads:
        return body
    stored = service.upload(db.session(), storage(), current_user, uploads, rules())
    db.commit()  # kept as pending uploads even if the post is then refused, so the links in the text stay good
    return service.with_links(body, stored)


@bp.post("/attachments")
@access("member")
# Its own count, apart from posting: a member may paste several screenshots into one answer. The daily quota is
# the real bound.
@limiter.limit("20 per minute", key_func=user_or_address)
def upload():
    """The editor's button, drag-and-drop and paste: store the files, answer with the Markdown that shows them."""
    from app.web.forms import AgoraForm

    if not AgoraForm().validate_on_submit():
        abort(400)
    uploads = uploaded_files()
    if not uploads:
        return jsonify(error=_("Choose a file to attach.")), 422
    try:
        stored = service.upload(db.session(), storage(), current_user, uploads, rules())
    except DomainError as error:
        return jsonify(error=str(error.message)), error.status
    db.commit()
    return jsonify(
        attachments=[
            {"id": a.id, "url": service.url_of(a), "filename": a.filename, "markdown": service.markdown_for(a)}
            for a in stored
        ]
    )


def _file_response(attachment: Attachment, key: str | None, content_type: str) -> Response:
    # Streamed from the storage (a bucket too: served from this site's origin under its headers, not redirected).
    opened = storage().open(key) if key else None
    if opened is None:
        abort(404)
    response = Response(opened.chunks, mimetype=content_type.split(";")[0])
    response.content_length = opened.size
    if ";" in content_type:
        response.headers["Content-Type"] = content_type
    disposition = "inline" if attachment.is_image else "attachment"
    response.headers["Content-Disposition"] = f"{disposition}; filename*=UTF-8''{quote(attachment.filename)}"
    response.headers["X-Content-Type-Options"] = "nosniff"
    # Even if a file were not what it seems, nothing in it may run or load anything.
    response.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
    # Visibility can change (a post hidden, a thread withdrawn): no shared cache keeps a copy.
    response.headers["Cache-Control"] = "private, max-age=300"
    return response


@bp.get("/attachments/<id:attachment_id>/<filename>")
@access("visitor")
def serve(attachment_id: int, filename: str):
    attachment = service.access_attachment(db.session(), current_user, attachment_id)
    if attachment.upload_key is not None:
        reencode(attachment)  # the upload itself is never served
    if filename == "thumbnail" and attachment.thumb_key:
        return _file_response(attachment, attachment.thumb_key, "image/webp")
    if filename != attachment.filename:
        abort(404)
    return _file_response(attachment, attachment.storage_key, attachment.content_type)


def reencode(attachment: Attachment) -> bool:
    """Re-encode one image's upload in a write session of its own, then delete what the commit made obsolete (the
    upload, or a removed file's bytes). The job does this for every waiting upload; a reader's request for an
    image the workers have not reached yet does it for that one. True when there was something to finish."""
    with db.scope() as session:
        finished = service.process(session, storage(), attachment, rules().limits)
        db.commit(session)
    for key in finished:
        storage().delete(key)
    return bool(finished)


@bp.post("/attachments/<id:attachment_id>/remove")
@access("moderator")
def remove(attachment_id: int):
    form = ReasonForm()
    removed = submitted_action(
        form,
        lambda: service.remove(db.session(), current_user, attachment_id, form.reason.data or ""),
        _("File removed."),
    )
    for key in (removed.storage_key, removed.thumb_key, removed.upload_key):
        if key:
            storage().delete(key)
    question_id = removed.question_id or _question_of_answer(removed.answer_id)
    if question_id:
        return redirect(url_for("moderation.thread", question_id=question_id))
    flash(_("File removed."), "success")
    return redirect(url_for("forum.index"))


def _question_of_answer(answer_id: int | None) -> int | None:
    from app.forum.models import Answer

    answer = db.session().get(Answer, answer_id) if answer_id else None
    return answer.question_id if answer else None

"""Uploading, holding, serving and removing attachments. An attachment is held by the post or case message whose
text links to it, and anyone who may read that holder may fetch it; nobody else may."""

from __future__ import annotations

import re
import secrets
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from flask_babel import lazy_gettext as _
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.accounts.models import User
from app.attachments import files
from app.attachments.models import Attachment
from app.attachments.storage import Storage
from app.auth.permissions import can, is_member, require
from app.auth.visibility import access_post
from app.db import utcnow
from app.errors import NotFound, RateLimited, ValidationFailed
from app.escalation.models import Case, CaseMessage
from app.forum.models import Answer, Question
from app.moderation.service.auditing import audit

# How a post's Markdown links to an upload: /attachments/<id>/<file name>. content.py shows only these as images.
LINK = re.compile(r"/attachments/(\d{1,12})/[^\s()<>\"'?#]+")
NEW_ACCOUNT_AGE = timedelta(days=1)
PENDING_FOR = timedelta(days=1)  # an upload no post took within a day is deleted by the cleanup command


@dataclass(frozen=True)
class UploadRules:
    """The limits, from settings: size and pixels per file, files per post, files a member may upload a day."""

    limits: files.Limits
    per_post: int
    daily_quota: int
    new_account_daily_quota: int

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> UploadRules:
        return cls(
            limits=files.Limits(
                max_bytes=config["ATTACHMENT_MAX_BYTES"],
                max_side=config["ATTACHMENT_MAX_SIDE"],
                max_pixels=config["ATTACHMENT_MAX_PIXELS"],
            ),
            per_post=config["ATTACHMENTS_PER_POST"],
            daily_quota=config["ATTACHMENT_DAILY_QUOTA"],
            new_account_daily_quota=config["NEW_ACCOUNT_ATTACHMENT_DAILY_QUOTA"],
        )

    def quota_for(self, user: User, now: datetime) -> int:
        return self.new_account_daily_quota if user.created_at > now - NEW_ACCOUNT_AGE else self.daily_quota


class QuotaExceeded(RateLimited):
    """Shown on the form's file field (a form keeps what was written); the upload endpoint answers 429."""


def url_of(attachment: Attachment) -> str:
    return f"/attachments/{attachment.id}/{attachment.filename}"


def thumbnail_url(attachment: Attachment) -> str:
    return f"/attachments/{attachment.id}/thumbnail"


def markdown_for(attachment: Attachment) -> str:
    """What a post's text says to show the file: an image, or a link to download a log."""
    prefix = "!" if attachment.is_image else ""
    return f"{prefix}[{attachment.filename}]({url_of(attachment)})"


def linked_ids(text: str) -> list[int]:
    return list(dict.fromkeys(int(match.group(1)) for match in LINK.finditer(text or "")))


def upload(
    session: Session, storage: Storage, uploader: User, uploads: list[tuple[str, bytes]], rules: UploadRules
) -> list[Attachment]:
    """Check every file, then store them as the uploader's pending attachments. Nothing is stored unless all
    are accepted, so the member fixes the one that was refused and sends the lot again."""
    require(uploader, "upload", None, _("Your account is suspended, so you can't upload files right now."))
    if len(uploads) > rules.per_post:
        raise ValidationFailed(_("Attach at most %(max)d files to one post.", max=rules.per_post), "files")
    now = utcnow()
    quota = rules.quota_for(uploader, now)
    used = session.scalar(
        select(func.count(Attachment.id)).where(
            Attachment.uploader_id == uploader.id, Attachment.created_at > now - timedelta(days=1)
        )
    )
    if (used or 0) + len(uploads) > quota:
        raise QuotaExceeded(
            _("You can attach %(max)d files a day, and you have reached that. Try again tomorrow.", max=quota),
            "files",
        )
    prepared = [files.prepare(name, data, rules.limits) for name, data in uploads]
    stored = []
    for item in prepared:
        token = secrets.token_hex(16)
        key, upload_key = f"{token[:2]}/{token}.{item.extension}", None
        thumb_key = f"{token[:2]}/{token}-thumb.webp" if item.kind == "image" else None
        if item.processed:
            storage.save(key, item.data)
        else:  # an image: re-encoded after the commit by a job (process_uploads), or on its first request
            upload_key = f"{token[:2]}/{token}-upload.{item.extension}"
            storage.save(upload_key, item.data)
            session.info["attachments_dirty"] = True
        if item.thumbnail is not None and thumb_key is not None:
            storage.save(thumb_key, item.thumbnail)
        attachment = Attachment(
            uploader_id=uploader.id,
            kind=item.kind,
            content_type=item.content_type,
            filename=item.filename,
            size=len(item.data),
            width=item.width,
            height=item.height,
            storage_key=key,
            thumb_key=thumb_key,
            upload_key=upload_key,
            created_at=now,
        )
        session.add(attachment)
        stored.append(attachment)
    session.flush()
    return stored


def process(session: Session, storage: Storage, attachment: Attachment, limits: files.Limits) -> list[str]:
    """Re-encode an image's upload into the files that are served, and mark it done in `session`. `attachment` may
    come from another (reading) session: the work is done before `session` is touched, so no write transaction is
    held while Pillow works (SQLite has one writer at a time). Returns the storage keys to delete once the caller
    has committed (a failed commit must still find them): the upload when this call did the work; what it wrote as
    well when a moderator removed the file meanwhile; nothing when another worker or reader finished it first. An
    upload that can never be re-encoded (lost, or refused by limits tightened since it was checked) leaves its file
    removed, like a moderator's removal: it is never served as sent."""
    upload_key = attachment.upload_key
    if upload_key is None or attachment.removed_at is not None:
        return []
    original = storage.load(upload_key)
    if original is None:  # another worker finished it (and deleted the upload), or the upload is lost
        return _give_up(session, attachment.id, upload_key, [])
    try:
        done = files.process_image(attachment.content_type, original, limits)
    except ValidationFailed:
        return _give_up(session, attachment.id, upload_key, [upload_key])
    storage.save(attachment.storage_key, done.data)
    if attachment.thumb_key and done.thumbnail is not None:
        storage.save(attachment.thumb_key, done.thumbnail)
    waiting = _still_waiting(session, attachment.id, upload_key)
    if waiting is None:
        current = session.get(Attachment, attachment.id)
        if current is None or current.removed_at is not None:  # removed meanwhile: its files must not come back
            return [key for key in (attachment.storage_key, attachment.thumb_key, upload_key) if key]
        return []
    waiting.upload_key, waiting.size, waiting.width, waiting.height = None, len(done.data), done.width, done.height
    session.flush()
    return [upload_key]


def _still_waiting(session: Session, attachment_id: int, upload_key: str) -> Attachment | None:
    """The row, locked, only while this upload still waits and nobody removed it: of two at it, the second finds
    it done."""
    return session.scalar(
        select(Attachment)
        .where(Attachment.id == attachment_id, Attachment.upload_key == upload_key, Attachment.removed_at.is_(None))
        .with_for_update()
        .execution_options(populate_existing=True)
    )


def _give_up(session: Session, attachment_id: int, upload_key: str, keys: list[str]) -> list[str]:
    waiting = _still_waiting(session, attachment_id, upload_key)
    if waiting is None:
        return []
    waiting.removed_at = utcnow()
    session.flush()
    return keys


def waiting_uploads(session: Session, limit: int = 50) -> list[Attachment]:
    """Images whose upload no job has re-encoded yet, oldest first."""
    return list(
        session.scalars(
            select(Attachment)
            .where(Attachment.upload_key.is_not(None), Attachment.removed_at.is_(None))
            .order_by(Attachment.id)
            .limit(limit)
        )
    )


def with_links(body: str, attachments: Iterable[Attachment]) -> str:
    """The text with a line linking each newly attached file that it does not link yet (the form without JS)."""
    linked = set(linked_ids(body))
    lines = [markdown_for(a) for a in attachments if a.id not in linked]
    return body.rstrip() + "\n\n" + "\n\n".join(lines) if lines else body


def hold(
    session: Session,
    owner: User,
    text: str,
    per_post: int,
    question: Question | None = None,
    answer: Answer | None = None,
    message: CaseMessage | None = None,
) -> list[Attachment]:
    """The post or message (flushed) now holds the uploads its text links to: the owner's own pending ones.
    Links to someone else's files, or to files another post holds, change nothing: they are only links."""
    ids = linked_ids(text)
    if not ids:
        return []
    pending = list(
        session.scalars(
            select(Attachment).where(
                Attachment.id.in_(ids),
                Attachment.uploader_id == owner.id,
                Attachment.question_id.is_(None),
                Attachment.answer_id.is_(None),
                Attachment.case_message_id.is_(None),
                Attachment.removed_at.is_(None),
            )
        )
    )
    holder = _holder_filter(question, answer, message)
    held = session.scalar(select(func.count(Attachment.id)).where(holder)) or 0
    if held + len(pending) > per_post:
        raise ValidationFailed(_("Attach at most %(max)d files to one post.", max=per_post), "files")
    for attachment in pending:
        attachment.question_id = question.id if question is not None else None
        attachment.answer_id = answer.id if answer is not None else None
        attachment.case_message_id = message.id if message is not None else None
    return pending


def _holder_filter(question: Question | None, answer: Answer | None, message: CaseMessage | None) -> Any:
    if question is not None:
        return Attachment.question_id == question.id
    if answer is not None:
        return Attachment.answer_id == answer.id
    assert message is not None
    return Attachment.case_message_id == message.id


def access_attachment(session: Session, viewer: Any, attachment_id: int) -> Attachment:
    """Load an attachment for `viewer`: NotFound unless they may read what holds it (a pending upload: only its
    uploader), and for a removed one."""
    attachment = session.get(Attachment, attachment_id)
    if attachment is None or attachment.removed_at is not None or not _may_read(session, viewer, attachment):
        raise NotFound(_("That file doesn't exist or was removed."))
    return attachment


def _may_read(session: Session, viewer: Any, attachment: Attachment) -> bool:
    for kind, post_id in (("question", attachment.question_id), ("answer", attachment.answer_id)):
        if post_id is not None:
            try:
                access_post(session, viewer, kind, post_id)
            except NotFound:
                return False
            return True
    if attachment.case_message_id is not None:
        message = session.get(CaseMessage, attachment.case_message_id)
        case = session.get(Case, message.case_id) if message is not None else None
        if message is None or not can(viewer, "read_case", case):
            return False
        return not message.is_internal or can(viewer, "write_internal_note", case)
    return is_member(viewer) and attachment.uploader_id == viewer.id


def attachments_of_thread(session: Session, question: Question) -> list[Attachment]:
    """Every file held by a question and its answers, for the moderators' thread tools."""
    answer_ids = select(Answer.id).where(Answer.question_id == question.id)
    query = select(Attachment).where(
        (Attachment.question_id == question.id) | Attachment.answer_id.in_(answer_ids),
        Attachment.removed_at.is_(None),
    )
    return list(session.scalars(query.order_by(Attachment.id)))


def remove(session: Session, moderator: User, attachment_id: int, reason: str) -> Attachment:
    """A moderator takes a file down (it is no longer served; its bytes go in the views' after-commit step)."""
    require(moderator, "moderate", None)
    attachment = session.get(Attachment, attachment_id)
    if attachment is None or attachment.removed_at is not None:
        raise NotFound(_("That file doesn't exist or was removed."))
    attachment.removed_at = utcnow()
    attachment.removed_by_id = moderator.id
    audit(
        session,
        moderator,
        "attachment_removed",
        "attachment",
        attachment.id,
        reason,
        before={
            "filename": attachment.filename,
            "question_id": attachment.question_id,
            "answer_id": attachment.answer_id,
        },
    )
    return attachment


@dataclass(frozen=True)
class Cleanup:
    pending_deleted: int
    removed_files: int
    orphan_files: int


def cleanup(session: Session, storage: Storage, now: datetime | None = None) -> Cleanup:
    """For cron: uploads no post took within a day are deleted; removed attachments lose their bytes; stored
    files with no row (a post deleted, a failed request) are deleted once an hour old."""
    now = now or utcnow()
    stale = list(
        session.scalars(
            select(Attachment).where(
                Attachment.question_id.is_(None),
                Attachment.answer_id.is_(None),
                Attachment.case_message_id.is_(None),
                Attachment.created_at < now - PENDING_FOR,
            )
        )
    )
    for attachment in stale:
        session.delete(attachment)
    session.flush()
    removed = list(session.scalars(select(Attachment).where(Attachment.removed_at.is_not(None))))
    live_keys: set[str] = set()
    for row in session.execute(
        select(Attachment.storage_key, Attachment.thumb_key, Attachment.upload_key).where(
            Attachment.removed_at.is_(None)
        )
    ):
        live_keys.update(key for key in row if key)
    removed_files = 0
    orphans = 0
    removed_keys = {key for a in removed for key in (a.storage_key, a.thumb_key, a.upload_key) if key}
    for key in list(storage.keys()):
        if key in live_keys:
            continue
        if key in removed_keys:
            storage.delete(key)
            removed_files += 1
        elif storage.age_seconds(key) > 3600 or any(key in (a.storage_key, a.thumb_key, a.upload_key) for a in stale):
            storage.delete(key)
            orphans += 1
    return Cleanup(len(stale), removed_files, orphans)

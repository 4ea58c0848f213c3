"""A member's data export: everything Agora holds about them, as a ZIP of JSON files and a readable summary.

Requests are rows in `data_exports`; the ZIP is built after the commit that asked for it (in the request when the
member has little data, in a background thread when they have much) and announced by a notification whose link
works for that member alone, for EXPORT_HOURS."""

from __future__ import annotations

import io
import json
import logging
import threading
import zipfile
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from flask import Flask, current_app
from flask_babel import force_locale
from flask_babel import lazy_gettext as _
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from app.accounts.models import User, UserSession
from app.auth.visibility import can_see
from app.db import db, utcnow
from app.errors import Conflict, NotFound
from app.escalation.models import Case, CaseMessage
from app.forum.models import Answer, Board, Question, Revision
from app.moderation.models import Flag
from app.moderation.service.auditing import audit
from app.notifications import service as notifications
from app.notifications.models import EmailMessage, Notification, Subscription
from app.privacy.models import DataExport
from app.reputation.models import Kudo, PointEvent, UserBadge

log = logging.getLogger(__name__)

WAITING = ("pending", "preparing")


def export_link(export: DataExport) -> str:
    return f"/settings/privacy/exports/{export.id}"


# --- asking -------------------------------------------------------------------------------------


def request_export(session: Session, user: User) -> DataExport:
    """Ask for a new export; one at a time (a second request while one is being prepared is a Conflict)."""
    waiting = session.scalar(select(DataExport.id).where(DataExport.user_id == user.id, DataExport.status.in_(WAITING)))
    if waiting is not None:
        raise Conflict(_("Your data export is already being prepared. We'll notify you when it is ready."))
    export = DataExport(user_id=user.id, status="pending", requested_at=utcnow(), size=0)
    session.add(export)
    session.flush()
    audit(session, user, "data_export_requested", "user", user.id)
    session.info["export_pending"] = True
    return export


def exports_of(session: Session, user: User, limit: int = 10) -> list[DataExport]:
    return list(
        session.scalars(
            select(DataExport).where(DataExport.user_id == user.id).order_by(DataExport.id.desc()).limit(limit)
        )
    )


def access_export(session: Session, user: User, export_id: int, now: datetime | None = None) -> DataExport:
    """The member's own ready, unexpired export; anyone else's (or an expired one) is NotFound."""
    export = session.get(DataExport, export_id)
    if export is None or export.user_id != user.id:
        raise NotFound(_("There is no such export."))
    if export.status != "ready" or export.content is None or _expired(export, now):
        raise NotFound(_("This download has expired. Ask for a new export on your privacy page."))
    return export


def _expired(export: DataExport, now: datetime | None = None) -> bool:
    return export.expires_at is not None and export.expires_at <= (now or utcnow())


# --- preparing ----------------------------------------------------------------------------------


def volume(session: Session, user_id: int) -> int:
    """About how many rows an export of this member gathers: decides between now and the background."""
    counts = [
        select(func.count()).select_from(Question).where(Question.author_id == user_id),
        select(func.count()).select_from(Answer).where(Answer.author_id == user_id),
        select(func.count()).select_from(Notification).where(Notification.user_id == user_id),
        select(func.count()).select_from(PointEvent).where(PointEvent.user_id == user_id),
        select(func.count()).select_from(Kudo).where(Kudo.receiver_id == user_id),
    ]
    return sum(session.scalar(query) or 0 for query in counts)


def prepare_after_commit(app: Flask) -> None:
    """Prepare the waiting exports: a small one at once (the member finds it ready on the next page), a large
    one in a background thread so the request is not held up."""
    with db.scope() as session:
        waiting = list(session.execute(select(DataExport.id, DataExport.user_id).where(DataExport.status == "pending")))
        sizes = {export_id: volume(session, user_id) for export_id, user_id in waiting}
    limit = int(app.config["EXPORT_INLINE_MAX_ROWS"])
    for export_id, rows in sizes.items():
        if rows <= limit:
            prepare(app, export_id)
        else:
            threading.Thread(target=prepare, args=(app, export_id), name=f"export-{export_id}", daemon=True).start()


def prepare_pending(app: Flask) -> int:
    """Prepare every waiting export here and now (`flask privacy exports`, after a crash); returns how many."""
    with db.scope() as session:
        ids = list(session.scalars(select(DataExport.id).where(DataExport.status == "pending").order_by(DataExport.id)))
    return sum(1 for export_id in ids if prepare(app, export_id))


def prepare(app: Flask, export_id: int) -> bool:
    """Build one export in its own app context (its own language and catalogue cache) and session. Only one
    worker claims it: the status moves from pending to preparing in a single UPDATE."""
    with app.app_context(), db.scope() as session:
        claimed = session.execute(
            update(DataExport)
            .where(DataExport.id == export_id, DataExport.status == "pending")
            .values(status="preparing")
        ).rowcount
        session.commit()
        if not claimed:
            return False
        export = session.get(DataExport, export_id)
        user = session.get(User, export.user_id)
        try:
            with force_locale(user.locale if user.locale in app.config["LANGUAGES"] else "en"):
                data = collect(session, user)
                content = build_zip(data, render_summary(data))
        except Exception:
            log.exception("data export %s failed", export_id)
            session.rollback()
            export = session.get(DataExport, export_id)
            export.status = "failed"
            db.commit(session)
            return False
        now = utcnow()
        export.status, export.content, export.size = "ready", content, len(content)
        export.ready_at, export.expires_at = now, now + timedelta(hours=int(app.config["EXPORT_HOURS"]))
        audit(session, None, "data_export_ready", "user", user.id, after={"export": export.id, "bytes": len(content)})
        notifications.notify(session, user.id, "export_ready", {}, export_link(export))
        db.commit(session)
        return True


def expire(session: Session, now: datetime | None = None) -> int:
    """Drop the bytes of exports past their time (the row stays as a record that one was made)."""
    result = session.execute(
        update(DataExport)
        .where(DataExport.status == "ready", DataExport.expires_at <= (now or utcnow()))
        .values(status="expired", content=None)
    )
    return result.rowcount or 0


# --- what the export holds ----------------------------------------------------------------------


@dataclass(frozen=True)
class ExportData:
    """Each file of the export: name -> rows (or, for the profile, one object)."""

    user_name: str
    made_at: datetime
    files: dict[str, Any]


def _time(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def _revisions(revisions: list[Revision], names: dict[int, str]) -> list[dict[str, Any]]:
    return [
        {
            "number": r.number,
            "editor": names.get(r.editor_id, ""),
            "title": r.title,
            "tags": r.tags,
            "body": r.body_source,
            "created_at": _time(r.created_at),
        }
        for r in revisions
    ]


def collect(session: Session, user: User) -> ExportData:
    """Everything held about `user`: never another member's private data, never staff's internal notes."""
    uid = user.id
    questions = list(session.scalars(select(Question).where(Question.author_id == uid).order_by(Question.id)))
    answers = list(session.scalars(select(Answer).where(Answer.author_id == uid).order_by(Answer.id)))
    question_ids, answer_ids = [q.id for q in questions], [a.id for a in answers]
    revisions = list(
        session.scalars(
            select(Revision)
            .where(Revision.question_id.in_(question_ids) | Revision.answer_id.in_(answer_ids))
            .order_by(Revision.id)
        )
    )
    cases = list(session.scalars(select(Case).where(Case.customer_id == uid).order_by(Case.id)))
    messages = list(
        session.scalars(
            select(CaseMessage)
            .where(CaseMessage.case_id.in_([c.id for c in cases]), CaseMessage.is_internal.is_(False))
            .order_by(CaseMessage.id)
        )
    )
    kudos_given = list(session.scalars(select(Kudo).where(Kudo.giver_id == uid).order_by(Kudo.id)))
    kudos_received = list(session.scalars(select(Kudo).where(Kudo.receiver_id == uid).order_by(Kudo.id)))
    people = {r.editor_id for r in revisions} | {m.author_id for m in messages} | {k.giver_id for k in kudos_received}
    names = {u.id: u.name for u in session.scalars(select(User).where(User.id.in_(people)))}
    related = {a.question_id for a in answers}
    follows = list(session.scalars(select(Subscription).where(Subscription.user_id == uid).order_by(Subscription.id)))
    related |= {s.question_id for s in follows if s.question_id}
    seen = {q.id: q for q in session.scalars(select(Question).where(Question.id.in_(related)))}
    boards = {b.id: b for b in session.scalars(select(Board))}

    def title_of(question_id: int | None) -> str | None:
        # The title of someone else's thread only while this member may still read it.
        question = seen.get(question_id) if question_id else None
        return question.title if question is not None and can_see(user, question) else None

    by_question: dict[int, list[Revision]] = {}
    by_answer: dict[int, list[Revision]] = {}
    for r in revisions:
        (by_question.setdefault(r.question_id, []) if r.question_id else by_answer.setdefault(r.answer_id, [])).append(
            r
        )
    files: dict[str, Any] = {
        "profile.json": {
            "id": uid,
            "username": user.username,
            "email": user.email,
            "display_name": user.display_name,
            "bio": user.bio,
            "language": user.locale,
            "role": user.role,
            "points": user.points,
            "accepted_solutions": user.solution_count,
            "email_notifications": user.email_pref,
            "created_at": _time(user.created_at),
            "last_seen_at": _time(user.last_seen_at),
            "suspended_at": _time(user.suspended_at),
            "suspended_until": _time(user.suspended_until),
            "suspension_reason": user.suspension_reason,
        },
        "sign_ins.json": [
            {
                "started_at": _time(s.created_at),
                "last_seen_at": _time(s.last_seen_at),
                "client": s.client,
                "ended_at": _time(s.revoked_at),
            }
            for s in session.scalars(select(UserSession).where(UserSession.user_id == uid).order_by(UserSession.id))
        ],
        "questions.json": [
            {
                "id": q.id,
                "board": boards[q.board_id].name if q.board_id in boards else None,
                "title": q.title,
                "body": q.body_source,
                "language": q.language,
                "created_at": _time(q.created_at),
                "edited_at": _time(q.edited_at),
                "solved": q.is_solved,
                "hidden": q.is_hidden,
                "hidden_reason": q.hidden_reason,
                "private": q.is_private,
                "revisions": _revisions(by_question.get(q.id, []), names),
            }
            for q in questions
        ],
        "answers.json": [
            {
                "id": a.id,
                "question_id": a.question_id,
                "question_title": title_of(a.question_id),
                "body": a.body_source,
                "language": a.language,
                "created_at": _time(a.created_at),
                "edited_at": _time(a.edited_at),
                "accepted": a.is_accepted,
                "hidden": a.is_hidden,
                "hidden_reason": a.hidden_reason,
                "revisions": _revisions(by_answer.get(a.id, []), names),
            }
            for a in answers
        ],
        "kudos_given.json": [
            {"question_id": k.question_id, "answer_id": k.answer_id, "created_at": _time(k.created_at)}
            for k in kudos_given
        ],
        "kudos_received.json": [
            {
                "from": names.get(k.giver_id, ""),
                "question_id": k.question_id,
                "answer_id": k.answer_id,
                "created_at": _time(k.created_at),
            }
            for k in kudos_received
        ],
        "points.json": [
            {
                "delta": p.delta,
                "reason": p.reason,
                "question_id": p.question_id,
                "answer_id": p.answer_id,
                "created_at": _time(p.created_at),
            }
            for p in session.scalars(select(PointEvent).where(PointEvent.user_id == uid).order_by(PointEvent.id))
        ],
        "badges.json": [
            {"badge": b.badge, "awarded_at": _time(b.awarded_at)}
            for b in session.scalars(select(UserBadge).where(UserBadge.user_id == uid).order_by(UserBadge.id))
        ],
        "follows.json": [
            {
                "question_id": s.question_id,
                "question_title": title_of(s.question_id),
                "board": boards[s.board_id].name if s.board_id in boards else None,
                "created_at": _time(s.created_at),
            }
            for s in follows
        ],
        "notifications.json": [
            {
                "kind": n.kind,
                "text": n.text,
                "link": n.link,
                "created_at": _time(n.created_at),
                "read_at": _time(n.read_at),
            }
            for n in session.scalars(select(Notification).where(Notification.user_id == uid).order_by(Notification.id))
        ],
        "flags.json": [
            {
                "question_id": f.question_id,
                "answer_id": f.answer_id,
                "reason": f.reason,
                "note": f.note,
                "status": f.status,
                "created_at": _time(f.created_at),
            }
            for f in session.scalars(select(Flag).where(Flag.reporter_id == uid).order_by(Flag.id))
        ],
        "cases.json": [
            {
                "id": c.id,
                "question_id": c.question_id,
                "category": c.category,
                "status": c.status,
                "public_note": c.public_note,
                "public_resolution": c.public_resolution,
                "opened_at": _time(c.opened_at),
                "resolved_at": _time(c.resolved_at),
                "closed_at": _time(c.closed_at),
                "messages": [
                    {
                        "from": "you" if m.author_id == uid else names.get(m.author_id, ""),
                        "body": m.body_source,
                        "created_at": _time(m.created_at),
                    }
                    for m in messages
                    if m.case_id == c.id
                ],
            }
            for c in cases
        ],
        "emails.json": [
            {
                "to": m.to_address,
                "subject": m.subject,
                "body": m.body,
                "status": m.status,
                "created_at": _time(m.created_at),
            }
            for m in session.scalars(select(EmailMessage).where(EmailMessage.user_id == uid).order_by(EmailMessage.id))
        ],
    }
    return ExportData(user_name=user.name, made_at=utcnow(), files=files)


def render_summary(data: ExportData) -> str:
    """The export read as a page, in the member's language (call inside their force_locale)."""
    # Straight from the environment, without the request's context processors: the page is for a file, and the
    # background has no signed-in member to load.
    return current_app.jinja_env.get_template("privacy/summary.html").render(data=data, files=data.files)


def build_zip(data: ExportData, summary: str) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("index.html", summary)
        for name, rows in data.files.items():
            archive.writestr(name, json.dumps(rows, ensure_ascii=False, indent=2))
    return buffer.getvalue()


def filename(export: DataExport) -> str:
    return f"nimbus-community-data-{(export.ready_at or utcnow()):%Y-%m-%d}.zip"

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
from datetime import datetime, timedelta

from flask import Flask, current_app
from flask_babel import force_locale
from flask_babel import lazy_gettext as _
from sqlalchemy import and_, func, or_, select, update
from sqlalchemy.orm import Session, defer

from app.accounts.models import User
from app.db import db, utcnow
from app.errors import Conflict, NotFound
from app.forum.models import Answer, Question
from app.moderation.service.auditing import audit
from app.notifications import service as notifications
from app.notifications.models import Notification
from app.privacy.contents import ExportData, collect
from app.privacy.models import DataExport
from app.reputation.models import Kudo, PointEvent

log = logging.getLogger(__name__)

WAITING = ("pending", "preparing")
# An export still waiting after this long was cut off (a restart); the member may ask again.
STALE = timedelta(hours=1)
# An export still "preparing" this long after it was asked for lost its preparer (a job stopped at its time limit,
# a worker killed by a deploy): it may be claimed again, until STALE gives up on it.
ABANDONED = timedelta(minutes=20)


def export_link(export: DataExport) -> str:
    return f"/settings/privacy/exports/{export.id}"


# --- asking -------------------------------------------------------------------------------------


def request_export(session: Session, user: User) -> DataExport:
    """Ask for a new export; one at a time (a second request while one is being prepared is a Conflict)."""
    waiting = session.scalar(
        select(DataExport.id).where(
            DataExport.user_id == user.id,
            DataExport.status.in_(WAITING),
            DataExport.requested_at > utcnow() - STALE,
        )
    )
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
            select(DataExport)
            .options(defer(DataExport.content))  # the list needs the dates, not megabytes of ZIP
            .where(DataExport.user_id == user.id)
            .order_by(DataExport.id.desc())
            .limit(limit)
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


def _claimable(now: datetime):
    """Waiting, or left "preparing" by a preparer that was stopped."""
    return or_(
        DataExport.status == "pending",
        and_(DataExport.status == "preparing", DataExport.requested_at <= now - ABANDONED),
    )


def prepare_pending(app: Flask) -> int:
    """Prepare every waiting export here and now (`flask privacy exports`, the jobs' sweep, after a crash), and
    those a stopped preparer left behind; returns how many."""
    with db.scope() as session:
        ids = list(session.scalars(select(DataExport.id).where(_claimable(utcnow())).order_by(DataExport.id)))
    return sum(1 for export_id in ids if prepare(app, export_id))


def prepare(app: Flask, export_id: int) -> bool:
    """Build one export in its own app context (its own language and catalogue cache) and session. Only one
    worker claims it: the status moves from pending (or an abandoned preparing) to preparing in a single UPDATE."""
    with app.app_context(), db.scope() as session:
        claimed = session.execute(
            update(DataExport)
            .where(DataExport.id == export_id, _claimable(utcnow()))
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
    """Drop the bytes of exports past their time (the row stays as a record that one was made), and give up on
    those cut off while waiting. Returns how many expired."""
    now = now or utcnow()
    session.execute(
        update(DataExport)
        .where(DataExport.status.in_(WAITING), DataExport.requested_at <= now - STALE)
        .values(status="failed")
    )
    result = session.execute(
        update(DataExport)
        .where(DataExport.status == "ready", DataExport.expires_at <= now)
        .values(status="expired", content=None)
    )
    return result.rowcount or 0


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

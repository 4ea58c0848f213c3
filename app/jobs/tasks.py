"""The named jobs: what each does in a worker, and (where it differs) what it does in-process without Redis.

Every job reads its work from the database (the outbox tables, pending rows, due times) rather than from its
message, so running one twice, late, or once for many commits is harmless: the message only says "look now"."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass

from flask import Flask

from app.db import db

log = logging.getLogger(__name__)

DEFAULT, BULK = "default", "bulk"  # bulk: long jobs (exports, daily clean-ups) that must not hold up mail


@dataclass(frozen=True)
class Task:
    run: Callable[..., object]  # in a worker; also in-process unless `in_process` is given
    in_process: Callable[..., object] | None = None  # without Redis, what the app did before the queue existed
    queue: str = DEFAULT


def drain_search(app: Flask) -> int:
    from rq import get_current_job

    from app.search import service as search

    applied = search.drain_app(app)
    # A lost index starts its rebuild in a thread of this process. A worker runs each job in a process that ends
    # with the job, taking the thread with it: there, see the rebuild through (within the job's time limit).
    # In-process, after a web request's commit, the server's own thread goes on as before.
    recovery = app.extensions["agora_search_recovery"]
    if get_current_job() is not None and recovery.rebuilding:
        recovery.wait(max(60, int(app.config.get("JOBS_TIMEOUT", 900)) - 60))
    return applied


def deliver_mail(app: Flask) -> int:
    from app.notifications import mail

    with db.scope() as session:
        return mail.deliver_pending(session, app.extensions["agora_mail_sender"])


def deliver_webhooks(app: Flask) -> int:
    from app.webhooks import service

    if app.config.get("WEBHOOK_DELIVERY") == "off":
        return 0
    with db.scope() as session:
        return service.deliver_due(session, app.config)


def kick_webhooks(app: Flask) -> None:
    """In-process: the webhook runner's own thread (or inline in tests), as before jobs existed."""
    app.extensions["agora_webhooks"].kick()


def prepare_exports(app: Flask) -> int:
    from app.privacy import export

    return export.prepare_pending(app)


def prepare_exports_in_process(app: Flask) -> None:
    from app.privacy import export

    export.prepare_after_commit(app)


def send_digests(app: Flask) -> int:
    """The daily digest; at most one a day per member whatever the schedule (the service checks)."""
    from app.notifications import service as notifications

    with db.scope() as session:
        count = notifications.send_digests(session)
        db.commit(session)  # queues the mail delivery job
    return count


def check_overdue_cases(app: Flask) -> int:
    """Tell staff (a notification, and mail as each prefers) about cases that passed their response target, once
    each, and say in the worker's log (where alerting reads it) how many are overdue."""
    from app.escalation import service as escalation

    with db.scope() as session:
        told = escalation.tell_overdue(session)
        overdue = escalation.overdue_cases(session)
        db.commit(session)  # queues the mail delivery job
    if overdue:
        log.warning("%d overdue case(s), %d newly told to staff: %s", len(overdue), told,
                    ", ".join(f"#{case.id}" for case in overdue[:20]))
    return len(overdue)


def announce_unanswered(app: Flask) -> int:
    from app.webhooks import service

    with db.scope() as session:
        made = service.questions_waiting(session, app.config["WEBHOOK_UNANSWERED_HOURS"])
        db.commit(session)  # queues the webhook delivery job
    return made


def clean_up_attachments(app: Flask) -> int:
    from app.attachments import service
    from app.attachments.views import EXTENSION

    with db.scope() as session:
        done = service.cleanup(session, app.extensions[EXTENSION])
        session.commit()
    return done.pending_deleted + done.removed_files + done.orphan_files


def purge_privacy(app: Flask) -> int:
    from app.privacy import deletion, export

    with db.scope() as session:
        expired = export.expire(session)
        purged = deletion.purge_case_conversations(session, int(app.config["CASE_RETENTION_DAYS"]))
        db.commit(session)
    return expired + len(purged)


def process_uploads(app: Flask) -> int:
    """Re-encode the images uploaded since (see app/attachments/files.py); each one committed on its own, its upload
    deleted after the commit. A failing one is logged and left for the next run; the others go on."""
    from app.attachments import service as attachments
    from app.attachments.views import reencode

    done, failed = 0, 0
    with db.scope(write=False) as reader:
        waiting = attachments.waiting_uploads(reader)
        reader.expunge_all()  # read once: no transaction stays open while the images are re-encoded
    for attachment in waiting:
        try:
            done += reencode(attachment)
        except Exception:  # the storage or the database away: the upload waits for the next run
            log.exception("re-encoding attachment %s failed; it waits for the next run", attachment.id)
            failed += 1
    if failed:
        raise RuntimeError(f"{failed} upload(s) could not be re-encoded")
    return done


def sweep(app: Flask) -> None:
    """Whatever the outbox tables still hold: work whose queue message was lost (Redis restarted, a worker
    killed mid-job) or whose commit could not reach the queue. Each step on its own, so one failing stops none
    of the others; then the job fails, naming them, so that `flask jobs status` and the failed-jobs metric show it."""
    failed = []
    # The search drain last: in a worker it waits for a lost index's rebuild, which must not hold up the mail.
    for step in (deliver_mail, deliver_webhooks, prepare_exports, process_uploads, drain_search):
        try:
            step(app)
        except Exception:
            log.exception("sweep: %s failed; its rows wait for the next sweep", step.__name__)
            failed.append(step.__name__)
    if failed:
        raise SweepFailed(f"sweep: {', '.join(failed)} failed; their rows wait for the next sweep")


class SweepFailed(RuntimeError):
    """Some step of a sweep failed (the others ran)."""


TASKS: dict[str, Task] = {
    "search.drain": Task(drain_search),
    "mail.deliver": Task(deliver_mail),
    "webhooks.deliver": Task(deliver_webhooks, in_process=kick_webhooks),
    "exports.prepare": Task(prepare_exports, in_process=prepare_exports_in_process, queue=BULK),
    "mail.digests": Task(send_digests, queue=BULK),
    "cases.overdue": Task(check_overdue_cases),
    "webhooks.unanswered": Task(announce_unanswered),
    "attachments.cleanup": Task(clean_up_attachments, queue=BULK),
    "privacy.purge": Task(purge_privacy, queue=BULK),
    "attachments.process": Task(process_uploads),
    "jobs.sweep": Task(sweep),
}

# What a commit's flags (session.info, set by the services) ask for once the data is safe.
AFTER_COMMIT: dict[str, str] = {
    "search_dirty": "search.drain",
    "mail_dirty": "mail.deliver",
    "webhooks_dirty": "webhooks.deliver",
    "export_pending": "exports.prepare",
    "attachments_dirty": "attachments.process",
}

"""Delivering queued e-mail through a pluggable sender: kept in the outbox table and the log by default, SMTP
when configured. One connection per batch; a temporary failure is tried again later (growing delays, for
MAIL_RETRY_HOURS); an address that refuses mail for good is marked bouncing and, after a few, gets none."""

from __future__ import annotations

import logging
import smtplib
import ssl
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from email.utils import parseaddr
from typing import Protocol

from flask import current_app, has_app_context
from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from app.accounts.models import User
from app.db import utcnow
from app.notifications import compose
from app.notifications.models import EmailMessage, MailBounce

log = logging.getLogger(__name__)

DUE = ("pending", "retrying")
# Seconds before the next try after the 1st, 2nd, ... temporary failure; the last one repeats.
RETRY_DELAYS = (60, 300, 900, 1800, 3600, 7200, 14400, 28800)
# A batch being sent is not picked up by another deliverer meanwhile: longer than a job may run (JOBS_TIMEOUT,
# 15 minutes), so that a slow batch is not claimed again while it is still sending.
LEASE = timedelta(minutes=20)

Send = Callable[[EmailMessage, str], str]  # (message, the recipient's language) -> new status


class Sender(Protocol):
    def batch(self) -> Iterator[Send]:
        """A context manager: open what is needed (one SMTP connection) and hand out a send function, which
        delivers one message and returns its new status ("sent" or "kept")."""


class OutboxSender:
    """Keeps mail in the email_messages table and writes it to the log: nothing leaves the machine."""

    @contextmanager
    def batch(self) -> Iterator[Send]:
        def keep(message: EmailMessage, _language: str) -> str:
            log.info("mail kept (no SMTP configured) to=%s subject=%s", message.to_address, message.subject)
            return "kept"

        yield keep


class SmtpSender:
    def __init__(
        self,
        host: str,
        port: int,
        username: str,
        password: str,
        use_tls: bool,
        settings: compose.MailSettings,
        tls_context: ssl.SSLContext | None = None,
        timeout: float = 20,
    ) -> None:
        self.host, self.port, self.username, self.password = host, port, username, password
        self.use_tls, self.settings, self.tls_context, self.timeout = use_tls, settings, tls_context, timeout

    @contextmanager
    def batch(self) -> Iterator[Send]:
        with smtplib.SMTP(self.host, self.port, timeout=self.timeout) as smtp:
            if self.use_tls:
                smtp.starttls(context=self.tls_context or ssl.create_default_context())
            if self.username:
                smtp.login(self.username, self.password)

            def send(message: EmailMessage, language: str) -> str:
                mime = compose.build(message, self.settings, language)
                smtp.send_message(mime, from_addr=_address(self.settings.sender), to_addrs=[message.to_address])
                return "sent"

            yield send


def _address(sender: str) -> str:
    return parseaddr(sender)[1] or sender


def make_sender(config: dict) -> Sender:
    if config.get("MAIL_SERVER"):
        return SmtpSender(
            config["MAIL_SERVER"],
            int(config.get("MAIL_PORT", 587)),
            config.get("MAIL_USERNAME", ""),
            config.get("MAIL_PASSWORD", ""),
            bool(config.get("MAIL_USE_TLS", True)),
            compose.MailSettings.from_config(config),
            ssl.create_default_context(cafile=config["MAIL_TLS_CA_FILE"]) if config.get("MAIL_TLS_CA_FILE") else None,
            float(config.get("MAIL_TIMEOUT", 20)),
        )
    return OutboxSender()


# --- delivering ---------------------------------------------------------------------------------


def _claim(session: Session, limit: int, now: datetime) -> tuple[list[EmailMessage], dict[int, str]]:
    """The messages due now, leased for a while and committed, so the SMTP talk holds no database lock and no
    other deliverer sends them too; a crash mid-batch leaves them due again when the lease ends."""
    query = (
        select(EmailMessage)
        .where(
            EmailMessage.status.in_(DUE),
            or_(EmailMessage.next_attempt_at.is_(None), EmailMessage.next_attempt_at <= now),
        )
        .order_by(EmailMessage.id)
        .limit(limit)
    )
    if session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True)
    due = list(session.scalars(query))
    for message in due:
        message.next_attempt_at = now + LEASE
    languages: dict[int, str] = {}
    if due:
        users = session.execute(select(User.id, User.locale).where(User.id.in_({m.user_id for m in due})))
        languages = {user_id: locale or "en" for user_id, locale in users.all()}
    session.commit()
    return due, languages


def _held(session: Session, addresses: set[str], bounce_limit: int) -> set[str]:
    if not addresses:
        return set()
    rows = session.scalars(
        select(MailBounce.address).where(MailBounce.address.in_(addresses), MailBounce.bounces >= bounce_limit)
    )
    return set(rows)


def deliver_pending(
    session: Session,
    sender: Sender,
    limit: int = 200,
    now: datetime | None = None,
    retry_hours: float = 48,
    bounce_limit: int = 3,
) -> int:
    """Send what is due over one connection; returns how many went out (or were kept)."""
    if has_app_context():
        retry_hours = current_app.config.get("MAIL_RETRY_HOURS", retry_hours)
        bounce_limit = current_app.config.get("MAIL_BOUNCE_LIMIT", bounce_limit)
    now = now or utcnow()
    due, languages = _claim(session, limit, now)
    if not due:
        return 0
    held = _held(session, {message.to_address.lower() for message in due}, bounce_limit)
    delivered, done = 0, set()
    try:
        with sender.batch() as send:
            for message in due:
                done.add(message.id)
                if message.to_address.lower() in held:
                    message.status, message.next_attempt_at = "held", None
                    continue
                try:
                    message.attempts += 1
                    message.status = send(message, languages.get(message.user_id, "en"))
                    message.sent_at, message.next_attempt_at, message.last_error = now, None, None
                    delivered += 1
                except smtplib.SMTPRecipientsRefused as error:
                    code, text = next(iter(error.recipients.values()), (451, b""))
                    _failed(session, message, code, text, now, retry_hours, bounce_limit)
                except smtplib.SMTPResponseException as error:
                    _failed(session, message, error.smtp_code, error.smtp_error, now, retry_hours, bounce_limit)
                except (OSError, smtplib.SMTPException) as error:  # the connection broke: try again later
                    _retry(message, str(error) or type(error).__name__, now, retry_hours)
                # Each outcome is committed as it happens: a deliverer killed mid-batch (a job's timeout, a deploy)
                # leaves only the unsent messages to be claimed again when the lease ends, never a sent one.
                session.commit()
    except (OSError, smtplib.SMTPException) as error:  # no connection at all (or it broke): nothing is lost
        log.warning("mail server unreachable: %s", error)
        for message in due:
            if message.id not in done:
                message.attempts += 1  # a try all the same: the next wait is longer
                _retry(message, str(error) or type(error).__name__, now, retry_hours)
    session.commit()
    return delivered


def _text(reply: bytes | str) -> str:
    return (reply.decode("utf-8", "replace") if isinstance(reply, bytes) else str(reply))[:250]


def _failed(
    session: Session,
    message: EmailMessage,
    code: int,
    reply: bytes | str,
    now: datetime,
    retry_hours: float,
    bounce_limit: int,
) -> None:
    error = f"{code} {_text(reply)}"
    if code < 500:  # 4xx: the server asks us to come back later
        _retry(message, error, now, retry_hours)
        return
    log.warning("mail %s to %s refused for good: %s", message.id, message.to_address, error)
    message.status, message.next_attempt_at, message.last_error = "bounced", None, error
    bounced(session, message.to_address, error, now, bounce_limit)


def _retry(message: EmailMessage, error: str, now: datetime, retry_hours: float) -> None:
    message.last_error = error[:300]
    created = message.created_at
    if now - created >= timedelta(hours=retry_hours):
        log.error(
            "mail %s to %s given up after %s attempts: %s", message.id, message.to_address, message.attempts, error
        )
        message.status, message.next_attempt_at = "failed", None
        return
    delay = RETRY_DELAYS[min(max(message.attempts, 1), len(RETRY_DELAYS)) - 1]
    message.status, message.next_attempt_at = "retrying", now + timedelta(seconds=delay)


def bounced(session: Session, address: str, error: str, now: datetime, bounce_limit: int) -> MailBounce:
    """Count a permanent refusal for an address; at the limit its member is told to fix it."""
    from app.notifications import service as notifications

    address = address.lower()
    row = session.scalar(select(MailBounce).where(MailBounce.address == address))
    if row is None:
        row = MailBounce(address=address, bounces=0, last_error="", updated_at=now)
        session.add(row)
    row.bounces += 1
    row.last_error, row.updated_at = error[:300], now
    if row.bounces == bounce_limit:
        for user_id in session.scalars(select(User.id).where(func.lower(User.email) == address)):
            notifications.notify(session, user_id, "mail_bouncing", {}, "/settings/notifications")
    return row


def is_bouncing(session: Session, address: str, bounce_limit: int) -> bool:
    count = session.scalar(select(MailBounce.bounces).where(MailBounce.address == address.lower()))
    return (count or 0) >= bounce_limit


def clear_bounces(session: Session, address: str) -> bool:
    """The member says their mailbox works again: mail to it resumes (held messages stay unsent)."""
    row = session.scalar(select(MailBounce).where(MailBounce.address == address.lower()))
    if row is None:
        return False
    session.delete(row)
    return True


def status_counts(session: Session, bounce_limit: int) -> dict[str, int]:
    """What `flask mail status` prints."""
    counts = dict(session.execute(select(EmailMessage.status, func.count()).group_by(EmailMessage.status)).all())
    bouncing = session.scalar(select(func.count()).select_from(MailBounce).where(MailBounce.bounces >= bounce_limit))
    return {
        "pending": counts.get("pending", 0),
        "retrying": counts.get("retrying", 0),
        "failed": counts.get("failed", 0),
        "bounced": counts.get("bounced", 0),
        "held": counts.get("held", 0),
        "sent": counts.get("sent", 0) + counts.get("kept", 0),
        "bouncing addresses": bouncing or 0,
    }

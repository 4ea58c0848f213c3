"""Delivering queued e-mail through a pluggable sender: kept in the outbox table and the log by default, SMTP
when configured."""

from __future__ import annotations

import logging
import re
import smtplib
from email.message import EmailMessage as MimeMessage
from typing import Protocol

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.db import utcnow
from app.notifications.models import EmailMessage

log = logging.getLogger(__name__)
UNSUBSCRIBE_LINK = re.compile(r"https?://\S+/unsubscribe/[\w.-]+")


class Sender(Protocol):
    def send(self, message: EmailMessage) -> str:
        """Deliver one message; returns its new status ("sent" or "kept")."""


class OutboxSender:
    """Keeps mail in the email_messages table and writes it to the log: nothing leaves the machine."""

    def send(self, message: EmailMessage) -> str:
        log.info("mail kept (no SMTP configured) to=%s subject=%s", message.to_address, message.subject)
        return "kept"


class SmtpSender:
    def __init__(self, host: str, port: int, username: str, password: str, use_tls: bool, sender: str) -> None:
        self.host, self.port, self.username, self.password = host, port, username, password
        self.use_tls, self.sender = use_tls, sender

    def send(self, message: EmailMessage) -> str:
        mime = MimeMessage()
        mime["From"], mime["To"], mime["Subject"] = self.sender, message.to_address, message.subject
        # Found by its address, not its wording: the footer is in the recipient's language.
        unsubscribe = UNSUBSCRIBE_LINK.search(message.body)
        if unsubscribe:
            mime["List-Unsubscribe"] = f"<{unsubscribe.group(0)}>"
        mime.set_content(message.body)
        with smtplib.SMTP(self.host, self.port, timeout=20) as smtp:
            if self.use_tls:
                smtp.starttls()
            if self.username:
                smtp.login(self.username, self.password)
            smtp.send_message(mime)
        return "sent"


def make_sender(config: dict) -> Sender:
    if config.get("MAIL_SERVER"):
        return SmtpSender(
            config["MAIL_SERVER"],
            int(config.get("MAIL_PORT", 587)),
            config.get("MAIL_USERNAME", ""),
            config.get("MAIL_PASSWORD", ""),
            bool(config.get("MAIL_USE_TLS", True)),
            config.get("MAIL_FROM", "community@example.com"),
        )
    return OutboxSender()


def deliver_pending(session: Session, sender: Sender, limit: int = 200) -> int:
    """Send what is pending; a failure marks that message and moves on."""
    delivered = 0
    for message in session.scalars(
        select(EmailMessage).where(EmailMessage.status == "pending").order_by(EmailMessage.id).limit(limit)
    ):
        try:
            message.status = sender.send(message)
            message.sent_at = utcnow()
            delivered += 1
        except (OSError, smtplib.SMTPException):
            log.exception("sending mail %s failed", message.id)
            message.status = "failed"
    session.commit()
    return delivered

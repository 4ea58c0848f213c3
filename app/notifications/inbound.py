"""Replies by e-mail: one RFC 5322 message in, matched by the signed token in its reply+<token>@ address,
stripped of quoted history, and posted through the same service as on the web (rules, limits, masking,
notifications). Anything else is refused without posting, logged (a mail_replies row and the log), and its
sender, when a member, gets one short bounce."""

from __future__ import annotations

import email
import logging
import re
from dataclasses import dataclass
from datetime import timedelta
from email.message import EmailMessage as MimeMessage
from email.policy import default as default_policy
from email.utils import getaddresses, parseaddr

from flask import current_app
from flask_babel import gettext
from limits import parse_many
from limits.strategies import FixedWindowRateLimiter
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.accounts.models import User
from app.db import utcnow
from app.errors import DomainError
from app.extensions import limiter
from app.marks import N_
from app.notifications import links
from app.notifications.models import EmailMessage, MailReply
from app.notifications.replyparse import html_to_text, strip_reply

log = logging.getLogger(__name__)

TOKEN = re.compile(r"\breply\+([0-9a-z]+-[0-9a-z]+)@", re.IGNORECASE)
RECIPIENT_HEADERS = ("Delivered-To", "X-Original-To", "Envelope-To", "To", "Cc")
AUTOMATIC_PRECEDENCE = {"bulk", "junk", "list", "auto_reply"}
OUT_OF_OFFICE = re.compile(
    r"^(auto(matic)?[ -]?(reply|response)|out of (the )?office|autoreply|auto:|αυτόματη απάντηση|"
    r"εκτός γραφείου|automatyczna odpowiedź|poza biurem|përgjigje automatike|jashtë zyrës|תשובה אוטומטית|"
    r"מחוץ למשרד)",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class Received:
    outcome: str  # posted | refused
    reason: str = ""  # why it was refused: forged, expired, reused, wrong_sender, auto_reply, ...
    link: str = ""  # where the reply landed


def receive(session: Session, raw: bytes) -> Received:
    """Take one incoming message; the caller commits (and the after-commit hook sends what that queued)."""
    config = current_app.config
    if len(raw) > config["MAIL_REPLY_MAX_BYTES"]:
        return _refuse(session, None, "", "too_large")
    mime = email.message_from_bytes(raw, policy=default_policy)
    sender = parseaddr(str(mime.get("From", "")))[1].lower()
    if _automatic(mime):
        return _refuse(session, None, sender, "auto_reply", bounce=False)  # answering it could start a loop
    token = _token(mime)
    if token is None:
        return _refuse(session, None, sender, "no_token")
    signer = links.signer()
    message_id = signer.reply_message_id(token)
    original = session.get(EmailMessage, message_id) if message_id is not None else None
    if (
        original is None
        or not original.reply_thread
        or not signer.reply_valid(token, original.id, original.user_id, original.reply_thread)
    ):
        return _refuse(session, None, sender, "forged")
    if utcnow() - original.created_at > timedelta(days=config["MAIL_REPLY_DAYS"]):
        return _refuse(session, None, sender, "expired")
    if session.scalar(select(MailReply.id).where(MailReply.email_message_id == original.id)) is not None:
        return _refuse(session, None, sender, "reused")
    member = session.get(User, original.user_id)
    if member is None or sender != (member.email or "").lower():
        return _refuse(session, None, sender, "wrong_sender")
    if _spoofed(mime):
        return _refuse(session, None, sender, "spoofed", bounce=False)  # the real owner did not send it
    text = _new_text(mime)
    if text is None:
        return _refuse(session, member, sender, "not_text")
    if not text:
        return _refuse(session, member, sender, "empty")
    if not _within_limits(member):
        return _refuse(session, member, sender, "rate_limited")
    try:  # the service checks everything before it writes, so a refusal leaves nothing behind
        link = _post(session, member, original.reply_thread, text)
    except DomainError as error:
        log.info("reply by e-mail from %s refused: %s", sender, error.message)
        return _refuse(session, member, sender, "refused_by_rules")
    session.add(
        MailReply(email_message_id=original.id, sender=sender, outcome="posted", link=link, received_at=utcnow())
    )
    log.info("reply by e-mail from %s posted on %s", sender, link)
    return Received("posted", link=link)


def _post(session: Session, member: User, thread: str, text: str) -> str:
    """Through the web's own services: a case message, or an answer (screened and masked like any answer)."""
    from app.escalation import service as escalation
    from app.forum import service as forum

    kind, _, number = thread.partition(":")
    if kind == "case":
        message = escalation.post_message(session, member, int(number), text)
        return f"/cases/{message.case_id}"
    if kind == "question" and member.reply_by_email:
        answer = forum.post_answer(session, member, int(number), forum.AnswerDraft(text))
        return f"/questions/{answer.question_id}#a{answer.id}"
    raise DomainError("this thread takes no replies by e-mail")


def _automatic(mime: MimeMessage) -> bool:
    """RFC 3834 auto-replies, out-of-office notices and list or bulk mail: never posted, never answered."""
    auto = str(mime.get("Auto-Submitted", "no")).strip().lower()
    if auto and auto != "no":
        return True
    if any(mime.get(name) for name in ("X-Autoreply", "X-Autorespond", "X-Auto-Response-Suppress", "List-Id")):
        return True
    if str(mime.get("Precedence", "")).strip().lower() in AUTOMATIC_PRECEDENCE:
        return True
    return bool(OUT_OF_OFFICE.match(str(mime.get("Subject", "")).strip()))


def _spoofed(mime: MimeMessage) -> bool:
    """Our own mail server's verdict (the topmost Authentication-Results, which it adds above anything the
    sender wrote): a From that failed DMARC, or SPF and DKIM both, was not sent by that address's owner."""
    verdict = str(mime.get("Authentication-Results", "")).lower()
    if "dmarc=fail" in verdict:
        return True
    return "spf=fail" in verdict and "dkim=pass" not in verdict


def _token(mime: MimeMessage) -> str | None:
    for header in RECIPIENT_HEADERS:
        for _name, address in getaddresses([str(value) for value in mime.get_all(header, [])]):
            match = TOKEN.search(address + "@" if "@" not in address else address)
            if match:
                return match.group(1).lower()
    return None


def _new_text(mime: MimeMessage) -> str | None:
    """The reply's own words (plain text preferred, else the HTML part as text); None when it has no text."""
    part = mime.get_body(preferencelist=("plain", "html"))
    if part is None:
        return None
    try:
        content = part.get_content()
    except (LookupError, ValueError):  # an unknown charset or a broken encoding
        return None
    if not isinstance(content, str):
        return None
    if part.get_content_subtype() == "html":
        content = html_to_text(content)
    return strip_reply(content).strip()


def _within_limits(member: User) -> bool:
    """The web's posting limit (POST_RATE_LIMIT), counted in the same storage, under a key of its own."""
    config = current_app.config
    if not config.get("RATELIMIT_ENABLED", True):
        return True
    window = FixedWindowRateLimiter(limiter.storage)
    return all(window.hit(item, "mail-reply", f"user:{member.id}") for item in parse_many(config["POST_RATE_LIMIT"]))


BOUNCES = {
    "forged": N_("We couldn't match your reply to a conversation. Please reply on the website instead."),
    "expired": N_("That e-mail is too old to reply to. Please reply on the website instead."),
    "reused": N_("You already replied to that e-mail once. Please reply to the newest e-mail, or on the website."),
    "wrong_sender": N_("Replies must come from the address we wrote to. Please reply on the website instead."),
    "not_text": N_("We couldn't read text in your reply. Please write it as plain text, or on the website."),
    "empty": N_("Your reply seemed empty, so nothing was posted. Please write above the quoted text."),
    "too_large": N_("Your reply was too large. Please shorten it, or reply on the website."),
    "rate_limited": N_("You're replying too often. Please wait a little and try again."),
    "refused_by_rules": N_("Your reply couldn't be posted (the conversation may be closed). Please check the website."),
    "no_token": N_("This address takes replies to our e-mail only. Please use the website."),
}


def _refuse(session: Session, member: User | None, sender: str, reason: str, bounce: bool = True) -> Received:
    log.warning("reply by e-mail from %s refused: %s", sender or "(no sender)", reason)
    session.add(MailReply(sender=sender[:254], outcome="refused", reason=reason, received_at=utcnow()))
    if bounce:
        _bounce(session, member, sender, reason)
    return Received("refused", reason=reason)


def _bounce(session: Session, member: User | None, sender: str, reason: str) -> None:
    """One short reply explaining the refusal: only to a member's own address (no backscatter to forged
    senders), and at most one an hour to any address (no loops with another robot)."""
    from app.notifications.service import _in_language_of

    if member is None and sender:
        member = session.scalar(select(User).where(func.lower(User.email) == sender))
    if member is None:
        return
    recent = session.scalar(
        select(EmailMessage.id).where(
            EmailMessage.kind == "bounce",
            EmailMessage.to_address == member.email,
            EmailMessage.created_at > utcnow() - timedelta(hours=1),
        )
    )
    if recent is not None:
        return
    with _in_language_of(member):
        subject = gettext("Nimbus Community: your reply was not posted")
        body = gettext(BOUNCES[reason]) if reason in BOUNCES else ""
    session.add(
        EmailMessage(
            user_id=member.id,
            to_address=member.email,
            subject=subject,
            body=body,
            kind="bounce",
            status="pending",
            created_at=utcnow(),
        )
    )
    session.info["mail_dirty"] = True

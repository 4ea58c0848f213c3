"""One queued e-mail as the MIME message a mail provider expects: text and HTML parts from the same words, in
the recipient's language, with Message-ID, Date, List-Id, one-click List-Unsubscribe, Auto-Submitted, thread
headers and, where a reply is welcome, a signed Reply-To."""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from email.message import EmailMessage as MimeMessage
from email.utils import format_datetime
from urllib.parse import urlsplit

from flask import render_template
from flask_babel import force_locale
from markupsafe import Markup, escape

from app.db import utcnow
from app.notifications import links
from app.notifications.models import EmailMessage

RIGHT_TO_LEFT = frozenset({"he", "ar", "fa", "ur"})
URL = re.compile(r"https?://[^\s<>\"']+")
SIGNATURE = "\n\n--\n"  # the text body's footer (settings and unsubscribe) starts here


@dataclass(frozen=True)
class MailSettings:
    """What every message's headers need from the configuration."""

    sender: str  # From
    domain: str  # Message-ID, List-Id and thread ids are on this domain
    reply_domain: str = ""  # Reply-To: reply+<token>@reply_domain; empty: replies by e-mail are off
    unsubscribe_mailto: str = ""  # an address that unsubscribes whoever writes to it (optional)

    @classmethod
    def from_config(cls, config) -> MailSettings:
        domain = config.get("MAIL_DOMAIN") or urlsplit(config.get("PUBLIC_URL", "")).hostname or "localhost"
        return cls(
            sender=config.get("MAIL_FROM", "community@example.com"),
            domain=domain,
            reply_domain=config.get("MAIL_REPLY_DOMAIN", ""),
            unsubscribe_mailto=config.get("MAIL_UNSUBSCRIBE_MAILTO", ""),
        )


def thread_id(thread: str, domain: str) -> str:
    """The Message-ID every e-mail about one case or question refers to, so mail clients put them together."""
    return f"<{thread.replace(':', '-')}@{domain}>"


def reply_address(message: EmailMessage, settings: MailSettings) -> str | None:
    if not (message.reply_thread and settings.reply_domain):
        return None
    token = links.signer().reply_token(message.id, message.user_id, message.reply_thread)
    return f"reply+{token}@{settings.reply_domain}"


def _linked(text: str) -> Markup:
    """One paragraph of the text part as HTML: escaped, its addresses made links, its line breaks kept."""
    out, last = [], 0
    for match in URL.finditer(text):
        url = match.group(0).rstrip(".,;:!?)")
        end = match.start() + len(url)
        out.append(escape(text[last : match.start()]))
        out.append(Markup('<a href="{0}" style="color:#0b57d0;">{0}</a>').format(url))
        last = end
    out.append(escape(text[last:]))
    return Markup("<br>\n").join(Markup("").join(out).split("\n"))


def paragraphs(text: str) -> tuple[list[Markup], list[Markup]]:
    """The text body's paragraphs and its footer's lines, as safe HTML."""
    body, _, footer = text.partition(SIGNATURE)
    blocks = [block for block in re.split(r"\n\s*\n", body.strip()) if block.strip()]
    return [_linked(block.strip()) for block in blocks], [_linked(line) for line in footer.splitlines() if line.strip()]


def render_html(message: EmailMessage, language: str) -> str:
    """The HTML part, from the same words as the text part (account mail has no template of its own either)."""
    body, footer = paragraphs(message.body)
    with force_locale(language):
        return render_template(
            "mail/message.html",
            subject=message.subject,
            language=language,
            direction="rtl" if language in RIGHT_TO_LEFT else "ltr",
            paragraphs=body,
            footer=footer,
        )


def build(message: EmailMessage, settings: MailSettings, language: str) -> MimeMessage:
    """The message as it goes out. Its Message-ID is kept on the row, so a retried message is the same message."""
    if not message.message_id:
        # Short (no folding by the generator): the row's id and some randomness, on the site's domain.
        message.message_id = f"<agora.{message.id}.{secrets.token_hex(6)}@{settings.domain}>"
    mime = MimeMessage()
    mime["From"] = settings.sender
    mime["To"] = message.to_address
    mime["Subject"] = message.subject
    mime["Date"] = format_datetime(utcnow())
    mime["Message-ID"] = message.message_id
    mime["Content-Language"] = language
    mime["Auto-Submitted"] = "auto-generated"  # RFC 3834: out-of-office replies must not answer it
    if message.thread:
        root = thread_id(message.thread, settings.domain)
        mime["In-Reply-To"], mime["References"] = root, root
    reply_to = reply_address(message, settings)
    if reply_to:
        mime["Reply-To"] = reply_to
    if message.unsubscribe_url:  # notification mail; account mail (a password reset) can't be unsubscribed from
        mime["List-Id"] = f"Nimbus Community <community.{settings.domain}>"
        targets = [f"<{message.unsubscribe_url}>"]
        if settings.unsubscribe_mailto:
            targets.append(f"<mailto:{settings.unsubscribe_mailto}?subject=unsubscribe>")
        mime["List-Unsubscribe"] = ", ".join(targets)
        mime["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"  # RFC 8058
    mime.set_content(message.body)
    mime.add_alternative(render_html(message, language), subtype="html")
    return mime

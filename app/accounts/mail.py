"""Account mail (a reset link, an address to confirm, a warning): queued in the e-mail outbox in the recipient's
language. Not a notification: no unsubscribe link, and sent whatever the member's e-mail settings say."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import nullcontext

from flask import current_app, has_app_context
from flask_babel import force_locale, gettext
from sqlalchemy.orm import Session

from app.accounts.models import User
from app.db import utcnow
from app.notifications import links
from app.notifications.models import EmailMessage

KIND = "account"


def link(path: str) -> str:
    """An absolute link to `path` on this site, for mail."""
    return f"{links.signer().base_url}{path}"


def _language_of(user: User):
    if not has_app_context():
        return nullcontext()
    languages = current_app.config["LANGUAGES"]
    return force_locale(user.locale if user.locale in languages else current_app.config["BABEL_DEFAULT_LOCALE"])


def queue(
    session: Session, user: User, compose: Callable[[], tuple[str, str]], to_address: str | None = None
) -> EmailMessage:
    """Queue the mail `compose()` writes, (subject, body), composed in `user`'s language; sent to `to_address`
    (default: the member's address) after the commit."""
    with _language_of(user):
        subject, body = compose()
        body = (
            gettext("Hello %(name)s,", name=user.name)
            + f"\n\n{body}\n\n--\n"
            + gettext("The Nimbus Community team")
            + "\n"
        )
    message = EmailMessage(
        user_id=user.id,
        to_address=to_address or user.email,
        subject=subject[:200],
        body=body,
        kind=KIND,
        status="pending",
        created_at=utcnow(),
    )
    session.add(message)
    session.info["mail_dirty"] = True
    return message

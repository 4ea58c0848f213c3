"""Account operations that go through the member's mailbox: signing up with a verified address, forgetting and
resetting a password, changing the address. Each mail is a single-use link (app.accounts.tokens) and is queued
in the outbox, sent after the commit.

Nothing here tells a visitor whether an address has an account: the caller answers every request the same way,
and the owner of the address is the one who hears about it."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from flask_babel import gettext
from flask_babel import lazy_gettext as _
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.accounts import mail, passwords, sessions, strength, tokens
from app.accounts.models import EMAIL_MAX, User
from app.accounts.service import EMAIL_PATTERN, Registration, find_user, register
from app.db import utcnow
from app.errors import BadRequest, Conflict, ValidationFailed

BAD_LINK = _("This link has expired or has already been used. Ask for a new one.")

# Asked with a key (e.g. "reset/<user id>") whether one more mail may go out; False holds it back silently.
Allowance = Callable[[str], bool]


# --- signing up ---------------------------------------------------------------------------------


def sign_up(session: Session, data: Registration) -> User | None:
    """A new, unverified member with a link to confirm the address; None when the address already has an
    account, whose owner is told instead. The caller answers both the same way ("check your mail")."""
    data.validate()
    if session.scalar(select(func.count()).where(User.username_key == data.username.lower())):
        raise ValidationFailed(_("That username is taken."), "username")  # usernames are public anyway
    owner = session.scalar(select(User).where(User.email == data.email.strip().lower()))
    if owner is not None:
        passwords.burn_time(data.password)  # as long as hashing a new account's password
        mail.queue(session, owner, _registration_attempt_mail)
        return None
    user = register(session, data)
    send_verification(session, user)
    return user


def _registration_attempt_mail() -> tuple[str, str]:
    return (
        gettext("Someone tried to join the Nimbus Community with your address"),
        gettext(
            "Someone tried to create a new account on the Nimbus Community with this e-mail address. It already "
            "belongs to your account, so no new account was made."
        )
        + "\n\n"
        + gettext("If it was you and you have forgotten your password, choose a new one here: %(url)s",
                  url=mail.link("/forgot-password"))
        + "\n\n"
        + gettext("If it wasn't you, you need do nothing."),
    )


# --- confirming an address ----------------------------------------------------------------------


def send_verification(session: Session, user: User, email: str | None = None) -> None:
    """Mail a link that confirms `email` (default: the member's address) for the account."""
    address = email or user.email
    link = mail.link(f"/verify-email/{tokens.issue(session, user, 'verify', address)}")
    mail.queue(
        session,
        user,
        lambda: (
            gettext("Confirm your e-mail address for the Nimbus Community"),
            gettext("Please confirm that %(email)s is your address by opening this link:", email=address)
            + f"\n{link}\n\n"
            + gettext("The link works for 7 days. If you didn't ask for this, you can ignore this message."),
        ),
        to_address=address,
    )


def resend_verification(session: Session, user: User) -> bool:
    """A fresh confirmation link for a member whose address is not confirmed yet; False if it already is."""
    if user.email_verified:
        return False
    send_verification(session, user)
    return True


def verify_email(session: Session, token: str) -> User:
    """Confirm the address a verification link was sent to. For a new address (a change), it replaces the old
    one, which is told of the change."""
    row = tokens.find(session, "verify", token)
    if row is None:
        raise BadRequest(BAD_LINK)
    user = session.get(User, row.user_id)
    row.used_at = utcnow()
    if row.email != user.email:
        taken = session.scalar(select(func.count()).where(User.email == row.email, User.id != user.id))
        if taken:
            raise Conflict(_("That address now belongs to another account, so it can't be yours as well."))
        old = user.email
        user.email = row.email
        tokens.void_all(session, user, "verify")
        tokens.void_all(session, user, "reset")  # a reset link sent to the old address must not outlive it
        mail.queue(session, user, lambda: _address_changed_mail(row.email), to_address=old)
    user.email_verified_at = utcnow()
    return user


def _address_changed_mail(new: str) -> tuple[str, str]:
    return (
        gettext("Your e-mail address on the Nimbus Community was changed"),
        gettext("The e-mail address of your Nimbus Community account is now %(email)s.", email=new)
        + "\n\n"
        + gettext("If you didn't change it, someone else may be using your account: please write to the "
                  "community team at once."),
    )


@dataclass(frozen=True)
class EmailChange:
    password: str
    email: str

    def validate(self) -> None:
        if len(self.email) > EMAIL_MAX or not EMAIL_PATTERN.match(self.email):
            raise ValidationFailed(_("That doesn't look like an e-mail address."), "email")


def change_email(session: Session, user: User, change: EmailChange) -> None:
    """Start moving the account to a new address (current password required): the new address gets a link,
    and the account changes when it is followed. An address that belongs to another account is answered
    the same way, and its owner is told."""
    change.validate()
    if not passwords.verify_password(user.password_hash, change.password):
        raise ValidationFailed(_("That is not your current password."), "password")
    address = change.email.strip().lower()
    if address == user.email:
        raise ValidationFailed(_("That is already your address."), "email")
    owner = session.scalar(select(User).where(User.email == address))
    if owner is not None:
        mail.queue(session, owner, _registration_attempt_mail)
        return
    send_verification(session, user, address)


# --- forgetting a password ----------------------------------------------------------------------


def send_password_reset(session: Session, user: User) -> None:
    """Mail `user` a link to choose a new password, valid for an hour and once (also for the admin pages'
    "send a password-reset link")."""
    link = mail.link(f"/reset-password/{tokens.issue(session, user, 'reset')}")
    mail.queue(
        session,
        user,
        lambda: (
            gettext("Choose a new password for the Nimbus Community"),
            gettext("Someone (we hope you) asked to choose a new password for your account %(username)s. "
                    "Open this link to do so:", username=user.username)
            + f"\n{link}\n\n"
            + gettext("The link works once, for one hour. If you didn't ask for it, ignore this message: "
                      "your password stays as it is."),
        ),
    )


def request_password_reset(session: Session, login: str, allow: Allowance | None = None) -> None:
    """Mail a reset link to the account whose username or e-mail is `login`, if there is one and `allow`
    lets one more go to it. Returns nothing, whatever happened: the visitor learns nothing from it."""
    user = find_user(session, login) if login.strip() else None
    if user is None or (allow is not None and not allow(f"reset/{user.id}")):
        return
    send_password_reset(session, user)


def reset_password(session: Session, token: str, new: str) -> User:
    """Set the password a reset link was sent for. Every outstanding link is voided and every sign-in session
    of the account ends. The link reached the member's mailbox, so that address is confirmed too."""
    row = tokens.find(session, "reset", token)
    if row is None:
        raise BadRequest(BAD_LINK)
    user = session.get(User, row.user_id)
    strength.check(new, user.username, user.email)
    user.password_hash = passwords.hash_password(new)
    tokens.void_all(session, user, "reset")
    sessions.end_all(session, user)
    if row.email == user.email and user.email_verified_at is None:
        user.email_verified_at = utcnow()
    return user


def link_is_live(session: Session, purpose: str, token: str) -> bool:
    """Whether a "reset" or "verify" link still works (read only: for showing its page)."""
    return tokens.find(session, purpose, token) is not None

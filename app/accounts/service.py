"""Account operations: register, sign in, edit a profile, change a password or a role."""

from __future__ import annotations

import re
from dataclasses import dataclass

from flask_babel import lazy_gettext as _
from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from app.accounts import passwords, sessions, strength, tokens
from app.accounts.models import BIO_MAX, DISPLAY_NAME_MAX, EMAIL_MAX, ROLES, USERNAME_MAX, User
from app.accounts.throttle import LoginThrottle
from app.auth.roles import Role
from app.db import utcnow
from app.errors import NotFound, RateLimited, ValidationFailed

USERNAME_MIN = 3
PASSWORD_MIN, PASSWORD_MAX = strength.PASSWORD_MIN, strength.PASSWORD_MAX
USERNAME_PATTERN = re.compile(r"^[A-Za-z0-9_-]+$")
EMAIL_PATTERN = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
LOCALES = ("en", "el", "pl", "sq", "he")


@dataclass(frozen=True)
class Registration:
    username: str
    email: str
    password: str
    locale: str = "en"

    def validate(self) -> None:
        if not (USERNAME_MIN <= len(self.username) <= USERNAME_MAX):
            raise ValidationFailed(
                _("A username has %(min)d to %(max)d characters.", min=USERNAME_MIN, max=USERNAME_MAX), "username"
            )
        if not USERNAME_PATTERN.match(self.username):
            raise ValidationFailed(_("Use only letters, digits, dashes and underscores in a username."), "username")
        if len(self.email) > EMAIL_MAX or not EMAIL_PATTERN.match(self.email):
            raise ValidationFailed(_("That doesn't look like an e-mail address."), "email")
        strength.check(self.password, self.username, self.email)
        if self.locale not in LOCALES:
            raise ValidationFailed(_("Unknown language."), "locale")


@dataclass(frozen=True)
class ProfileUpdate:
    display_name: str
    bio: str
    locale: str

    def validate(self) -> None:
        if len(self.display_name) > DISPLAY_NAME_MAX:
            raise ValidationFailed(
                _("A display name has at most %(max)d characters.", max=DISPLAY_NAME_MAX), "display_name"
            )
        if len(self.bio) > BIO_MAX:
            raise ValidationFailed(_("A bio has at most %(max)d characters.", max=BIO_MAX), "bio")
        if self.locale not in LOCALES:
            raise ValidationFailed(_("Unknown language."), "locale")


def get_user(session: Session, user_id: int) -> User | None:
    return session.get(User, user_id)


def find_user(session: Session, login: str) -> User | None:
    """The account whose username or e-mail is `login`, ignoring case."""
    key = login.strip().lower()
    return session.scalar(select(User).where(or_(User.username_key == key, User.email == key)))


def user_by_username(session: Session, username: str) -> User:
    user = session.scalar(select(User).where(User.username_key == username.lower()))
    if user is None or user.deleted_at is not None:  # a deleted account has no profile left to show
        raise NotFound(_("No member has that name."))
    return user


def register(
    session: Session, data: Registration, role: str = Role.MEMBER.value, password_hash: str | None = None
) -> User:
    """A new account. `password_hash`: one hash made for many accounts that share a password (the demo's), as
    Argon2 spends most of a second on each."""
    data.validate()
    if role not in ROLES:
        raise ValidationFailed(_("Unknown role %(role)s.", role=role), "role")
    username_key, email = data.username.lower(), data.email.strip().lower()
    if session.scalar(select(func.count()).where(User.username_key == username_key)):
        raise ValidationFailed(_("That username is taken."), "username")
    if session.scalar(select(func.count()).where(User.email == email)):
        raise ValidationFailed(_("An account with that e-mail address already exists."), "email")
    user = User(
        username=data.username,
        username_key=username_key,
        email=email,
        password_hash=password_hash or passwords.hash_password(data.password),
        locale=data.locale,
        role=role,
    )
    session.add(user)
    session.flush()
    return user


def authenticate(session: Session, login: str, password: str) -> User | None:
    """The account for these credentials, or None; takes as long either way."""
    user = find_user(session, login) if login else None
    if user is None:
        passwords.burn_time(password)
        return None
    if not passwords.verify_password(user.password_hash, password):
        return None
    if passwords.needs_rehash(user.password_hash):
        user.password_hash = passwords.hash_password(password)
    user.last_seen_at = utcnow()
    return user


@dataclass(frozen=True)
class SignIn:
    login: str
    password: str
    user_agent: str = ""
    # OIDC_ONLY: members sign in through the company's provider, so a password opens only an admin account.
    admins_only: bool = False


def sign_in(
    session: Session, attempt: SignIn, throttle: LoginThrottle | None = None, start_session: bool = True
) -> User | None:
    """The member for these credentials, with a new sign-in session started; None if they don't match.

    With a throttle, an account whose failures are being waited out is refused before any password is
    checked (RateLimited, with the seconds left), whether or not the account exists."""
    if throttle is not None and (wait := throttle.wait(attempt.login)):
        raise RateLimited(
            _(
                "Too many failed sign-ins for this account. Try again in %(minutes)d minute(s).",
                minutes=max(1, round(wait / 60)),
            ),
            retry_after=wait,
        )
    user = authenticate(session, attempt.login, attempt.password)
    if user is not None and attempt.admins_only and user.role != Role.ADMIN.value:
        user = None  # answered like a wrong password: the page says that only admins use one here
    if throttle is not None:
        if user is None:
            throttle.failed(attempt.login)
        else:
            throttle.succeeded(attempt.login)
    if user is not None and start_session:
        sessions.start(session, user, attempt.user_agent)
    return user


def change_password(session: Session, user: User, current: str, new: str) -> User:
    """Set a new password after checking the current one, and end every sign-in session of the account
    (whoever learnt the old password may already be signed in somewhere) and void every reset link."""
    if not passwords.verify_password(user.password_hash, current):
        raise ValidationFailed(_("That is not your current password."), "current_password")
    strength.check(new, user.username, user.email)
    user.password_hash = passwords.hash_password(new)
    tokens.void_all(session, user, "reset")
    sessions.end_all(session, user)
    return user


def update_profile(session: Session, user: User, update: ProfileUpdate) -> User:
    update.validate()
    user.display_name = update.display_name.strip()
    user.bio = update.bio.strip()
    user.locale = update.locale
    return user


def set_role(session: Session, username: str, role: str) -> User:
    if role not in ROLES:
        raise ValidationFailed(
            _("Unknown role %(role)s; use one of %(roles)s.", role=role, roles=", ".join(ROLES)), "role"
        )
    user = user_by_username(session, username)
    user.role = role
    # A new role is a security event: a session opened under the old one (perhaps by someone else) ends.
    sessions.end_all(session, user)
    return user

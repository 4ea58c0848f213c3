"""Sign-in with the company's account (OpenID Connect): who a verified ID token names here, a new member made from
it, or an existing account linked to it after that account's password was given. Never linked by e-mail alone.

The protocol (discovery, state, nonce, PKCE, the ID token's signature and claims) is checked by app.accounts.oidc
before anything here runs; this module only sees an identity the provider vouched for."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from flask_babel import lazy_gettext as _
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from app.accounts import service, sessions
from app.accounts.models import EMAIL_MAX, ISSUER_MAX, SUBJECT_MAX, USERNAME_MAX, ExternalIdentity, User
from app.accounts.throttle import LoginThrottle
from app.auth.roles import Role
from app.db import utcnow
from app.errors import PermissionDenied, ValidationFailed

# Never a valid Argon2 hash, so no password opens an account made by a company sign-in (until one is set).
NO_PASSWORD = "!company-sign-in"  # noqa: S105 - a marker that no password matches


@dataclass(frozen=True)
class Identity:
    """A person as the provider's verified ID token describes them."""

    issuer: str
    subject: str
    email: str = ""  # only an address the provider says it verified
    username: str = ""  # the preferred_username claim, perhaps unusable here
    name: str = ""

    @classmethod
    def from_claims(cls, claims: Mapping[str, Any]) -> Identity:
        issuer, subject = str(claims.get("iss") or ""), str(claims.get("sub") or "")
        if not issuer or not subject or len(issuer) > ISSUER_MAX or len(subject) > SUBJECT_MAX:
            raise ValidationFailed(_("The company account could not be read. Please try again."))
        email = str(claims.get("email") or "").strip().lower()
        if claims.get("email_verified") is False or len(email) > EMAIL_MAX or not service.EMAIL_PATTERN.match(email):
            email = ""
        return cls(
            issuer=issuer,
            subject=subject,
            email=email,
            username=str(claims.get("preferred_username") or "").strip()[: USERNAME_MAX + 1],
            name=str(claims.get("name") or "").strip()[:60],
        )

    def as_dict(self) -> dict[str, str]:
        return {
            "iss": self.issuer,
            "sub": self.subject,
            "email": self.email,
            "username": self.username,
            "name": self.name,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, str]) -> Identity:
        return cls(data["iss"], data["sub"], data.get("email", ""), data.get("username", ""), data.get("name", ""))


def _check_not_suspended(user: User) -> None:
    if user.is_suspended():
        if user.suspended_until is None:
            raise PermissionDenied(_("Your account is suspended, so you can't sign in with the company account."))
        raise PermissionDenied(
            _(
                "Your account is suspended until %(date)s, so you can't sign in with the company account.",
                date=user.suspended_until.strftime("%Y-%m-%d %H:%M UTC"),
            )
        )


def linked_user(session: Session, identity: Identity) -> User | None:
    return session.scalar(
        select(User)
        .join(ExternalIdentity, ExternalIdentity.user_id == User.id)
        .where(ExternalIdentity.issuer == identity.issuer, ExternalIdentity.subject == identity.subject)
    )


def _start(session: Session, user: User, identity: Identity, user_agent: str, link: bool) -> User:
    _check_not_suspended(user)
    now = utcnow()
    if link:
        session.add(ExternalIdentity(user_id=user.id, issuer=identity.issuer, subject=identity.subject))
    else:
        session.execute(
            update(ExternalIdentity)
            .where(ExternalIdentity.issuer == identity.issuer, ExternalIdentity.subject == identity.subject)
            .values(last_used_at=now)
        )
    user.last_seen_at = now
    sessions.start(session, user, user_agent)
    return user


def username_problem(session: Session, username: str) -> str | None:
    """Why `username` can't be a new member's name here, or None when it can."""
    if not (service.USERNAME_MIN <= len(username) <= USERNAME_MAX):
        return str(
            _("A username has %(min)d to %(max)d characters.", min=service.USERNAME_MIN, max=USERNAME_MAX)
        )
    if not service.USERNAME_PATTERN.match(username):
        return str(_("Use only letters, digits, dashes and underscores in a username."))
    if session.scalar(select(func.count()).where(User.username_key == username.lower())):
        return str(_("That username is taken."))
    return None


def email_in_use(session: Session, identity: Identity) -> bool:
    return bool(identity.email) and bool(session.scalar(select(func.count()).where(User.email == identity.email)))


def can_create(session: Session, identity: Identity) -> bool:
    """A new member can be made from this identity (perhaps with another username than the claim's)."""
    return bool(identity.email) and not email_in_use(session, identity)


def sign_in(session: Session, identity: Identity, user_agent: str = "", locale: str = "en") -> User | None:
    """The member this identity signs in, with a new sign-in session: the linked account, or a new member when
    the claim's username is free and valid and its e-mail address has no account yet. None when the member has
    to choose: another username, or linking an existing account with its password."""
    user = linked_user(session, identity)
    if user is not None:
        return _start(session, user, identity, user_agent, link=False)
    if can_create(session, identity) and username_problem(session, identity.username) is None:
        return create_member(session, identity, identity.username, user_agent, locale)
    return None


def create_member(
    session: Session, identity: Identity, username: str, user_agent: str = "", locale: str = "en"
) -> User:
    """A new member for this identity, under `username`, signed in."""
    username = username.strip()
    if linked_user(session, identity) is not None:
        raise ValidationFailed(_("This company account is already linked to a member here."))
    if not identity.email:
        raise ValidationFailed(
            _("Your company account shares no verified e-mail address, so link an existing account instead.")
        )
    if email_in_use(session, identity):
        raise ValidationFailed(
            _("An account here already uses your e-mail address: link it with its password instead.")
        )
    if problem := username_problem(session, username):
        raise ValidationFailed(problem, "username")
    user = User(
        username=username,
        username_key=username.lower(),
        email=identity.email,
        password_hash=NO_PASSWORD,
        display_name=identity.name,
        # The provider vouches for the address (an explicit email_verified=false was refused above).
        email_verified_at=utcnow(),
        locale=locale if locale in service.LOCALES else "en",
        role=Role.MEMBER.value,
    )
    session.add(user)
    session.flush()
    return _start(session, user, identity, user_agent, link=True)


def link_account(
    session: Session,
    identity: Identity,
    attempt: service.SignIn,
    throttle: LoginThrottle | None = None,
) -> User:
    """Link this identity to the existing account `attempt` names, once its password matches; signed in.

    Counted against the account like a password sign-in, so linking is no way round the sign-in limits."""
    if linked_user(session, identity) is not None:
        raise ValidationFailed(_("This company account is already linked to a member here."))
    user = service.sign_in(session, attempt, throttle, start_session=False)
    if user is None:
        raise ValidationFailed(_("That username or e-mail and password don't match an account."))
    already = session.scalar(
        select(func.count()).where(ExternalIdentity.user_id == user.id, ExternalIdentity.issuer == identity.issuer)
    )
    if already:
        raise ValidationFailed(_("That account is already linked to another company account."), "login")
    return _start(session, user, identity, attempt.user_agent, link=True)


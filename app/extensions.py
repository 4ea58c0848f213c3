"""Flask extensions, created unbound here and bound to an app in create_app()."""

from __future__ import annotations

from datetime import timedelta

from flask import current_app
from flask_babel import Babel
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager, current_user
from flask_wtf.csrf import CSRFProtect

from app.db import utcnow

csrf = CSRFProtect()
babel = Babel()
login_manager = LoginManager()


def user_or_address() -> str:
    """Rate-limit key: the member when signed in (so a shared office IP isn't punished), else the IP."""
    if current_user and current_user.is_authenticated:
        return f"user:{current_user.id}"
    return f"ip:{get_remote_address()}"


limiter = Limiter(key_func=get_remote_address)

NEW_ACCOUNT_AGE = timedelta(days=1)


def limit_for(name: str) -> str:
    """The configured rate limit `name`, or its NEW_ACCOUNT_ variant for accounts younger than a day or whose
    e-mail address is not confirmed yet."""
    if current_user and current_user.is_authenticated and (
        current_user.created_at > utcnow() - NEW_ACCOUNT_AGE or current_user.email_verified_at is None
    ):
        return current_app.config[f"NEW_ACCOUNT_{name}"]
    return current_app.config[name]


def post_limit() -> str:
    """Questions, answers and case messages per member (the site's forms, the API and replies by e-mail)."""
    return limit_for("POST_RATE_LIMIT")


def flag_limit() -> str:
    """Flags per member, from the site or the API."""
    return limit_for("FLAG_RATE_LIMIT")

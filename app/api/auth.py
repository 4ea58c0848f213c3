"""Who calls the API: a bearer token names the member, and nothing else does. A browser's cookie never
authorises an API request, so the API needs no CSRF token; each route declares the least role and the token
scope it needs, like the HTML views' @access."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

from flask import Flask, current_app, g, request
from flask_babel import gettext as _
from flask_login import AnonymousUserMixin

from app.api import tokens
from app.auth.permissions import role_at_least
from app.auth.roles import LEVELS, VISITOR
from app.db import db
from app.errors import DomainError, PermissionDenied

F = TypeVar("F", bound=Callable[..., Any])
API_PREFIX = "/api/"


class Unauthenticated(DomainError):
    """No token, or one that is not (or no longer) valid: 401 with a WWW-Authenticate challenge."""

    status = 401


def authenticate() -> None:
    """Before every API request: the member is the token's, or a visitor; never the cookie's."""
    g._login_user = AnonymousUserMixin()  # Flask-Login's slot for the current user: the cookie is not read
    g.api_token = None
    header = request.headers.get("Authorization", "")
    if not header:
        return
    scheme, _space, raw = header.partition(" ")
    found = tokens.authenticate(db.session(), raw.strip()) if scheme.lower() == "bearer" else None
    if found is None:
        raise Unauthenticated(_("That token is not valid: it may have expired or been revoked."))
    g._login_user, g.api_token = found


def register(app: Flask) -> None:
    """Authenticate API requests before anything else looks at the user: the rate limiter's keys (per token,
    per member) and the views must see the token's member, never a cookie's."""

    def authenticate_api_requests() -> None:
        if request.path.startswith(API_PREFIX):
            authenticate()

    hooks = app.before_request_funcs.setdefault(None, [])
    # After the edge's input checks (first), before the limiter and everything else.
    hooks.insert(1 if hooks else 0, authenticate_api_requests)


def token_key() -> str:
    """Rate limits count per token (a script behind a shared address is not punished for its neighbours)."""
    token = g.get("api_token")
    if token is not None:
        return f"token:{token.id}"
    from flask_limiter.util import get_remote_address

    return f"ip:{get_remote_address()}"


def api_access(level: str, scope: str | None = None, *, owner: bool = False) -> Callable[[F], F]:
    """Declare (and enforce) the least role and the token scope a route needs. `owner=True` records that the
    service further checks the member's relation to the object (their own question, their case)."""
    if level not in LEVELS:
        raise ValueError(f"unknown access level {level!r}")
    if scope is not None and scope not in tokens.SCOPES:
        raise ValueError(f"unknown scope {scope!r}")

    def decorate(view: F) -> F:
        @wraps(view)
        def checked(*args: Any, **kwargs: Any) -> Any:
            token = g.get("api_token")
            if level != VISITOR or (scope and scope != "read"):
                if token is None:
                    raise Unauthenticated(_("Send a personal access token: Authorization: Bearer <token>."))
                if not role_at_least(g._login_user, level):
                    raise PermissionDenied(_("Your role does not allow this."))
            if token is not None and scope and scope not in token.scope_set:
                raise PermissionDenied(_("This token lacks the “%(scope)s” scope.", scope=scope))
            return view(*args, **kwargs)

        checked.access_level = level  # type: ignore[attr-defined]
        checked.access_owner = owner  # type: ignore[attr-defined]
        checked.api_scope = scope  # type: ignore[attr-defined]
        return checked  # type: ignore[return-value]

    return decorate


def api_rate_limit() -> str:
    return current_app.config["API_RATE_LIMIT"]

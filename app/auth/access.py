"""Who may reach a route: every view declares its audience with @access, and a test checks they all do."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

from flask import abort
from flask_login import current_user, login_required

from app.auth.permissions import role_at_least
from app.auth.roles import LEVELS, VISITOR, Role

F = TypeVar("F", bound=Callable[..., Any])


def access(level: str, *, owner: bool = False) -> Callable[[F], F]:
    """Declare (and enforce) the least role that may call this view.

    `owner=True` records that the view further checks ownership of the object through the policy
    module (e.g. "edit own answer"); the route-walking test uses it to know what to expect.
    """
    if level not in LEVELS:
        raise ValueError(f"unknown access level {level!r}")

    def decorate(view: F) -> F:
        if level == VISITOR:
            wrapped = view
        else:

            @wraps(view)
            def checked(*args: Any, **kwargs: Any) -> Any:
                if level != Role.MEMBER and not role_at_least(current_user, level):
                    abort(403)
                return view(*args, **kwargs)

            wrapped = login_required(checked)
        wrapped.access_level = level  # type: ignore[attr-defined]
        wrapped.access_owner = owner  # type: ignore[attr-defined]
        return wrapped  # type: ignore[return-value]

    return decorate

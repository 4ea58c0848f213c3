"""Security headers on every response: a strict CSP, no sniffing or framing, no-store for private pages, HSTS."""

from __future__ import annotations

from flask import Flask, Response, current_app, request
from flask_login import current_user

from app.auth.roles import VISITOR

CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; object-src 'none'; base-uri 'none'; "
    "frame-ancestors 'none'; form-action 'self'"
)



def policy_sending_forms_to(*origins: str) -> str:
    """The policy for a page whose form may lead to another site (the company sign-in button, which is answered by a
    redirect to the provider: browsers check form-action against every redirect after a form is sent)."""
    extra = " ".join(sorted({origin for origin in origins if origin}))
    return CONTENT_SECURITY_POLICY.replace("form-action 'self'", f"form-action 'self' {extra}".rstrip())


# Visitor-level pages that still carry one person's data (a signed link's owner).
PRIVATE_VISITOR_ENDPOINTS = frozenset({"notifications.unsubscribe"})


def is_private_page() -> bool:
    """Pages no shared or browser cache may keep: every page a member sees signed in (their name, their
    notifications, their CSRF token), every members-only route, and signed links."""
    if current_user and current_user.is_authenticated:
        return True
    view = current_app.view_functions.get(request.endpoint or "")
    level = getattr(view, "access_level", VISITOR)
    return level != VISITOR or request.endpoint in PRIVATE_VISITOR_ENDPOINTS


def register_headers(app: Flask) -> None:
    @app.after_request
    def _security_headers(response: Response) -> Response:
        response.headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Referrer-Policy", "strict-origin-when-cross-origin")
        response.headers.setdefault("X-Frame-Options", "DENY")
        if is_private_page():
            response.headers["Cache-Control"] = "no-store"
        if app.config.get("HSTS_MAX_AGE"):
            response.headers.setdefault("Strict-Transport-Security", f"max-age={int(app.config['HSTS_MAX_AGE'])}")
        return response

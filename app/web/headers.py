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


def security_headers(config) -> list[tuple[str, str]]:
    """The headers every answer carries unless its view set its own (a page cache hit answered before Flask too)."""
    headers = [
        ("Content-Security-Policy", CONTENT_SECURITY_POLICY),
        ("X-Content-Type-Options", "nosniff"),
        ("Referrer-Policy", "strict-origin-when-cross-origin"),
        ("X-Frame-Options", "DENY"),
    ]
    if config.get("HSTS_MAX_AGE"):
        headers.append(("Strict-Transport-Security", f"max-age={int(config['HSTS_MAX_AGE'])}"))
    return headers


def register_headers(app: Flask) -> None:
    @app.after_request
    def _security_headers(response: Response) -> Response:
        for name, value in security_headers(app.config):
            response.headers.setdefault(name, value)
        if is_private_page():
            response.headers["Cache-Control"] = "no-store"
        return response

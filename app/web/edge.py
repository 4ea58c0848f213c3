"""What comes in from outside, checked before any view sees it: control characters, cut-off bodies, redirects."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from flask import Flask, abort, request
from flask_babel import lazy_gettext as _l
from werkzeug.middleware.proxy_fix import ProxyFix

from app.errors import CONTROL_CHARACTERS, BadRequest, PermissionDenied

# Control characters, also percent-encoded: a CR or LF would split the Location header (a 500), and
# browsers drop tabs and newlines inside a URL, so "/\t/evil.example" would leave the site.
_UNSAFE_IN_NEXT = re.compile(r"[\x00-\x1f\x7f]|%[01][0-9a-f]|%7f", re.IGNORECASE)


def trust_proxies(app: Flask) -> None:
    """Behind TRUSTED_PROXIES load balancers or proxies, take the visitor's address and scheme from the
    X-Forwarded-For/-Proto headers they add: otherwise every visitor has the balancer's address, so they all share
    one rate-limit count and, with a balancer on the same host, anyone could read /metrics. Off by default, since a
    visitor who reaches the app directly could write those headers himself."""
    hops = int(app.config.get("TRUSTED_PROXIES", 0))
    if hops > 0:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops)  # type: ignore[method-assign]


def safe_next(target: str | None, fallback: str) -> str:
    """`target` when it is a path on this site, else `fallback`: never an open redirect."""
    if not target or _UNSAFE_IN_NEXT.search(target):
        return fallback
    target = target.replace("\\", "/").strip()
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return fallback
    return target


def require_same_origin() -> None:
    """403 for a form sent from another site: for the few POSTs that carry no CSRF token (the language switch, so
    that a visitor's page holds nothing of theirs and can be cached). Browsers name the sending page's origin in
    Origin on every cross-site POST (else in Referer, which our Referrer-Policy keeps to the origin across
    sites); a request with neither comes from no browser, so no visitor's cookies are being borrowed."""
    sender = request.headers.get("Origin") or request.headers.get("Referer")
    if not sender:
        return
    # The host only: behind a TLS-terminating proxy that is not trusted (TRUSTED_PROXIES=0) the app sees http://
    # while the browser names https://, and a scheme alone does not make another site.
    if urlsplit(sender).netloc != request.host:
        raise PermissionDenied(_l("That form was sent from another site, so we didn't act on it."))


def refuse_control_characters() -> None:
    """400 for a control character in the path, the query or the form (keys as well as values), before
    any view or the database sees it."""
    texts = [request.path]
    texts += [text for pair in request.args.items(multi=True) for text in pair]
    if request.method == "POST":
        texts += [text for pair in request.form.items(multi=True) for text in pair]
        _refuse_cut_off_body()
    if any(CONTROL_CHARACTERS.search(text) for text in texts):
        raise BadRequest(_l("The address or the form held a control character (such as a NUL), which we can't accept."))


def _refuse_cut_off_body() -> None:
    """413 for a body without a length (chunked) that filled MAX_CONTENT_LENGTH: Werkzeug stops reading
    there, and the form would otherwise be parsed from the first megabyte as if that were all of it."""
    if request.content_length is None and getattr(request.stream, "is_exhausted", False):
        abort(413)

"""Domain errors, and the one place where they (and HTTP errors) become pages with the right status."""

from __future__ import annotations

import re

from flask import Flask, Response, current_app, g, jsonify, make_response, render_template, request
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException


class DomainError(Exception):
    status = 400

    def __init__(self, message: object = "", field: str | None = None) -> None:
        # `message` may be a lazy translation; it becomes text in the reader's language when shown.
        super().__init__(message)
        self.message = message
        self.field = field


class BadRequest(DomainError):
    """A malformed request parameter (a broken page link, an unknown filter)."""

    status = 400


class NotFound(DomainError):
    status = 404


class PermissionDenied(DomainError):
    status = 403


class ValidationFailed(DomainError):
    status = 422


class Conflict(DomainError):
    status = 409


class InvalidTransition(Conflict):
    pass


class RateLimited(DomainError):
    status = 429

    def __init__(self, message: object = "", field: str | None = None, retry_after: int | None = None) -> None:
        super().__init__(message, field)
        self.retry_after = retry_after  # seconds, sent as Retry-After


def _titles() -> dict[int, str]:
    return {
        400: _("Bad request"),
        403: _("You can't do that"),
        404: _("Page not found"),
        405: _("Method not allowed"),
        409: _("That clashes with the current state"),
        413: _("That was too large"),
        422: _("Please check what you entered"),
        429: _("Slow down a little"),
        500: _("Something went wrong on our side"),
    }


def _default_message(status: int) -> str:
    return {
        400: _("The request could not be understood."),
        403: _("You don't have permission to do that."),
        404: _("We couldn't find that page. It may have been moved or removed."),
        405: _("That address doesn't accept this kind of request."),
        409: _("That action doesn't fit the current state of this item."),
        413: _("The text you sent is larger than we accept."),
        422: _("Some of what you entered needs another look."),
        429: _("You're doing that too often. Please wait a moment and try again."),
        500: _("We've been told about it. Please try again in a moment."),
    }.get(status, _("Something went wrong."))


# Never echoed back, even to the person who sent them.
_SECRET_FIELDS = frozenset({"csrf_token", "password", "confirm", "current_password"})
# An error page repeats a short excerpt of what was sent, never the whole of a huge or hostile body.
KEPT_FIELDS_MAX = 5
KEPT_FIELD_LENGTH = 2000
# C0 control characters other than tab, CR and LF: no form or link has a use for them, and PostgreSQL
# refuses a NUL in text (a 500). app/web.py refuses requests with them; error pages show text without them.
CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")


def _what_they_wrote() -> list[tuple[str, str]]:
    """The text fields of a refused form, so an error page never loses what someone wrote."""
    if request.method != "POST" or (request.content_length or 0) > (current_app.config.get("MAX_CONTENT_LENGTH") or 0):
        return []
    try:
        fields = request.form.items(multi=True)
        kept = []
        for name, value in fields:
            if len(kept) == KEPT_FIELDS_MAX:
                break
            if name in _SECRET_FIELDS or "password" in name:
                continue
            # A NUL may be why the form was refused: show the rest of the text so it can be sent again.
            value = CONTROL_CHARACTERS.sub("", value)
            if len(value.strip()) > 20:
                cut = len(value) > KEPT_FIELD_LENGTH
                kept.append((name[:40], value[:KEPT_FIELD_LENGTH] + ("…" if cut else "")))
        return kept
    except HTTPException:
        return []


# The API's error codes: stable words a script can branch on, whatever language the message is in.
API_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "too_large",
    415: "unsupported_media_type",
    422: "invalid",
    429: "rate_limited",
    500: "server_error",
}


def api_error(status: int, message: object, fields: dict[str, str] | None = None) -> Response:
    """The API's one error shape: {"error": {"code", "message", "fields"}}."""
    body = {"error": {"code": API_CODES.get(status, "error"), "message": str(message), "fields": fields or {}}}
    response = jsonify(body)
    response.status_code = status
    if status == 401:
        response.headers["WWW-Authenticate"] = 'Bearer realm="agora"'
    return response


def error_page(status: int, message: str | None = None, field: str | None = None, fields: dict | None = None):
    message = message or _default_message(status)
    if request.path.startswith("/api/"):
        return api_error(status, message, fields or ({field: message} if field else None))
    if request.accept_mimetypes.best == "application/json":
        return jsonify(error=message, status=status), status
    title = _titles().get(status, _("Error"))
    return render_template(
        "errors/error.html", status=status, title=title, message=message, kept=_what_they_wrote()
    ), status


def keep_retry_after(response: Response) -> Response:
    """Put back a RateLimited answer's own Retry-After, which Flask-Limiter (on a limited route) raises to
    the end of its own window, however far off that is."""
    retry_after = g.pop("retry_after", None)
    if retry_after:
        response.headers["Retry-After"] = str(retry_after)
    return response


def register_error_handlers(app: Flask) -> None:
    @app.errorhandler(DomainError)
    def _domain(error: DomainError):
        fields = getattr(error, "fields", None)
        response = make_response(error_page(error.status, str(error.message) or None, error.field, fields))
        if isinstance(error, RateLimited) and error.retry_after:
            g.retry_after = error.retry_after
            response.headers["Retry-After"] = str(error.retry_after)
        return response

    @app.errorhandler(CSRFError)
    def _csrf(_error: CSRFError):
        return error_page(
            400,
            _(
                "Your form expired or was sent from another site. Go back, reload the page and send it again — "
                "your text is still in the form."
            ),
        )

    @app.errorhandler(HTTPException)
    def _http(error: HTTPException):
        status = error.code or 500
        message = None
        if status == 429:
            message = _(
                "You're doing that too often (limit: %(limit)s). Please wait and try again.", limit=error.description
            )
        return error_page(status, message)

    @app.errorhandler(500)
    def _server_error(_error: Exception):
        return error_page(500)

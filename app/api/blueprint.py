"""The API's blueprint, its request checks and error shape, and the spectree instance that turns the routes and
their pydantic models into the OpenAPI description."""

from __future__ import annotations

from flask import Blueprint, request
from flask_babel import gettext as _
from spectree import SecurityScheme, SpecTree
from spectree.models import SecureType, SecuritySchemeData

from app.api import schemas
from app.api.auth import api_rate_limit, token_key
from app.errors import BadRequest, ValidationFailed
from app.extensions import csrf, limiter

bp = Blueprint("api", __name__, url_prefix="/api/v1")
csrf.exempt(bp)  # cookies never authorise the API, so a forged cross-site request has nothing to ride on
limiter.limit(api_rate_limit, key_func=token_key)(bp)

Errors = {
    "HTTP_400": schemas.Error,
    "HTTP_401": schemas.Error,
    "HTTP_403": schemas.Error,
    "HTTP_404": schemas.Error,
    "HTTP_409": schemas.Error,
    "HTTP_422": schemas.Error,
    "HTTP_429": schemas.Error,
}


class Invalid(ValidationFailed):
    """A request that does not match its schema: each field with what is wrong with it."""

    def __init__(self, fields: dict[str, str]) -> None:
        super().__init__(_("Some fields need another look."))
        self.fields = fields


def _refuse_invalid(_request, _response, error, _instance, _adapter) -> None:
    """spectree's request validation failed: answer in the API's error shape, field by field."""
    if error is None:
        return
    fields: dict[str, str] = {}
    for problem in error.errors():
        location = ".".join(str(part) for part in problem.get("loc", ())) or "body"
        fields.setdefault(location, problem.get("msg", "invalid"))
    raise Invalid(fields)


spec = SpecTree(
    "flask",
    title="Agora API",
    version="1",
    description="The community's questions, answers, kudos, moderation and private cases, as JSON.",
    path="api/v1/unused-ui",  # the description is served by our own route; no UI from a CDN
    mode="strict",
    before=_refuse_invalid,
    validation_error_status=422,
    security_schemes=[SecurityScheme(name="token", data=SecuritySchemeData(type=SecureType.HTTP, scheme="bearer"))],
    annotations=False,
)


def secured(scope: str | None) -> dict:
    return {"token": []} if scope else {}


@bp.before_request
def _json_only() -> None:
    if request.method in ("POST", "PATCH", "PUT") and request.content_length:
        if not request.is_json:
            raise _UnsupportedMedia()
        if request.get_json(silent=True) is None:
            raise BadRequest(_("The body is not valid JSON."))


class _UnsupportedMedia(BadRequest):
    status = 415

    def __init__(self) -> None:
        super().__init__(_("Send JSON, with Content-Type: application/json."))

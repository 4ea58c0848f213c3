"""Personal access tokens over the API: created with a password, listed, revoked."""

from __future__ import annotations

from flask import current_app, request
from flask_babel import gettext as _
from flask_login import current_user
from spectree import Response

from app.accounts import service as accounts
from app.accounts.throttle import login_throttle
from app.api import schemas, shapes, tokens
from app.api.auth import Unauthenticated, api_access
from app.api.blueprint import Errors, bp, secured, spec
from app.db import db
from app.errors import PermissionDenied, RateLimited
from app.extensions import limiter

# --- tokens ------------------------------------------------------------------------------------------


def _login_limit() -> str:
    return current_app.config["LOGIN_RATE_LIMIT"]


@bp.post("/tokens")
@api_access("visitor")
@limiter.limit(_login_limit)
@spec.validate(json=schemas.TokenRequest, resp=Response(HTTP_201=schemas.NewToken, **Errors), tags=["tokens"])
def create_token():
    """Create a token with a username (or e-mail) and password."""
    body: schemas.TokenRequest = request.context.json
    session = db.session()
    throttle = login_throttle()
    if throttle is not None and (wait := throttle.wait(body.username)):
        raise RateLimited(_("Too many failed sign-ins for this account. Try again later."), retry_after=wait)
    user = accounts.authenticate(session, body.username, body.password)
    if throttle is not None:
        (throttle.failed if user is None else throttle.succeeded)(body.username)
    if user is None:
        raise Unauthenticated(_("That username or e-mail and password don't match an account."))
    if user.is_suspended():
        raise PermissionDenied(_("Your account is suspended."))
    token, raw = tokens.create(session, user, body.name, list(body.scopes), body.expires_in_days)
    db.commit()
    return schemas.NewToken(**shapes.token_of(token).model_dump(), token=raw), 201


@bp.get("/tokens")
@api_access("member", "read")
@spec.validate(resp=Response(HTTP_200=schemas.TokenList, **Errors), tags=["tokens"], security=secured("read"))
def list_tokens():
    """The calling member's live tokens."""
    return schemas.TokenList(tokens=[shapes.token_of(t) for t in tokens.live(db.session(), current_user)])


@bp.delete("/tokens/<id:token_id>")
@api_access("member", "read", owner=True)
@spec.validate(resp=Response("HTTP_204", **Errors), tags=["tokens"], security=secured("read"))
def revoke_token(token_id: int):
    """Revoke one of the calling member's tokens (the one in use included)."""
    tokens.revoke(db.session(), current_user, token_id)
    db.commit()
    return "", 204

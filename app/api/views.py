"""/api/v1: reading, writing, moderating and working cases over JSON. Every route calls the same services as
the HTML views (no rule is written twice) and declares its role and token scope; the routes live in
app/api/routes/, one module per kind of work, and `description()` is the OpenAPI description they make."""

from __future__ import annotations

from flask import render_template

from app.api.auth import api_access
from app.api.blueprint import bp, spec
from app.api.routes import cases, reading, tokens, writing  # noqa: F401 - importing them registers the routes

__all__ = ["bp", "description"]


def description() -> dict:
    """The OpenAPI 3.1 description of this app's API routes, from the routes and their models."""
    document = spec.spec
    for path in document.get("paths", {}).values():
        for operation in path.values():
            for parameter in operation.get("parameters", []):
                if parameter.get("in") == "path" and parameter.get("schema") is None:
                    # Our `id` converter: a positive 31-bit integer (anything else is a 404 before any query).
                    parameter["schema"] = {"type": "integer", "minimum": 1, "maximum": 2**31 - 1}
    return document


@bp.get("/openapi.json")
@api_access("visitor")
def openapi():
    """This API's OpenAPI 3.1 description."""
    return description()


@bp.get("/docs")
@api_access("visitor")
def docs():
    """The API's reference as a page: rendered here from the description, no script, nothing from a CDN."""
    return render_template("api/docs.html", api=description())

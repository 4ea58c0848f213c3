"""The rhythm of a form view: validate, call the service, commit; a refusal shows on its field with 422."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from flask import request

from app.errors import ValidationFailed

T = TypeVar("T")


def form_error(form: Any, error: ValidationFailed) -> None:
    """Show a service's ValidationFailed on the form field it names (or on the form), keeping what was typed."""
    field = getattr(form, error.field or "", None)
    if field is not None:
        field.errors = [*field.errors, error.message]
    else:
        form.form_errors.append(error.message)


def submitted(form: Any, work: Callable[[], T]) -> T | None:
    """When `form` was posted and is valid, run `work` (the service call) and commit; return its result.
    None when the form or the service refused: the service's ValidationFailed is shown on its field, what
    the member typed stays in the form, and `form_status()` answers 422."""
    from app.db import db

    if not form.validate_on_submit():
        return None
    try:
        result = work()
    except ValidationFailed as error:
        form_error(form, error)
        return None
    db.commit()
    return result


def form_status() -> int:
    """200 for showing a form, 422 for one that came back with errors."""
    return 422 if request.method == "POST" else 200

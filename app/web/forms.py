"""The rhythm of a form view: validate, call the service, commit; a refusal shows on its field with 422, or, for
a small action form with no page of its own, on an error page with 422."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from flask import flash, request
from flask_wtf import FlaskForm

from app.errors import ValidationFailed
from app.web import stock_messages

T = TypeVar("T")


class AgoraForm(FlaskForm):
    """Every form's base: WTForms' own messages ("This field is required.") come from our catalogues, in the
    reader's language (Flask-WTF would look in WTForms' catalogues, which lack Albanian and our wording)."""

    class Meta(FlaskForm.Meta):
        def get_translations(self, form):
            return stock_messages.translations


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


def form_problems(form: Any) -> str:
    """Everything wrong with a checked form, each field's errors after its label, in one sentence."""
    problems = [f"{_label(field)} {error}" for field in form for error in field.errors]
    return " ".join([*problems, *map(str, form.form_errors)])


def _label(field: Any) -> str:
    label = str(field.label.text)
    return label if label.endswith(("?", ":")) else f"{label}:"


def submitted_action(form: Any, work: Callable[[], T], done: str | None = None) -> T:
    """A small action form (a button, perhaps with a reason beside it) posted from a page that shows many: check
    it, run `work` (the service call), commit and flash `done`. There is no page to show the form again, so
    invalid input, or the service's ValidationFailed, is refused with 422 and what was wrong with it."""
    result = submitted(form, work)
    problems = form_problems(form)
    if problems:
        raise ValidationFailed(problems)
    if done:
        flash(done, "success")
    return result  # type: ignore[return-value]  # None only when `work` returns None

"""Sentences that name people, tags and numbers: translated, with each name isolated in <bdi> so a Hebrew
name in an English sentence (or the other way round) keeps the sentence's punctuation where it belongs."""

from __future__ import annotations

import re
from typing import Any

from babel.numbers import format_decimal
from jinja2 import pass_eval_context
from jinja2.nodes import EvalContext
from markupsafe import Markup, escape

from app.web.locale import _locale, request_translations

_NUMBER_PLACEHOLDER = re.compile(r"%\((\w+)\)d")


def _isolate(value: Any) -> Markup:
    return Markup("<bdi>%s</bdi>") % (value,)


def _fill(text: str, params: dict[str, Any]) -> Markup:
    # Every placeholder becomes <bdi>…</bdi>. The count (num) is written the reader's way (1.234 in Greek);
    # other numbers are ids (#1234) and stay as they are.
    text = _NUMBER_PLACEHOLDER.sub(r"%(\1)s", text)
    if isinstance(params.get("num"), int):
        params = {**params, "num": number(params["num"])}
    return escape(text) % {key: _isolate(value) for key, value in params.items()}


def isolated_gettext(template: str, **params: Any) -> Markup:
    """`gettext(template, **params)` with every parameter in its own <bdi>."""
    return _fill(request_translations().ugettext(template), params)


def isolated_ngettext(singular: str, plural: str, num: int, **params: Any) -> Markup:
    """`ngettext(singular, plural, num, **params)` with every parameter (and num) in its own <bdi>."""
    return _fill(request_translations().ungettext(singular, plural, num), {"num": num, **params})


@pass_eval_context
def template_ngettext(eval_ctx: EvalContext, singular: str, plural: str, num: int, **params: Any) -> str | Markup:
    """Templates' `ngettext`: the number written the reader's way and, in HTML, every parameter in <bdi>
    ("<bdi>13</bdi> questions" keeps its number on the right side in a right-to-left page)."""
    text = request_translations().ungettext(singular, plural, num)
    if eval_ctx.autoescape:
        return _fill(text, {"num": num, **params})
    return _NUMBER_PLACEHOLDER.sub(r"%(\1)s", text) % {"num": number(num), **params}


def number(value: Any) -> str:
    """A count written the reader's way (1,234 / 1.234 / 1 234)."""
    if value is None:
        return ""
    return format_decimal(value, locale=_locale())

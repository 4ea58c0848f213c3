"""Sentences that name people, tags and numbers: translated, with each name isolated in <bdi> so a Hebrew
name in an English sentence (or the other way round) keeps the sentence's punctuation where it belongs."""

from __future__ import annotations

import re
from typing import Any

from babel.numbers import format_decimal
from markupsafe import Markup, escape

from app.web.locale import _locale, request_translations

_NUMBER_PLACEHOLDER = re.compile(r"%\((\w+)\)d")


def _isolate(value: Any) -> Markup:
    if isinstance(value, int) and not isinstance(value, bool):
        value = format_decimal(value, locale=_locale())
    return Markup("<bdi>%s</bdi>") % (value,)


def _fill(text: str, params: dict[str, Any]) -> Markup:
    # Every placeholder becomes <bdi>…</bdi>; %(num)d placeholders take the number already written the
    # reader's way, so they are read as strings.
    text = _NUMBER_PLACEHOLDER.sub(r"%(\1)s", text)
    return escape(text) % {key: _isolate(value) for key, value in params.items()}


def isolated_gettext(template: str, **params: Any) -> Markup:
    """`gettext(template, **params)` with every parameter in its own <bdi>."""
    return _fill(request_translations().ugettext(template), params)


def isolated_ngettext(singular: str, plural: str, num: int, **params: Any) -> Markup:
    """`ngettext(singular, plural, num, **params)` with every parameter (and num) in its own <bdi>."""
    return _fill(request_translations().ungettext(singular, plural, num), {"num": num, **params})

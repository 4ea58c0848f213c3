"""The reader's language: which one, its direction, its catalogue and its dates, looked up once per request."""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import UTC, datetime

from babel import dates
from flask import current_app, g, has_request_context, request, session
from flask_babel import get_locale, get_translations
from flask_login import current_user
from werkzeug.wrappers import Request


def select_locale() -> str:
    languages = current_app.config["LANGUAGES"]
    if not has_request_context():  # CLI commands speak the default language
        return current_app.config["BABEL_DEFAULT_LOCALE"]
    if current_user and current_user.is_authenticated and current_user.locale in languages:
        return current_user.locale
    return visitor_locale()


def visitor_locale() -> str:
    """A signed-out reader's language: the one they chose (kept in their session), else their browser's best
    match. Needs no database, so the page cache can key its pages by it before anything is loaded."""
    languages = current_app.config["LANGUAGES"]
    chosen = session.get("locale")
    if chosen in languages:
        return chosen
    return browser_locale(request, languages, current_app.config["BABEL_DEFAULT_LOCALE"])


def browser_locale(incoming: Request, languages: Iterable[str], default: str) -> str:
    """The best of `languages` for the browser's Accept-Language (a Flask request or a bare Werkzeug one)."""
    return incoming.accept_languages.best_match(list(languages)) or default


def text_direction() -> str:
    return "rtl" if str(get_locale()).split("_")[0] in current_app.config["RTL_LANGUAGES"] else "ltr"


def _locale():
    """The reader's Babel locale, resolved once per request (each timestamp on a page needs it)."""
    locale = g.get("_agora_locale")
    if locale is None:
        locale = g._agora_locale = get_locale()
    return locale


# Babel's Hebrew data writes the words that already say the number with the number after them ("לפני
# שעתיים (2)", "two hours ago (2)"); a Hebrew reader writes "לפני שעתיים".
_REPEATED_NUMBER = re.compile(r"\s*\(\d+\)$")


def relative_time(value: datetime | None) -> str:
    if value is None:
        return ""
    text = dates.format_timedelta(value - datetime.now(UTC), add_direction=True, threshold=1.1, locale=_locale())
    return _REPEATED_NUMBER.sub("", text)


def absolute_time(value: datetime | None) -> str:
    """Medium date and time in UTC (the site's timezone), in the reader's language."""
    if value is None:
        return ""
    return dates.format_datetime(value, "medium", tzinfo=UTC, locale=_locale())


def request_translations():
    """The reader's catalogue, looked up once per request (a page calls gettext a few hundred times)."""
    translations = g.get("_agora_translations")
    if translations is None:
        translations = g._agora_translations = get_translations()
    return translations


def post_language(raw: str | None) -> str | None:
    """A list or search filter's `language` argument: a post language code, or None for any language."""
    from app.accounts.service import LOCALES
    from app.errors import BadRequest

    if not raw:
        return None
    if raw not in LOCALES:
        raise BadRequest(get_translations().ugettext("Unknown language."))
    return raw


def language_names() -> list[tuple[str, str]]:
    """The posts' languages, each named in the reader's language ("Greek", "Griechisch", "יוונית")."""
    from app.accounts.service import LOCALES

    names = _locale().languages
    return [(code, (names.get(code) or code)[:1].upper() + (names.get(code) or code)[1:]) for code in LOCALES]

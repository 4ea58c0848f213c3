"""Request-level glue: security headers, locale choice, template helpers and safe redirects."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from urllib.parse import urlsplit

from babel import dates
from flask import Flask, abort, current_app, g, has_request_context, request, session
from flask_babel import get_locale, get_translations
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from app.auth.permissions import can, moderators_are_employees
from app.errors import CONTROL_CHARACTERS, BadRequest
from app.ids import IdConverter
from app.reputation.rules import BADGE_BY_KEY, Rank, rank_for

CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; object-src 'none'; base-uri 'none'; "
    "frame-ancestors 'none'; form-action 'self'"
)


def select_locale() -> str:
    languages = current_app.config["LANGUAGES"]
    if not has_request_context():  # CLI commands speak the default language
        return current_app.config["BABEL_DEFAULT_LOCALE"]
    if current_user and current_user.is_authenticated and current_user.locale in languages:
        return current_user.locale
    chosen = session.get("locale")
    if chosen in languages:
        return chosen
    return request.accept_languages.best_match(list(languages)) or current_app.config["BABEL_DEFAULT_LOCALE"]


def text_direction() -> str:
    return "rtl" if str(get_locale()).split("_")[0] in current_app.config["RTL_LANGUAGES"] else "ltr"


def _locale():
    """The reader's Babel locale, resolved once per request (each timestamp on a page needs it)."""
    locale = g.get("_agora_locale")
    if locale is None:
        locale = g._agora_locale = get_locale()
    return locale


def relative_time(value: datetime | None) -> str:
    if value is None:
        return ""
    return dates.format_timedelta(value - datetime.now(UTC), add_direction=True, threshold=1.1, locale=_locale())


def absolute_time(value: datetime | None) -> str:
    """Medium date and time in UTC (the site's timezone), in the reader's language."""
    if value is None:
        return ""
    return dates.format_datetime(value, "medium", tzinfo=UTC, locale=_locale())


def rank_of(user) -> Rank:
    return rank_for(user.points or 0, user.solution_count or 0)


def notification_text(note) -> str:
    """A notification in the reader's language, from its kind and parameters."""
    from flask_babel import gettext

    from app.notifications.messages import render
    from app.notifications.service import params_of

    params = params_of(note)
    if "title" in params and params["title"] == "a question that is now private":
        params["title"] = gettext("a question that is now private")
    return render(note.kind, params, translate=gettext) or note.text


def form_error(form, error) -> None:
    """Show a service's ValidationFailed on the form field it names (or on the form), keeping what was typed."""
    field = getattr(form, error.field or "", None)
    if field is not None:
        field.errors = [*field.errors, error.message]
    else:
        form.form_errors.append(error.message)


# Control characters, also percent-encoded: a CR or LF would split the Location header (a 500), and
# browsers drop tabs and newlines inside a URL, so "/\t/evil.example" would leave the site.
_UNSAFE_IN_NEXT = re.compile(r"[\x00-\x1f\x7f]|%[01][0-9a-f]|%7f", re.IGNORECASE)


def safe_next(target: str | None, fallback: str) -> str:
    """`target` when it is a path on this site, else `fallback`: never an open redirect."""
    if not target or _UNSAFE_IN_NEXT.search(target):
        return fallback
    target = target.replace("\\", "/").strip()
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return fallback
    return target


def _refuse_control_characters() -> None:
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


def _request_translations():
    """The reader's catalogue, looked up once per request (a page calls gettext a few hundred times)."""
    translations = g.get("_agora_translations")
    if translations is None:
        translations = g._agora_translations = get_translations()
    return translations


# Visitor-level pages that still carry one person's data (a signed link's owner).
PRIVATE_VISITOR_ENDPOINTS = frozenset({"notifications.unsubscribe"})


def _is_private_page() -> bool:
    """Pages no shared or browser cache may keep: every page a member sees signed in (their name, their
    notifications, their CSRF token), every members-only route, and signed links."""
    if current_user and current_user.is_authenticated:
        return True
    view = current_app.view_functions.get(request.endpoint or "")
    level = getattr(view, "access_level", "visitor")
    return level != "visitor" or request.endpoint in PRIVATE_VISITOR_ENDPOINTS


def register_web(app: Flask) -> None:
    app.url_map.converters["id"] = IdConverter
    # First of all the before-request checks: CSRF, sign-in and the views must never see such input.
    app.before_request_funcs.setdefault(None, []).insert(0, _refuse_control_characters)
    app.jinja_env.install_gettext_callables(
        lambda text: _request_translations().ugettext(text),
        lambda singular, plural, n: _request_translations().ungettext(singular, plural, n),
        newstyle=True,
    )

    @app.after_request
    def _security_headers(response):
        response.headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Referrer-Policy", "strict-origin-when-cross-origin")
        response.headers.setdefault("X-Frame-Options", "DENY")
        if _is_private_page():
            response.headers["Cache-Control"] = "no-store"
        if app.config.get("HSTS_MAX_AGE"):
            response.headers.setdefault("Strict-Transport-Security", f"max-age={int(app.config['HSTS_MAX_AGE'])}")
        return response

    app.jinja_env.add_extension("jinja2.ext.do")
    app.jinja_env.globals.update(
        can=can,
        moderators_read_cases=moderators_are_employees,
        text_direction=text_direction,
        get_locale=get_locale,
        rank_of=rank_of,
        badge_info=BADGE_BY_KEY,
        notification_text=notification_text,
        current_user=current_user,  # also inside imported macros, which see no request context
    )
    app.jinja_env.filters["reltime"] = relative_time
    app.jinja_env.filters["abstime"] = absolute_time
    app.jinja_env.filters["isotime"] = lambda value: value.isoformat() if value else ""

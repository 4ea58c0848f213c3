"""Request-level glue, by concern: the edge (input checks, safe redirects), security headers, the reader's
language, form handling and display helpers. `register_web` wires them into an app."""

from __future__ import annotations

from flask import Flask
from flask_babel import get_locale
from flask_login import current_user

from app.auth.permissions import can, moderators_are_employees
from app.ids import IdConverter
from app.reputation.rules import BADGE_BY_KEY
from app.web.display import notification_text, rank_of
from app.web.edge import refuse_control_characters, safe_next, trust_proxies
from app.web.forms import form_error, form_status, submitted
from app.web.headers import register_headers
from app.web.locale import (
    absolute_time,
    language_names,
    relative_time,
    request_translations,
    select_locale,
    text_direction,
)
from app.web.sentences import number, template_ngettext

__all__ = ["form_error", "form_status", "register_web", "safe_next", "select_locale", "submitted"]


def register_web(app: Flask) -> None:
    app.url_map.converters["id"] = IdConverter
    trust_proxies(app)
    # First of all the before-request checks: CSRF, sign-in and the views must never see such input.
    app.before_request_funcs.setdefault(None, []).insert(0, refuse_control_characters)
    register_headers(app)
    app.jinja_env.install_gettext_callables(
        lambda text: request_translations().ugettext(text),
        lambda singular, plural, n: request_translations().ungettext(singular, plural, n),
        newstyle=True,
    )
    # ngettext's numbers and names sit in <bdi> and are written the reader's way (see sentences.py)
    app.jinja_env.globals["ngettext"] = template_ngettext
    app.jinja_env.add_extension("jinja2.ext.do")
    app.jinja_env.globals.update(
        can=can,
        moderators_read_cases=moderators_are_employees,
        text_direction=text_direction,
        get_locale=get_locale,
        rank_of=rank_of,
        language_names=language_names,
        badge_info=BADGE_BY_KEY,
        notification_text=notification_text,
        current_user=current_user,  # also inside imported macros, which see no request context
    )
    app.jinja_env.filters["reltime"] = relative_time
    app.jinja_env.filters["abstime"] = absolute_time
    app.jinja_env.filters["num"] = number
    app.jinja_env.filters["isotime"] = lambda value: value.isoformat() if value else ""

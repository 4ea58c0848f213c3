"""The settings page's form for a new personal access token."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import IntegerField, SelectMultipleField, StringField
from wtforms.validators import DataRequired, Length, NumberRange
from wtforms.widgets import CheckboxInput, ListWidget

from app.api.models import TOKEN_NAME_MAX
from app.api.tokens import DAYS_DEFAULT, DAYS_MAX
from app.web.forms import AgoraForm

SCOPE_LABELS = {
    "read": _l("Read: questions, answers, your cases"),
    "write": _l("Write: ask, answer, edit, kudos, solutions, flags, case replies"),
    "moderate": _l("Moderate: escalate questions to staff"),
    "staff": _l("Staff: the case inbox, internal notes, assigning"),
}


class TokenForm(AgoraForm):
    name = StringField(
        _l("Name"),
        validators=[DataRequired(), Length(max=TOKEN_NAME_MAX)],
        description=_l("What the token is for, e.g. “help desk” or “my script”."),
        render_kw={"autocomplete": "off"},
    )
    scopes = SelectMultipleField(
        _l("What it may do"),
        choices=[],
        option_widget=CheckboxInput(),
        widget=ListWidget(prefix_label=False),
        default=["read"],
    )
    days = IntegerField(
        _l("Valid for (days)"),
        default=DAYS_DEFAULT,
        validators=[DataRequired(), NumberRange(min=1, max=DAYS_MAX)],
    )

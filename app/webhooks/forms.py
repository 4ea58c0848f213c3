"""The admin's form for a new webhook endpoint."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, SelectChoice, SelectMultipleField, StringField
from wtforms.validators import DataRequired, Length, Optional
from wtforms.widgets import CheckboxInput, ListWidget

from app.web.forms import AgoraForm
from app.webhooks.models import URL_MAX
from app.webhooks.service import EVENTS


class EndpointForm(AgoraForm):
    url = StringField(
        _l("Address"),
        validators=[DataRequired(), Length(max=URL_MAX)],
        description=_l("Where we send each event, e.g. https://helpdesk.example.com/hooks/agora"),
        render_kw={"autocomplete": "url", "inputmode": "url", "dir": "ltr"},
    )
    events = SelectMultipleField(
        _l("Events"),
        choices=[SelectChoice(event, label) for event, label in EVENTS.items()],
        option_widget=CheckboxInput(),
        widget=ListWidget(prefix_label=False),
    )
    staff = BooleanField(
        _l("This is the company's help desk: send it the content of private cases"),
    )
    secret = StringField(
        _l("Secret"),
        validators=[Optional(), Length(max=128)],
        description=_l("Leave it empty and we make one. The receiver checks each signature with it."),
        render_kw={"autocomplete": "off", "dir": "ltr"},
    )

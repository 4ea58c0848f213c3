"""Forms of the admin pages: a board, a member search, a role change."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import SelectChoice, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from app.admin.labels import ROLE_NAMES
from app.admin.service.boards import BOARD_DESCRIPTION_MAX, NAME_MAX, SLUG_MAX
from app.auth.roles import ROLES
from app.moderation.service.auditing import REASON_MAX
from app.web.forms import AgoraForm


class BoardForm(AgoraForm):
    name = StringField(_l("Name"), validators=[DataRequired(_l("Give the board a name.")), Length(max=NAME_MAX)])
    slug = StringField(
        _l("Address"),
        validators=[DataRequired(_l("Give the board an address.")), Length(max=SLUG_MAX)],
        description=_l("Lower-case letters, digits and dashes, as in /boards/home-broadband."),
    )
    description = TextAreaField(_l("Description"), validators=[Optional(), Length(max=BOARD_DESCRIPTION_MAX)])


def role_choices() -> list[SelectChoice]:
    return [SelectChoice(role, _l(ROLE_NAMES[role])) for role in ROLES]


class RoleForm(AgoraForm):
    role = SelectField(_l("Role"), choices=role_choices(), validators=[DataRequired()])
    reason = StringField(
        _l("Reason"),
        validators=[Optional(), Length(max=REASON_MAX)],
        description=_l("Kept in the audit log."),
    )

"""The privacy page's forms: ask for an export, delete the account."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, PasswordField
from wtforms.validators import DataRequired, Length

from app.accounts.service import PASSWORD_MAX
from app.web.forms import AgoraForm


class ExportForm(AgoraForm):
    """Only the CSRF token: asking is the whole action."""


class DeleteAccountForm(AgoraForm):
    # Empty and unused for accounts without a password of ours (they confirm with a fresh sign-in).
    password = PasswordField(
        _l("Your password"),
        validators=[Length(max=PASSWORD_MAX)],
        render_kw={"autocomplete": "current-password"},
    )
    confirm = BooleanField(
        _l("I understand that my account and personal data will be deleted and this cannot be undone."),
        validators=[DataRequired(_l("Tick the box to confirm that you want to delete your account."))],
    )

"""Forms for signing up, signing in and editing a profile. Each field names its purpose (`autocomplete`, WCAG
1.3.5), so browsers and password managers fill the right thing."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, EmailField, PasswordField, SelectChoice, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, EqualTo, Length, Optional, Regexp

from app.accounts.models import BIO_MAX, DISPLAY_NAME_MAX, EMAIL_MAX, USERNAME_MAX
from app.accounts.service import EMAIL_PATTERN, LOCALES, PASSWORD_MAX, PASSWORD_MIN, USERNAME_MIN
from app.web.forms import AgoraForm

LANGUAGE_NAMES = {"en": "English", "el": "Ελληνικά", "pl": "Polski", "sq": "Shqip", "he": "עברית"}
LANGUAGE_CHOICES = [SelectChoice(code, LANGUAGE_NAMES[code]) for code in LOCALES]


class RegisterForm(AgoraForm):
    username = StringField(
        _l("Username"),
        validators=[
            DataRequired(_l("Choose a username.")),
            Length(USERNAME_MIN, USERNAME_MAX),
            Regexp(r"^[A-Za-z0-9_-]+$", message=_l("Use only letters, digits, dashes and underscores.")),
        ],
        description=_l("Shown on your posts. Letters, digits, dashes and underscores."),
        render_kw={"autocomplete": "username"},
    )
    email = EmailField(
        _l("E-mail"),
        validators=[
            DataRequired(_l("Enter your e-mail address.")),
            Length(max=EMAIL_MAX),
            Regexp(EMAIL_PATTERN, message=_l("That doesn't look like an e-mail address.")),
        ],
        description=_l("Never shown to other members."),
        render_kw={"autocomplete": "email"},
    )
    password = PasswordField(
        _l("Password"),
        validators=[DataRequired(_l("Choose a password.")), Length(max=PASSWORD_MAX)],
        description=_l("At least %(n)d characters. A few unrelated words make a good one.", n=PASSWORD_MIN),
        render_kw={"autocomplete": "new-password"},
    )
    confirm = PasswordField(
        _l("Repeat the password"),
        validators=[DataRequired(), EqualTo("password", message=_l("The two passwords differ."))],
        render_kw={"autocomplete": "new-password"},
    )


class LoginForm(AgoraForm):
    login = StringField(
        _l("Username or e-mail"),
        validators=[DataRequired(), Length(max=EMAIL_MAX)],
        render_kw={"autocomplete": "username"},
    )
    password = PasswordField(
        _l("Password"),
        validators=[DataRequired(), Length(max=PASSWORD_MAX)],
        render_kw={"autocomplete": "current-password"},
    )
    remember = BooleanField(_l("Keep me signed in on this device"))


class ProfileForm(AgoraForm):
    display_name = StringField(
        _l("Display name"),
        validators=[Optional(), Length(max=DISPLAY_NAME_MAX)],
        description=_l("Shown instead of your username if you set one."),
        render_kw={"autocomplete": "name"},
    )
    # Free text about oneself: nothing a browser keeps would belong here.
    bio = TextAreaField(
        _l("About you"), validators=[Optional(), Length(max=BIO_MAX)], render_kw={"autocomplete": "off"}
    )
    locale = SelectField(
        _l("Language"), choices=LANGUAGE_CHOICES, validators=[DataRequired()], render_kw={"autocomplete": "language"}
    )


class LanguageForm(AgoraForm):
    """The footer's language switch carries no CSRF token (every visitor's page would hold their own token and
    could not be cached); its view checks the sender's origin instead (app/web/edge.require_same_origin)."""

    class Meta(AgoraForm.Meta):
        csrf = False

    locale = SelectField(_l("Language"), choices=LANGUAGE_CHOICES, validators=[DataRequired()])


def _new_password(label=None) -> PasswordField:
    return PasswordField(
        label or _l("New password"),
        validators=[DataRequired(_l("Choose a password.")), Length(max=PASSWORD_MAX)],
        description=_l("At least %(n)d characters. A few unrelated words make a good one.", n=PASSWORD_MIN),
        render_kw={"autocomplete": "new-password"},
    )


def _confirm() -> PasswordField:
    return PasswordField(
        _l("Repeat the password"),
        validators=[DataRequired(), EqualTo("password", message=_l("The two passwords differ."))],
        render_kw={"autocomplete": "new-password"},
    )


class ConfirmForm(AgoraForm):
    """A button and its CSRF token, nothing else."""


class ForgotPasswordForm(AgoraForm):
    login = StringField(
        _l("Username or e-mail"),
        validators=[DataRequired(_l("Enter your username or e-mail address.")), Length(max=EMAIL_MAX)],
        render_kw={"autocomplete": "username"},
    )


class ResetPasswordForm(AgoraForm):
    password = _new_password()
    confirm = _confirm()


class ChangePasswordForm(AgoraForm):
    current_password = PasswordField(
        _l("Current password"),
        validators=[DataRequired(_l("Enter your current password.")), Length(max=PASSWORD_MAX)],
        render_kw={"autocomplete": "current-password"},
    )
    password = _new_password()
    confirm = _confirm()


class ChangeEmailForm(AgoraForm):
    email = EmailField(
        _l("New e-mail address"),
        validators=[
            DataRequired(_l("Enter your e-mail address.")),
            Length(max=EMAIL_MAX),
            Regexp(EMAIL_PATTERN, message=_l("That doesn't look like an e-mail address.")),
        ],
        description=_l("We send a link to it; your address changes when you open it."),
        render_kw={"autocomplete": "email"},
    )
    password = PasswordField(
        _l("Current password"),
        validators=[DataRequired(_l("Enter your current password.")), Length(max=PASSWORD_MAX)],
        render_kw={"autocomplete": "current-password"},
    )


class StartCompanySignInForm(AgoraForm):
    """The company sign-in button: only its CSRF token, so no other site can send someone off to sign in."""


class CompanyUsernameForm(AgoraForm):
    """A first company sign-in whose username is taken here (or not usable as one): the member picks another."""

    username = StringField(
        _l("Username"),
        validators=[
            DataRequired(_l("Choose a username.")),
            Length(USERNAME_MIN, USERNAME_MAX),
            Regexp(r"^[A-Za-z0-9_-]+$", message=_l("Use only letters, digits, dashes and underscores.")),
        ],
        description=_l("Shown on your posts. Letters, digits, dashes and underscores."),
        render_kw={"autocomplete": "username"},
    )


class CompanyLinkForm(AgoraForm):
    """A first company sign-in for someone who already has an account here: its password proves it is theirs."""

    login = StringField(
        _l("Username or e-mail"),
        validators=[DataRequired(), Length(max=EMAIL_MAX)],
        render_kw={"autocomplete": "username"},
    )
    password = PasswordField(
        _l("Password"),
        validators=[DataRequired(), Length(max=PASSWORD_MAX)],
        render_kw={"autocomplete": "current-password"},
    )

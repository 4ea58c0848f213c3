"""Forms for escalating, asking for private help, and working a case."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, SelectChoice, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from app.escalation.service import MESSAGE_MAX, NOTE_MAX


def category_choices() -> list[SelectChoice]:
    return [
        SelectChoice("billing", _l("Billing and payments")),
        SelectChoice("account", _l("My account and sign-in")),
        SelectChoice("privacy", _l("Private data")),
        SelectChoice("legal", _l("Legal")),
        SelectChoice("other", _l("Something else")),
    ]


def priority_choices() -> list[SelectChoice]:
    return [
        SelectChoice("low", _l("Low")),
        SelectChoice("normal", _l("Normal")),
        SelectChoice("high", _l("High")),
        SelectChoice("urgent", _l("Urgent")),
    ]


class EscalateForm(FlaskForm):
    category = SelectField(_l("What is it about?"), choices=category_choices(), validators=[DataRequired()])
    priority = SelectField(_l("Priority"), choices=priority_choices(), default="normal", validators=[DataRequired()])
    public_note = TextAreaField(
        _l("Public note on the thread"),
        validators=[Optional(), Length(max=NOTE_MAX)],
        description=_l(
            "Every reader sees it. No private details. Left empty: “Our support team has taken this to a "
            "private conversation with the member.”"
        ),
    )
    withdraw = BooleanField(_l("Withdraw the question from public view (it holds private data)"))


class PrivateHelpForm(FlaskForm):
    category = SelectField(_l("What is it about?"), choices=category_choices(), validators=[DataRequired()])
    message = TextAreaField(
        _l("What our staff need to know"),
        validators=[DataRequired(_l("Tell our staff what they need to know.")), Length(max=MESSAGE_MAX)],
        description=_l("Only you, our staff and the community moderators can read this."),
    )
    withdraw = BooleanField(_l("Also hide my question from the public"))


class MessageForm(FlaskForm):
    body = TextAreaField(
        _l("Your message"), validators=[DataRequired(_l("Write your message first.")), Length(max=MESSAGE_MAX)]
    )


class NoteForm(FlaskForm):
    body = TextAreaField(
        _l("Internal note (staff and moderators only)"),
        validators=[DataRequired(_l("Write your note first.")), Length(max=MESSAGE_MAX)],
    )


class ResolveForm(FlaskForm):
    public_resolution = TextAreaField(
        _l("Public resolution (optional)"),
        validators=[Optional(), Length(max=NOTE_MAX * 4)],
        description=_l(
            "Shown on the public thread (as a staff answer, or on the private-conversation notice when the "
            "question was withdrawn), so the next customer learns the outcome. No private details."
        ),
    )


class AssignForm(FlaskForm):
    assignee = StringField(_l("Assign to (staff username)"), validators=[Optional(), Length(max=30)])

"""Forms for escalating, asking for private help, and working a case."""

from __future__ import annotations

from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, SelectChoice, SelectField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from app.escalation import labels, rules
from app.escalation.service.cases import NOTE_MAX
from app.escalation.service.conversation import MESSAGE_MAX
from app.forum.forms import files_field
from app.web.forms import AgoraForm


def category_choices() -> list[SelectChoice]:
    return [SelectChoice(key, labels.CATEGORY_LABELS[key]) for key in rules.CATEGORIES]


def priority_choices() -> list[SelectChoice]:
    return [SelectChoice(key, labels.PRIORITY_LABELS[key]) for key in rules.PRIORITIES]


class EscalateForm(AgoraForm):
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


class PrivateHelpForm(AgoraForm):
    category = SelectField(_l("What is it about?"), choices=category_choices(), validators=[DataRequired()])
    message = TextAreaField(
        _l("What our staff need to know"),
        validators=[DataRequired(_l("Tell our staff what they need to know.")), Length(max=MESSAGE_MAX)],
        description=_l("Only you, our staff and the community moderators can read this."),
    )
    withdraw = BooleanField(_l("Also hide my question from the public"))


class MessageForm(AgoraForm):
    body = TextAreaField(
        _l("Your message"), validators=[DataRequired(_l("Write your message first.")), Length(max=MESSAGE_MAX)]
    )
    files = files_field()


class NoteForm(AgoraForm):
    body = TextAreaField(
        _l("Internal note (staff and moderators only)"),
        validators=[DataRequired(_l("Write your note first.")), Length(max=MESSAGE_MAX)],
    )


class ResolveForm(AgoraForm):
    public_resolution = TextAreaField(
        _l("Public resolution (optional)"),
        validators=[Optional(), Length(max=NOTE_MAX * 4)],
        description=_l(
            "Shown on the public thread (as a staff answer, or on the private-conversation notice when the "
            "question was withdrawn), so the next customer learns the outcome. No private details."
        ),
    )


class AssignForm(AgoraForm):
    """Who works the case, picked from the staff (nobody typed usernames from memory)."""

    assignee = SelectField(_l("Assign to"), choices=[], validators=[Optional(), Length(max=30)])

    def offer(self, staff, me) -> AssignForm:
        """The choices: nobody, me, then the other staff members by name."""
        self.assignee.choices = [
            SelectChoice("", _l("Nobody")),
            # Formatted now, as text: a lazy string passes for safe HTML, and a name is not HTML.
            SelectChoice("me", gettext("Me (%(name)s)", name=me.name)),
            *(SelectChoice(member.username, member.name) for member in staff if member.id != me.id),
        ]
        return self

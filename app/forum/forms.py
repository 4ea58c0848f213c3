"""Forms for asking, answering and editing."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import HiddenField, SelectField, StringField, SubmitField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from app.accounts.forms import LANGUAGE_CHOICES
from app.forum.models import BODY_MAX, BODY_MIN, TITLE_MAX, TITLE_MIN
from app.web.forms import AgoraForm


class QuestionForm(AgoraForm):
    board = SelectField(_l("Board"), validators=[DataRequired(_l("Choose a board."))])
    title = StringField(
        _l("Title"),
        validators=[DataRequired(_l("Give your question a title.")), Length(TITLE_MIN, TITLE_MAX)],
        description=_l("Say what you need in one sentence, e.g. “Nimbus Book 14 won't charge past 80%”."),
    )
    body = TextAreaField(
        _l("Details"),
        validators=[DataRequired(_l("Describe your problem.")), Length(BODY_MIN, BODY_MAX)],
        description=_l("Markdown works: **bold**, `code`, lists, links. Never post passwords or card numbers."),
    )
    tags = StringField(
        _l("Tags"),
        validators=[Optional(), Length(max=200)],
        description=_l("Up to 5, separated by commas or spaces, e.g. battery, nimbus-book-14."),
    )
    # Not required: a form posted without it takes the author's interface language (the service checks the code).
    language = SelectField(
        _l("Language of the post"),
        choices=LANGUAGE_CHOICES,
        validate_choice=False,
        description=_l("Screen readers read your post in this language."),
    )
    preview = SubmitField(_l("Preview"))
    submit = SubmitField(_l("Post your question"))
    # Set by "Post publicly anyway" after the billing/account suggestion was shown (or "Post your question"
    # after similar questions were).
    public_confirmed = SubmitField(_l("Post publicly anyway"))
    # The similar questions the page's script already showed while the title was typed (their ids): the member
    # saw them, so posting does not stop to show them again.
    similar_seen = HiddenField(validators=[Optional(), Length(max=200)])


class AnswerForm(AgoraForm):
    body = TextAreaField(
        _l("Your answer"),
        validators=[DataRequired(_l("Write your answer first.")), Length(BODY_MIN, BODY_MAX)],
        description=_l("Markdown works. Be specific: what to check, what to change, what it fixed for you."),
    )
    language = SelectField(
        _l("Language of the answer"),
        choices=LANGUAGE_CHOICES,
        validate_choice=False,
        description=_l("Screen readers read your answer in this language."),
    )
    preview = SubmitField(_l("Preview"))
    submit = SubmitField(_l("Post your answer"))


class PreviewForm(AgoraForm):
    """Only carries the CSRF token check for the live-preview endpoint."""

    body = TextAreaField(validators=[Optional(), Length(max=BODY_MAX)])


class TagDescriptionForm(AgoraForm):
    """A moderator says what a tag is for (an empty description removes it)."""

    description = TextAreaField(
        _l("Description"),
        validators=[Optional(), Length(max=300)],
        description=_l("One or two sentences: what belongs under this tag."),
    )

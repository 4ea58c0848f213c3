"""Forms for asking, answering and editing."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import HiddenField, MultipleFileField, SelectField, StringField, SubmitField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from app.accounts.forms import LANGUAGE_CHOICES
from app.forum.models import BODY_MAX, BODY_MIN, SUMMARY_MAX, TITLE_MAX, TITLE_MIN
from app.web.forms import AgoraForm

ACCEPT = ".png,.jpg,.jpeg,.webp,.gif,.txt,.log,image/png,image/jpeg,image/webp,image/gif,text/plain"


def files_field() -> MultipleFileField:
    """Screenshots and logs, sent with the form (the editor's script uploads them as soon as they are chosen)."""
    return MultipleFileField(
        _l("Attach screenshots or logs"),
        description=_l(
            "PNG, JPEG, WebP or GIF images and .txt or .log files. Photos lose their location and camera data."
        ),
        render_kw={"accept": ACCEPT, "data-attach": "1"},
    )


def summary_field() -> StringField:
    return StringField(
        _l("Edit summary"),
        validators=[Optional(), Length(max=SUMMARY_MAX)],
        description=_l("Optional: what you changed, e.g. “added the BIOS version”. It shows in the history."),
    )


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
    files = files_field()
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
    files = files_field()
    language = SelectField(
        _l("Language of the answer"),
        choices=LANGUAGE_CHOICES,
        validate_choice=False,
        description=_l("Screen readers read your answer in this language."),
    )
    preview = SubmitField(_l("Preview"))
    submit = SubmitField(_l("Post your answer"))


class EditQuestionForm(QuestionForm):
    summary = summary_field()


class EditAnswerForm(AnswerForm):
    summary = summary_field()


class DraftForm(AgoraForm):
    """What the editor's script sends every few seconds (and the Discard button): cut to size by the service."""

    question_id = StringField(validators=[Optional(), Length(max=12)])
    board = StringField(validators=[Optional(), Length(max=200)])
    title = StringField(validators=[Optional(), Length(max=1000)])
    body = TextAreaField(validators=[Optional(), Length(max=BODY_MAX)])
    tags = StringField(validators=[Optional(), Length(max=1000)])


class RollbackForm(AgoraForm):
    """Only the CSRF token: the version to restore is in the address."""


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

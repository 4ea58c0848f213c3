"""Forms for flagging, moderator actions, suspensions and listening rules."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, RadioField, SelectChoice, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from app.moderation.models import FLAG_NOTE_MAX
from app.moderation.service.auditing import REASON_MAX
from app.web.forms import AgoraForm


def flag_reason_choices() -> list[SelectChoice]:
    return [
        SelectChoice("spam", _l("Spam or advertising")),
        SelectChoice("abusive", _l("Rude or abusive")),
        SelectChoice("off_topic", _l("Off-topic or in the wrong place")),
        SelectChoice("private_data", _l("Contains private data (card numbers, addresses, passwords…)")),
        SelectChoice("billing_account", _l("A billing or account matter staff should handle privately")),
        SelectChoice("other", _l("Something else (tell us below)")),
    ]


class FlagForm(AgoraForm):
    reason = RadioField(
        _l("What's wrong with this post?"),
        choices=flag_reason_choices(),
        validators=[DataRequired(_l("Choose why you are flagging this post."))],
    )
    note = TextAreaField(
        _l("Note for the moderators"),
        validators=[Optional(), Length(max=FLAG_NOTE_MAX)],
        description=_l("Optional, unless you chose “Something else”. Only moderators see it."),
    )


class ConfirmForm(AgoraForm):
    """A button with nothing to fill in: only its CSRF token is checked."""


class MergeForm(AgoraForm):
    """Moving a duplicate's answers can't be undone: the moderator ticks that they mean it."""

    confirm = BooleanField(
        _l("Yes, move the answers for good"),
        validators=[DataRequired(_l("Tick the box to confirm: merged answers can't be moved back."))],
    )


class ReasonForm(AgoraForm):
    reason = TextAreaField(
        _l("Reason"),
        validators=[Optional(), Length(max=REASON_MAX)],
        description=_l("Shown to the member where it concerns them, and kept in the audit log."),
    )


class HideForm(AgoraForm):
    reason = TextAreaField(
        _l("Why is it hidden?"),
        validators=[DataRequired(_l("Give a reason.")), Length(max=REASON_MAX)],
        description=_l("The author sees this reason."),
    )


class MoveForm(AgoraForm):
    board = SelectField(_l("Move to board"), validators=[DataRequired()])
    reason = StringField(_l("Reason"), validators=[Optional(), Length(max=REASON_MAX)])


class DuplicateForm(AgoraForm):
    original = StringField(
        _l("Original question (its number or its address)"),
        validators=[DataRequired(_l("Say which question this duplicates.")), Length(max=300)],
    )
    reason = StringField(_l("Reason"), validators=[Optional(), Length(max=REASON_MAX)])


def suspension_choices() -> list[SelectChoice]:
    return [
        SelectChoice("1", _l("1 day")),
        SelectChoice("3", _l("3 days")),
        SelectChoice("7", _l("1 week")),
        SelectChoice("30", _l("30 days")),
        SelectChoice("365", _l("1 year")),
        SelectChoice("indefinite", _l("Until lifted")),
    ]


class SuspendForm(AgoraForm):
    days = SelectField(_l("How long"), choices=suspension_choices(), validators=[DataRequired()])
    reason = TextAreaField(
        _l("Reason"),
        validators=[DataRequired(_l("Give a reason: the member will see it.")), Length(max=REASON_MAX)],
        description=_l("The member sees this reason."),
    )


class RuleForm(AgoraForm):
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=80)])
    kind = SelectField(
        _l("Match"),
        choices=[SelectChoice("keyword", _l("Words or phrases")), SelectChoice("regex", _l("A regular expression"))],
    )
    pattern = StringField(
        _l("Words or pattern"),
        validators=[DataRequired(), Length(max=200)],
        description=_l("Words are matched whole, ignoring case and accents."),
    )
    action = SelectField(
        _l("Action"),
        choices=[
            SelectChoice("flag", _l("Flag the post for moderators")),
            SelectChoice("suggest_private", _l("Suggest private help to the author")),
            SelectChoice("mask", _l("Mask the match in public")),
        ],
    )
    flag_reason = SelectField(_l("Flag reason"), choices=flag_reason_choices())

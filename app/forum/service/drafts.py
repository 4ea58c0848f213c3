"""What a member wrote, before it is stored: drafts parsed and validated, and text screened for private data."""

from __future__ import annotations

from dataclasses import dataclass

from flask_babel import lazy_gettext as _
from sqlalchemy.orm import Session

from app import content
from app.accounts.models import User
from app.accounts.service import LOCALES
from app.errors import ValidationFailed
from app.forum.models import BODY_MAX, BODY_MIN, SUMMARY_MAX, TAG_MAX, TAG_MIN, TAGS_MAX, TITLE_MAX, TITLE_MIN
from app.moderation import screening


def parse_tags(raw: str) -> tuple[str, ...]:
    """'Wi Fi, battery  drivers' -> ('wi-fi', 'battery', 'drivers'), validated, duplicates dropped."""
    names: list[str] = []
    for part in raw.replace(";", ",").split(","):
        for word in [part] if "," in raw or ";" in raw else part.split():
            name = content.normalize_tag(word)
            if name and name not in names:
                names.append(name)
    if len(names) > TAGS_MAX:
        raise ValidationFailed(_("Use at most %(max)d tags.", max=TAGS_MAX), "tags")
    for name in names:
        if not (TAG_MIN <= len(name) <= TAG_MAX) or not content.TAG_PATTERN.match(name):
            raise ValidationFailed(
                _(
                    "“%(tag)s” is not a valid tag: use %(min)d–%(max)d letters a–z, digits and dashes.",
                    tag=name[:40],
                    min=TAG_MIN,
                    max=TAG_MAX,
                ),
                "tags",
            )
    return tuple(names)


def post_language(chosen: str | None, author: User, current: str | None = None) -> str:
    """The language a post is written in: what the form chose, else the post's current language (an edit),
    else its author's interface language. Only the site's languages are accepted."""
    if chosen:
        if chosen not in LOCALES:
            raise ValidationFailed(_("Choose one of the listed languages."), "language")
        return chosen
    if current:
        return current
    return author.locale if author.locale in LOCALES else "en"


def _check_body(body: str) -> None:
    if len(body.strip()) < BODY_MIN:
        raise ValidationFailed(_("Write at least %(min)d characters.", min=BODY_MIN), "body")
    if len(body) > BODY_MAX:
        raise ValidationFailed(_("Keep it under %(max)d characters.", max=BODY_MAX), "body")


def _check_summary(summary: str) -> None:
    if len(summary.strip()) > SUMMARY_MAX:
        raise ValidationFailed(_("Keep the summary under %(max)d characters.", max=SUMMARY_MAX), "summary")


@dataclass(frozen=True)
class QuestionDraft:
    board_slug: str
    title: str
    body: str
    tags: tuple[str, ...] = ()
    language: str | None = None  # None: the author's interface language (or, for an edit, the post's own)
    summary: str = ""  # an edit's "what I changed"
    max_attachments: int = 10  # ATTACHMENTS_PER_POST

    def validate(self) -> None:
        _check_summary(self.summary)
        title = self.title.strip()
        if not (TITLE_MIN <= len(title) <= TITLE_MAX):
            raise ValidationFailed(
                _("A title has %(min)d to %(max)d characters.", min=TITLE_MIN, max=TITLE_MAX), "title"
            )
        _check_body(self.body)
        if len(self.tags) > TAGS_MAX:
            raise ValidationFailed(_("Use at most %(max)d tags.", max=TAGS_MAX), "tags")


@dataclass(frozen=True)
class AnswerDraft:
    body: str
    language: str | None = None
    summary: str = ""
    max_attachments: int = 10

    def validate(self) -> None:
        _check_summary(self.summary)
        _check_body(self.body)


@dataclass(frozen=True)
class Checked:
    """A post's text after the listening rules: private data masked, and the flags it raises."""

    title: str | None
    body: str
    flag_reasons: list[str]
    masked_kinds: list[str]

    def raise_flags(self, session: Session, **post: int) -> None:
        if self.flag_reasons:
            note = "Masked automatically: " + ", ".join(self.masked_kinds) if self.masked_kinds else ""
            screening.raise_rule_flags(session, self.flag_reasons, note=note, **post)


def screen(session: Session, title: str | None, body: str) -> Checked:
    """Apply the listening rules to a post's title (None for an answer) and body."""
    rules = screening.load_rules(session)
    parts = [screening.screen(rules, text) for text in ([title] if title is not None else []) + [body]]
    reasons = list(dict.fromkeys(reason for part in parts for reason in part.flag_reasons))
    kinds = list(dict.fromkeys(match.kind for part in parts for match in part.masked))
    return Checked(parts[0].text if title is not None else None, parts[-1].text, reasons, kinds)


def screened_text(session: Session, text: str) -> str:
    """The text as it would be stored: private data masked (previews show what will really be posted)."""
    return screen(session, None, text).body


def private_help_keywords(session: Session, title: str, body: str) -> list[str]:
    """Billing or account words in a draft question: the ask form then suggests private help first."""
    return screening.suggestions(screening.load_rules(session), f"{title}\n{body}")

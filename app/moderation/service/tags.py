"""Moderators describe tags (what belongs under each), audited like every moderator action."""

from __future__ import annotations

from flask_babel import lazy_gettext as _
from sqlalchemy.orm import Session

from app.accounts.models import User
from app.auth.permissions import require
from app.errors import ValidationFailed
from app.forum.models import Tag
from app.forum.service.tags import get_tag
from app.moderation.service.auditing import audit

TAG_DESCRIPTION_MAX = 300


def describe_tag(session: Session, actor: User, name: str, description: str) -> Tag:
    require(actor, "moderate")
    tag = get_tag(session, name)
    text = " ".join((description or "").split())
    if len(text) > TAG_DESCRIPTION_MAX:
        raise ValidationFailed(
            _("Keep a tag's description short (at most %(max)d characters).", max=TAG_DESCRIPTION_MAX), "description"
        )
    before = tag.description or ""
    tag.description = text or None
    audit(
        session, actor, "tag_described", "tag", tag.id, "", before={"description": before}, after={"description": text}
    )
    return tag

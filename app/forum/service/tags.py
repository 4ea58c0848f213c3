"""The tags page: every tag with how many public questions carry it, and what it is for."""

from __future__ import annotations

from flask_babel import lazy_gettext as _
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app import content
from app.auth.visibility import public_questions
from app.errors import NotFound
from app.forum.models import Question, Tag, question_tags


def tags_with_counts(session: Session, limit: int = 500) -> list[tuple[Tag, int]]:
    """Tags by how many public questions carry them (then by name); tags on no public question are left out,
    so a withdrawn question's tags say nothing about it."""
    used = func.count(question_tags.c.question_id)
    rows = session.execute(
        select(Tag, used)
        .join(question_tags, question_tags.c.tag_id == Tag.id)
        .join(Question, Question.id == question_tags.c.question_id)
        .where(public_questions())
        .group_by(Tag.id)
        .order_by(used.desc(), Tag.name)
        .limit(limit)
    )
    return [(tag, count) for tag, count in rows]


def get_tag(session: Session, name: str) -> Tag:
    tag = session.scalar(select(Tag).where(Tag.name == content.normalize_tag(name)))
    if tag is None:
        raise NotFound(_("There is no tag called “%(name)s”.", name=name[:30]))
    return tag

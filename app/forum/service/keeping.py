"""Drafts kept on the server while a member writes a question or an answer, so leaving the page loses nothing."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from app.accounts.models import User
from app.db import utcnow
from app.forum.models import BODY_MAX, TITLE_MAX, PostDraft
from app.forum.service.reading import access_question


def slot_for(question_id: int | None) -> str:
    """Which form a draft belongs to: the ask form, or the answer form of one question."""
    return "ask" if question_id is None else f"answer-{question_id}"


@dataclass(frozen=True)
class DraftText:
    """What the form held. Nothing is validated (a draft may be half a sentence), only cut to the columns."""

    body: str
    title: str = ""
    tags: str = ""
    board_slug: str = ""

    def is_empty(self) -> bool:
        return not (self.body.strip() or self.title.strip() or self.tags.strip())


def keep_draft(session: Session, user: User, question_id: int | None, text: DraftText) -> PostDraft | None:
    """Save (or replace) the member's draft for this form; an emptied form deletes it. An answer's draft is only
    kept for a question the member may read."""
    if question_id is not None:
        access_question(session, user, question_id)
    slot = slot_for(question_id)
    draft = session.scalar(select(PostDraft).where(PostDraft.user_id == user.id, PostDraft.slot == slot))
    if text.is_empty():
        if draft is not None:
            session.delete(draft)
        return None
    if draft is None:
        draft = PostDraft(user_id=user.id, slot=slot, question_id=question_id)
        session.add(draft)
    draft.body = text.body[:BODY_MAX]
    draft.title = text.title[:TITLE_MAX]
    draft.tags = text.tags[:200]
    draft.board_slug = text.board_slug[:60]
    draft.updated_at = utcnow()
    return draft


def draft_for(session: Session, user: User, question_id: int | None) -> PostDraft | None:
    slot = slot_for(question_id)
    return session.scalar(select(PostDraft).where(PostDraft.user_id == user.id, PostDraft.slot == slot))


def discard_draft(session: Session, user: User, question_id: int | None) -> None:
    """Posting or discarding ends a draft."""
    session.execute(delete(PostDraft).where(PostDraft.user_id == user.id, PostDraft.slot == slot_for(question_id)))

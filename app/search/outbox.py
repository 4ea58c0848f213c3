"""Writing to the search outbox: services call `enqueue` in the same transaction as the change."""

from __future__ import annotations

from sqlalchemy.orm import Session

from app.db import utcnow
from app.search.models import SearchOutbox


def enqueue(session: Session, question_id: int | None) -> None:
    """The question (or one of its answers) changed; its search document is rebuilt after commit."""
    if question_id is None:
        return
    session.add(SearchOutbox(question_id=question_id, created_at=utcnow()))
    session.info["search_dirty"] = True

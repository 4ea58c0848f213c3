"""Search operations: drain the outbox into the backend, search with the policy's eyes, reindex, status."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass

from flask import Flask
from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session, joinedload, selectinload

from app.forum.models import Question
from app.search.backend import SearchBackend, SearchQuery, SearchResult
from app.search.documents import all_documents, documents_for
from app.search.models import SearchOutbox

log = logging.getLogger(__name__)


def make_backend(app: Flask) -> SearchBackend:
    if app.config.get("SEARCH_BACKEND", "whoosh") == "postgres":
        from app.search.postgres_backend import PostgresBackend

        return PostgresBackend(app.config["DATABASE_URL"])
    from app.search.whoosh_backend import WhooshBackend

    return WhooshBackend(app.config["SEARCH_INDEX_DIR"])


def drain(reader: Session, writer: Session, backend: SearchBackend, batch: int = 500) -> int:
    """Apply pending outbox rows, oldest first. Rows are deleted only once the index has them, so a crash in
    between repeats the work (updates are idempotent) instead of losing it. Returns the rows applied."""
    applied = 0
    while True:
        rows = reader.execute(
            select(SearchOutbox.id, SearchOutbox.question_id).order_by(SearchOutbox.id).limit(batch)
        ).all()
        reader.rollback()  # don't hold a snapshot while the index writes
        if not rows:
            return applied
        documents = documents_for(reader, sorted({question_id for _id, question_id in rows}))
        reader.rollback()
        if not backend.apply(documents):
            log.info("search index busy: %d outbox rows wait for the next writer", len(rows))
            return applied
        writer.execute(delete(SearchOutbox).where(SearchOutbox.id.in_([row_id for row_id, _q in rows])))
        writer.commit()
        applied += len(rows)


def drain_app(app: Flask) -> int:
    """Drain with the app's database and backend; never raises (the write it follows has already committed)."""
    from app.db import db

    try:
        with app.app_context():
            with db.scope(write=False) as reader, db.scope(write=True) as writer:
                return drain(reader, writer, app.extensions["agora_search"])
    except Exception:
        log.exception("applying the search outbox failed; the rows wait for the next drain")
        return 0


def _visible(session: Session, ids: list[int]) -> dict[int, Question]:
    """Re-load hits through the public filter, so search can never show what the policy hides."""
    if not ids:
        return {}
    questions = session.scalars(
        select(Question)
        .options(joinedload(Question.board), joinedload(Question.author), selectinload(Question.tags))
        .where(Question.id.in_(ids), Question.is_hidden.is_(False), Question.is_private.is_(False))
    )
    return {q.id: q for q in questions}


@dataclass(frozen=True)
class Found:
    result: SearchResult
    questions: list[tuple[Question, object]]  # (question, hit), in the backend's order


def search(session: Session, backend: SearchBackend, query: SearchQuery) -> Found:
    result = backend.search(query)
    visible = _visible(session, [hit.id for hit in result.hits])
    return Found(result, [(visible[hit.id], hit) for hit in result.hits if hit.id in visible])


def similar(session: Session, backend: SearchBackend, title: str, limit: int = 5) -> list[Question]:
    ids = backend.similar(title, limit)
    visible = _visible(session, ids)
    return [visible[i] for i in ids if i in visible]


@dataclass(frozen=True)
class Status:
    backend: str
    indexed: int
    public_questions: int
    pending: int


def status(session: Session, backend: SearchBackend) -> Status:
    public = session.scalar(
        select(func.count()).select_from(Question).where(Question.is_hidden.is_(False), Question.is_private.is_(False))
    )
    pending = session.scalar(select(func.count()).select_from(SearchOutbox))
    return Status(backend.name, backend.count(), public or 0, pending or 0)


def reindex(
    reader: Session, writer: Session, backend: SearchBackend, progress: Callable[[int], None] | None = None
) -> int:
    """Rebuild from the database into a fresh index and swap it in; outbox rows older than the start are done."""
    started_at = writer.scalar(select(func.max(SearchOutbox.id))) or 0
    writer.rollback()
    count = backend.rebuild(all_documents(reader), progress)
    writer.execute(delete(SearchOutbox).where(SearchOutbox.id <= started_at))
    writer.commit()
    return count


def ensure_ready(app: Flask) -> None:
    """A missing or unreadable index is rebuilt from the database, not a 500."""
    from app.db import db

    backend = app.extensions["agora_search"]
    healthy = getattr(backend, "healthy", lambda: True)
    if healthy():
        return
    log.warning("rebuilding the search index from the database")
    backend.reset()
    with app.app_context():
        with db.scope(write=False) as reader, db.scope(write=True) as writer:
            reindex(reader, writer, backend)

"""Search operations: drain the outbox into the backend, search with the policy's eyes, reindex, status."""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from dataclasses import dataclass, replace

from flask import Flask
from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session, joinedload, selectinload

from app.forum.models import Question
from app.search.backend import Hit, SearchBackend, SearchQuery, SearchResult
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
    result: SearchResult  # what is shown; its suggestion only ever one that finds something the viewer may see
    questions: list[tuple[Question, Hit]]  # in the backend's order
    corrected_from: str | None = None  # the text typed, when the results shown are for the suggestion


def _found(session: Session, result: SearchResult) -> Found:
    visible = _visible(session, [hit.id for hit in result.hits])
    return Found(result, [(visible[hit.id], hit) for hit in result.hits if hit.id in visible])


def search(session: Session, backend: SearchBackend, query: SearchQuery, autocorrect: bool = True) -> Found:
    """Results through the public filter. A misspelling that found nothing shows its suggestion's results
    instead, unless `autocorrect` is off (the reader asked for exactly what they typed)."""
    result = backend.search(query)
    found = _found(session, result)
    if not result.suggestion:
        return found
    suggested = _suggested(session, backend, query, result.suggestion)
    if suggested is None:
        return Found(replace(result, suggestion=None), found.questions)
    if autocorrect and not found.questions:
        return replace(suggested, corrected_from=query.text)
    return Found(result, found.questions)


def _suggested(session: Session, backend: SearchBackend, query: SearchQuery, suggestion: str) -> Found | None:
    """The suggestion's results, or None unless it finds something this viewer may see. The index may hold
    words of withdrawn questions and hidden answers (deleted documents linger in segments; an outbox row may
    wait), and Whoosh joins words with OR, so each word the suggestion brings in must find a visible question
    on its own: else "Did you mean" would spell out a private word."""
    typed = set(re.findall(r"\w+", query.text.casefold()))
    for word in dict.fromkeys(re.findall(r"\w+", suggestion.casefold())):
        if word not in typed and not _found(session, backend.search(replace(query, text=word, page=1))).questions:
            return None
    found = _found(session, backend.search(replace(query, text=suggestion)))
    if not found.questions:
        return None
    return Found(replace(found.result, suggestion=suggestion), found.questions)


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

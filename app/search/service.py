"""Search operations: drain the outbox into the backend, search with the policy's eyes, reindex, status."""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from dataclasses import dataclass, replace

from flask import Flask
from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session, joinedload, selectinload

from app.auth.visibility import public_questions
from app.forum.models import Question
from app.search import relevance
from app.search.backend import (
    MATCH_CAP,
    READY,
    Hit,
    IndexBusy,
    IndexUnavailable,
    SearchBackend,
    SearchQuery,
    SearchResult,
)
from app.search.documents import all_documents, documents_for
from app.search.models import SearchOutbox
from app.web.page_cache import search_pages_changed

log = logging.getLogger(__name__)

REBUILDING = "rebuilding"
OUT_OF_STEP = "index behind the database"
DELETE_BATCH = 500


def make_backend(app: Flask) -> SearchBackend:
    cap = int(app.config.get("SEARCH_MATCH_CAP", MATCH_CAP))
    if app.config.get("SEARCH_BACKEND", "whoosh") == "postgres":
        from app.search.postgres_backend import PostgresBackend

        return PostgresBackend(app.config["DATABASE_URL"], match_cap=cap)
    from app.search.whoosh_backend import WhooshBackend

    return WhooshBackend(app.config["SEARCH_INDEX_DIR"], match_cap=cap)


# --- keeping the index in step ------------------------------------------------------------------


def drain(reader: Session, writer: Session, backend: SearchBackend, batch: int = 500) -> int:
    """Apply pending outbox rows, oldest first, as the one writer. Under the index lock it reads the rows, then
    builds their documents from the database (so they are at least as new as the rows' changes), commits the
    index, and only then deletes exactly those rows: a row never goes before an index commit holding its change,
    and rows enqueued meanwhile stay. When another writer holds the lock the rows wait (it looks again for rows
    after letting go). Raises IndexUnavailable when the index must be rebuilt. Returns the rows applied."""
    applied = 0
    while True:
        try:
            with backend.locked():
                rows = reader.execute(
                    select(SearchOutbox.id, SearchOutbox.question_id).order_by(SearchOutbox.id).limit(batch)
                ).all()
                if rows:
                    backend.write(documents_for(reader, sorted({question_id for _id, question_id in rows})))
                reader.rollback()  # don't hold a snapshot while the rows are deleted
                if rows:
                    writer.execute(delete(SearchOutbox).where(SearchOutbox.id.in_([row_id for row_id, _q in rows])))
                    search_pages_changed(writer)  # kept search pages were found in the index before this write
                    writer.commit()
        except IndexBusy:
            reader.rollback()
            log.info("search index busy: outbox rows wait for the writer that holds it")
            return applied
        applied += len(rows)
        # A drain that found the lock taken while we held it left its rows to us: look once the lock is free.
        if not rows and not _pending(reader):
            return applied


def _pending(session: Session) -> bool:
    found = session.scalar(select(SearchOutbox.id).limit(1)) is not None
    session.rollback()
    return found


def drain_app(app: Flask) -> int:
    """Drain with the app's database and backend; never raises (the write it follows has already committed).
    A missing or unreadable index starts a rebuild in the background; the rows wait for it."""
    from app.db import db

    try:
        with app.app_context():
            with db.scope(write=False) as reader, db.scope(write=True) as writer:
                return drain(reader, writer, app.extensions["agora_search"])
    except IndexUnavailable:
        log.warning("search index unavailable: the outbox waits for the rebuild")
        app.extensions["agora_search_recovery"].start()
        return 0
    except Exception:
        log.exception("applying the search outbox failed; the rows wait for the next drain")
        return 0


def reindex(
    reader: Session, writer: Session, backend: SearchBackend, progress: Callable[[int], None] | None = None
) -> int:
    """Rebuild from the database into a fresh index and swap it in, as the one writer. The outbox rows there when
    it starts are done (the documents are read after them); rows that arrive meanwhile stay for the next drain."""
    with backend.locked(wait=True):
        claimed = list(reader.scalars(select(SearchOutbox.id)))
        count = backend.rebuild(all_documents(reader), progress)
        reader.rollback()
        for start in range(0, len(claimed), DELETE_BATCH):
            writer.execute(delete(SearchOutbox).where(SearchOutbox.id.in_(claimed[start : start + DELETE_BATCH])))
        search_pages_changed(writer)
        writer.commit()
    return count


# --- searching ----------------------------------------------------------------------------------


def visible_questions(session: Session, ids: list[int], eager: bool = True) -> dict[int, Question]:
    """Re-load hits through the public filter, so search can never show what the policy hides. Without `eager`,
    one query and the question's own columns only (enough for a list of links)."""
    if not ids:
        return {}
    query = select(Question).where(Question.id.in_(ids), public_questions())
    if eager:
        query = query.options(joinedload(Question.board), joinedload(Question.author), selectinload(Question.tags))
    return {q.id: q for q in session.scalars(query)}


@dataclass(frozen=True)
class Found:
    result: SearchResult  # what is shown; its suggestion only ever one that finds something the viewer may see
    questions: list[tuple[Question, Hit]]  # in the backend's order
    corrected_from: str | None = None  # the text typed, when the results shown are for the suggestion


def _found(session: Session, result: SearchResult) -> Found:
    visible = visible_questions(session, [hit.id for hit in result.hits])
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


def similar(
    session: Session,
    backend: SearchBackend,
    title: str,
    limit: int = 5,
    exclude_id: int | None = None,
    also: str = "",
    eager: bool = True,
) -> list[Question]:
    """Public questions close enough to `title` to be worth opening (see relevance), in the backend's order
    (solved first); none at all rather than padding. A question closed as a duplicate (merged) is left out:
    its original is the one to read. Words in `also` (a question's tags) help rank the candidates but are not
    held against them by the threshold: a related question rarely repeats another's tags in its text."""
    wanted = relevance.meaningful_words(title)
    if not wanted:
        return []
    ids = backend.similar(f"{title} {also}".strip(), limit * 4)
    visible = visible_questions(session, ids, eager)
    found = []
    for question_id in ids:
        question = visible.get(question_id)
        if question is None or question.duplicate_of_id is not None or question.id == exclude_id:
            continue
        if relevance.close_enough(wanted, question.title, question.body_source):
            found.append(question)
    return found[:limit]


# --- health -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Status:
    backend: str
    state: str  # READY, REBUILDING, OUT_OF_STEP or the backend's own (index missing, index unreadable)
    indexed: int | None  # None when the index can't be read
    public_questions: int
    pending: int


def _database_counts(session: Session) -> tuple[int, int, int]:
    """Public questions, outbox rows and the questions they name, read in one fresh snapshot."""
    public = session.scalar(
        select(func.count()).select_from(Question).where(public_questions())
    )
    rows, questions = session.execute(
        select(func.count(), func.count(SearchOutbox.question_id.distinct())).select_from(SearchOutbox)
    ).one()
    session.rollback()
    return public or 0, rows or 0, questions or 0


def status(session: Session, backend: SearchBackend) -> Status:
    """Where the index stands. Ends its read transactions (it needs fresh snapshots): give it its own session.
    The index may differ from the public questions only by the questions waiting in the outbox (each row adds
    or removes at most one document); more than that means it was lost, restored or built from another
    database, and needs a rebuild."""
    before = _database_counts(session)
    public, pending, pending_questions = before
    if backend.rebuilding():
        return Status(backend.name, REBUILDING, None, public, pending)
    state = backend.state()
    if state != READY:
        return Status(backend.name, state, None, public, pending)
    try:
        indexed = backend.count()
    except IndexUnavailable:
        return Status(backend.name, backend.state(), None, public, pending)
    if abs(indexed - public) > pending_questions and _database_counts(session) == before:
        state = OUT_OF_STEP  # (when the database moved meanwhile, the counts can't be compared: no verdict)
    return Status(backend.name, state, indexed, public, pending)

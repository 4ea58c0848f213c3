"""The database layer: SQLite pragmas, write transactions that never fail on upgrade, UTC datetimes."""

from __future__ import annotations

import threading
from datetime import UTC, datetime

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import StatementError

from app.accounts.models import User
from app.db import db
from app.errors import ValidationFailed
from app.forum.models import Board
from tests.conftest import POSTGRES_URL
from tests.factories import make_board, make_user

sqlite_only = pytest.mark.skipif(bool(POSTGRES_URL), reason="SQLite connection settings")


@sqlite_only
def test_sqlite_connections_use_wal_foreign_keys_and_a_busy_timeout(app):
    with app.app_context(), db.engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() == 15000


@sqlite_only
def test_foreign_keys_are_enforced(app):
    with app.app_context():
        session = db.new_session()
        with pytest.raises(Exception, match="FOREIGN KEY"):
            session.execute(
                text(
                    "INSERT INTO questions (board_id, author_id, title, slug, body_source, body_html, "
                    "render_version, is_solved, answer_count, kudos_count, view_count, created_at, "
                    "last_activity_at) VALUES (999, 999, 't', 's', 'b', 'b', 1, 0, 0, 0, 0, "
                    "'2026-01-01', '2026-01-01')"
                )
            )
        session.close()


def test_concurrent_read_then_write_transactions_take_turns(app, session):
    """Each worker reads a counter then writes it back +1. With deferred transactions on SQLite
    WAL, one of them would fail at once with "database is locked"; IMMEDIATE makes them queue.
    (On PostgreSQL, FOR UPDATE does the same; SQLite has no row locks and leaves it out.)"""
    board = make_board(session, "laptops")
    errors: list[BaseException] = []
    barrier = threading.Barrier(4)

    def worker() -> None:
        with app.app_context():
            for _ in range(10):
                s = db.new_session(write=True)
                try:
                    barrier.wait(timeout=5) if _ == 0 else None
                    count = s.scalar(select(Board.question_count).where(Board.id == board.id).with_for_update())
                    s.execute(Board.__table__.update().where(Board.id == board.id).values(question_count=count + 1))
                    s.commit()
                except BaseException as error:
                    errors.append(error)
                    s.rollback()
                finally:
                    s.close()

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    session.expire_all()
    assert session.get(Board, board.id).question_count == 40  # no lost updates either


def test_datetimes_come_back_timezone_aware_utc(session):
    user = make_user(session)
    session.expire_all()
    loaded = session.scalar(select(User).where(User.id == user.id))
    assert loaded.created_at.tzinfo is not None and loaded.created_at.utcoffset().total_seconds() == 0


def test_naive_datetimes_are_refused(session):
    user = make_user(session)
    user.last_seen_at = datetime(2026, 1, 1)
    with pytest.raises(StatementError, match="naive datetime"):
        session.commit()
    session.rollback()
    user.last_seen_at = datetime(2026, 1, 1, tzinfo=UTC)
    session.commit()


postgres_only = pytest.mark.skipif(not POSTGRES_URL, reason="a real PostgreSQL deadlock")


@postgres_only
def test_a_request_that_loses_a_deadlock_runs_again(app, session):
    """Two transactions lock two members' rows in opposite orders; PostgreSQL breaks the request's off.
    The view runs again, and only its second attempt is committed."""
    first, second = make_user(session, "first"), make_user(session, "second")
    attempts: list[int] = []
    other_locked, other_done = threading.Event(), threading.Event()

    def other_transaction() -> None:
        with app.app_context(), db.engine.begin() as conn:
            conn.execute(text("SET LOCAL deadlock_timeout = '10s'"))  # so the request is the one broken off
            conn.execute(text("SELECT id FROM users WHERE id = :id FOR UPDATE"), {"id": second.id})
            other_locked.set()
            conn.execute(text("SELECT id FROM users WHERE id = :id FOR UPDATE"), {"id": first.id})
        other_done.set()

    def view() -> str:
        attempts.append(1)
        request_session = db.session()
        request_session.execute(text("SET LOCAL deadlock_timeout = '50ms'"))
        bio = f"try {len(attempts)}"
        request_session.execute(text("UPDATE users SET bio = :bio WHERE id = :id"), {"bio": bio, "id": first.id})
        if len(attempts) == 1:
            threading.Thread(target=other_transaction, daemon=True).start()
            assert other_locked.wait(5)
            request_session.execute(text("SELECT id FROM users WHERE id = :id FOR UPDATE"), {"id": second.id})
        db.commit()
        return "done"

    with app.test_request_context("/anything", method="POST"):
        assert db.retrying(view)() == "done"
    assert other_done.wait(5)
    assert len(attempts) == 2
    session.expire_all()
    assert session.get(User, first.id).bio == "try 2"


def test_only_lost_races_are_run_again(app):
    calls: list[int] = []

    def view() -> str:
        calls.append(1)
        raise ValueError("a bug is not a race")

    with app.test_request_context("/anything", method="POST"), pytest.raises(ValueError):
        db.retrying(view)()
    assert calls == [1]


def _open_board_then_refuse(session, slug: str) -> None:
    """A service that writes (and flushes) before it refuses: only the edge's rollback may undo it."""
    session.add(Board(slug=slug, name="Half made", description="", position=1))
    session.flush()
    raise ValidationFailed("refused after writing")


def _boards(session) -> list[str]:
    return list(session.scalars(select(Board.slug)))


def test_tx_session_undoes_what_a_refused_service_wrote(app, tx_session):
    make_board(tx_session, "kept")  # arranged and committed (to a savepoint), as tests do
    with pytest.raises(ValidationFailed):
        _open_board_then_refuse(tx_session, "half-made")
    tx_session.rollback()  # what the edge does when a service refuses
    assert _boards(tx_session) == ["kept"]


def test_tx_session_leaves_nothing_once_the_test_ends(app, tx_session):
    make_board(tx_session, "inside")
    with app.app_context(), db.scope(write=False) as other:
        assert _boards(other) == []  # nothing outside the transaction, which the fixture rolls back


def test_in_autocommit_a_refused_services_write_stays(session):
    """Why refusal tests run `in_transaction`: here rollback() has nothing to undo."""
    with pytest.raises(ValidationFailed):
        _open_board_then_refuse(session, "half-made")
    session.rollback()
    assert _boards(session) == ["half-made"]


@pytest.mark.in_transaction
def test_a_test_marked_in_transaction_gets_tx_session(session):
    assert session.get_bind().in_transaction()

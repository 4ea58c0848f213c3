"""Keeping the index right under pressure: concurrent writers, a lost or corrupt index, a restored database."""

from __future__ import annotations

import shutil
import sqlite3
import threading
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app import create_app
from app.db import db
from app.search import service as search
from app.search.backend import IndexUnavailable, SearchQuery
from app.search.models import SearchOutbox
from tests.conftest import POSTGRES_URL, Client, make_app, sign_in
from tests.factories import make_answer, make_board, make_question, make_user


def find(app, session: Session, text: str) -> list[str]:
    found = search.search(session, app.extensions["agora_search"], SearchQuery(text=text, per_page=100))
    session.rollback()
    return [question.title for question, _hit in found.questions]


def pending(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(SearchOutbox)) or 0


def eventually(check: Callable[[], bool], timeout: float = 30.0) -> bool:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.1)
    return True


def autocommit_session(app) -> Session:
    with app.app_context():
        engine = db.engine
    return Session(bind=engine.execution_options(isolation_level="AUTOCOMMIT"), expire_on_commit=False)


# --- two writers --------------------------------------------------------------------------------


class AnotherWriterCutsIn:
    """The real backend; the first time documents are written, `turn` runs first (another writer's chance)."""

    def __init__(self, backend, turn: Callable[[], None]) -> None:
        self.backend, self.turn = backend, turn

    def __getattr__(self, name: str):
        return getattr(self.backend, name)

    def _cut_in(self) -> None:
        turn, self.turn = self.turn, None
        if turn:
            turn()

    def write(self, documents):
        self._cut_in()
        return self.backend.write(documents)

    def apply(self, documents):
        self._cut_in()
        return self.backend.apply(documents)


def test_a_change_committed_while_a_batch_is_written_is_not_lost(search_app, s):
    user, board = make_user(s), make_board(s)
    question = make_question(s, user, board, title="Printer offline after the update")

    def answer_and_drain_elsewhere() -> None:
        # After the batch's documents were read: a newer change, and another writer that tries to apply it.
        make_answer(s, make_user(s), question, body="Reinstall the spooler driver, then restart.")
        search.drain_app(search_app)

    backend = AnotherWriterCutsIn(search_app.extensions["agora_search"], answer_and_drain_elsewhere)
    with search_app.app_context(), db.scope(write=False) as reader, db.scope(write=True) as writer:
        search.drain(reader, writer, backend)
    assert pending(s) == 0
    assert find(search_app, s, "spooler") == ["Printer offline after the update"]


def test_two_app_servers_draining_at_once_lose_no_answer(search_app, s, tmp_path, postgres_schema):
    other = make_app(tmp_path, postgres_schema, SEARCH_BACKEND=search_app.config["SEARCH_BACKEND"])  # same db, dir
    apps, posted, done = [search_app, other], [], threading.Event()

    def post() -> None:
        session = autocommit_session(search_app)
        try:
            user, helper, board = make_user(session), make_user(session), make_board(session)
            for n in range(25):
                question = make_question(session, user, board, title=f"Question {n} about the hub")
                make_answer(session, helper, question, body=f"Answer with the word fixword{n} in it.")
                posted.append(n)
        finally:
            session.close()
            done.set()

    def keep_draining(app) -> None:
        while not done.is_set():
            search.drain_app(app)
        search.drain_app(app)

    threads = [threading.Thread(target=post)] + [threading.Thread(target=keep_draining, args=(a,)) for a in apps]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    with other.app_context():
        db.engine.dispose()
    assert posted == list(range(25)) and pending(s) == 0
    assert [n for n in posted if find(search_app, s, f"fixword{n}") != [f"Question {n} about the hub"]] == []


def test_an_answer_posted_during_a_rebuild_is_searchable_after_it(search_app, s):
    user, board = make_user(s), make_board(s)
    first = make_question(s, user, board, title="Docking station drops the monitor")
    for n in range(3):
        make_question(s, user, board, title=f"Docking question number {n}")
    search.drain_app(search_app)
    posted = []

    def answer_once(_step: int) -> None:
        if not posted:  # the first question's document is already read: its answer comes too late for it
            posted.append(make_answer(s, user, first, body="Swap the thunderbolt cable for a certified one."))
            search.drain_app(search_app)  # the after-commit drain of that post

    backend = search_app.extensions["agora_search"]
    with search_app.app_context(), db.scope(write=False) as reader, db.scope(write=True) as writer:
        assert search.reindex(reader, writer, backend, progress=answer_once) == 4
    assert pending(s) == 1  # it waited: it is newer than the rebuild
    search.drain_app(search_app)
    assert find(search_app, s, "thunderbolt") == ["Docking station drops the monitor"] and pending(s) == 0


def test_an_index_that_lost_documents_is_noticed_and_rebuilt(search_app, s):
    user, board = make_user(s), make_board(s)
    questions = [make_question(s, user, board, title=f"Docking station problem {n}") for n in range(4)]
    search.drain_app(search_app)
    backend = search_app.extensions["agora_search"]
    backend.apply({q.id: None for q in questions[:3]})  # gone without an outbox row: nothing would bring them back
    response = search_app.test_client().get("/search?q=docking")  # the first search of this process checks
    assert response.status_code == 200
    assert eventually(lambda: all_found(search_app, s, questions))
    assert backend.count() == 4


# --- a lost or corrupt index --------------------------------------------------------------------

REBUILDING = "Search is being rebuilt; results may be incomplete for a few minutes."


@pytest.fixture
def whoosh_site(tmp_path, postgres_schema):
    """A Whoosh site with five public questions, indexed, and one search made (the first full check done)."""
    app = make_app(tmp_path, postgres_schema)
    app.test_client_class = Client
    session = autocommit_session(app)
    user, board = make_user(session, "writer"), make_board(session, "laptops")
    questions = [make_question(session, user, board, title=f"Docking station problem {n}") for n in range(5)]
    search.drain_app(app)
    assert app.test_client().get("/search?q=docking").status_code == 200
    yield app, session, user, questions
    app.extensions["agora_search_recovery"].wait(30)
    session.close()
    with app.app_context():
        db.engine.dispose()


def all_found(app, session: Session, questions) -> bool:
    try:
        return sorted(find(app, session, "docking")) == sorted(q.title for q in questions)
    except IndexUnavailable:
        return False  # not rebuilt yet


def test_a_deleted_index_is_rebuilt_in_the_background_while_the_page_says_so(whoosh_site):
    app, session, user, questions = whoosh_site
    backend = app.extensions["agora_search"]
    client = app.test_client()
    sign_in(client, user)
    shutil.rmtree(app.config["SEARCH_INDEX_DIR"])
    with backend.locked():  # another writer's turn: the rebuild must wait for it, so "meanwhile" lasts
        response = client.form_post(f"/questions/{questions[0].id}/answers", {"body": "Try the thunderbolt port."})
        assert response.status_code == 302
        for _ in range(2):
            response = client.get("/search?q=docking")
            assert response.status_code == 200
            assert REBUILDING in response.get_data(as_text=True)
    assert eventually(lambda: all_found(app, session, questions))
    assert find(app, session, "thunderbolt") == [questions[0].title] and pending(session) == 0
    assert REBUILDING not in client.get("/search?q=docking").get_data(as_text=True)


def test_a_write_to_a_deleted_index_does_not_start_an_empty_one(whoosh_site):
    app, session, user, questions = whoosh_site
    client = app.test_client()
    sign_in(client, user)
    shutil.rmtree(app.config["SEARCH_INDEX_DIR"])
    response = client.form_post(f"/questions/{questions[1].id}/answers", {"body": "Update the dock firmware first."})
    assert response.status_code == 302  # its after-commit drain finds no index: a rebuild, not an empty index
    assert client.get("/search?q=docking").status_code == 200
    assert eventually(lambda: all_found(app, session, questions))
    assert find(app, session, "firmware") == [questions[1].title] and pending(session) == 0


def test_a_corrupt_index_is_rebuilt_not_an_error_page(whoosh_site):
    app, session, _user, questions = whoosh_site
    current = Path(app.config["SEARCH_INDEX_DIR"]) / "current"
    for segment in current.glob("*.seg"):
        segment.write_bytes(b"garbage" * 100)
    response = app.test_client().get("/search?q=docking")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert REBUILDING in page or "Docking station problem" in page
    assert app.test_client().get("/search/similar?title=docking+station").status_code == 200
    assert eventually(lambda: all_found(app, session, questions))


def test_the_status_command_says_what_is_wrong(whoosh_site):
    app, _session, _user, questions = whoosh_site
    runner, backend = app.test_cli_runner(), app.extensions["agora_search"]
    assert "state:             ready" in runner.invoke(args=["search", "status"]).output
    backend.apply({questions[0].id: None})  # a document gone without an outbox row
    assert "state:             index behind the database" in runner.invoke(args=["search", "status"]).output
    seen = []
    with app.app_context(), db.scope(write=False) as reader, db.scope(write=True) as writer:
        search.reindex(reader, writer, backend, lambda _n: seen.append(runner.invoke(args=["search", "status"]).output))
    assert "state:             rebuilding" in seen[0]
    shutil.rmtree(app.config["SEARCH_INDEX_DIR"])
    output = runner.invoke(args=["search", "status"]).output
    assert "state:             index missing" in output and "indexed documents: -" in output


# --- a restored database ------------------------------------------------------------------------


@pytest.mark.skipif(bool(POSTGRES_URL), reason="copies the SQLite file")
def test_a_database_restored_from_an_older_copy_gets_a_matching_index(whoosh_site, tmp_path):
    app, session, user, questions = whoosh_site
    database = tmp_path / "agora.db"
    with sqlite3.connect(database) as live, sqlite3.connect(tmp_path / "backup.db") as copy:
        live.backup(copy)  # the backup, with everything the WAL holds
    later = [make_question(session, user, make_board(session), title=f"Docking station later {n}") for n in range(2)]
    search.drain_app(app)
    assert len(find(app, session, "docking")) == 7
    with sqlite3.connect(tmp_path / "backup.db") as copy, sqlite3.connect(database) as live:
        copy.backup(live)  # restore the older copy, then start the site again on the same index
    restarted = make_app(tmp_path, None)
    session = autocommit_session(restarted)
    assert restarted.test_client().get("/search?q=docking").status_code == 200
    assert eventually(lambda: restarted.extensions["agora_search"].count() == 5)
    assert all_found(restarted, session, questions)
    assert later[0].title not in find(restarted, session, "later")
    restarted.extensions["agora_search_recovery"].wait(30)
    session.close()
    with restarted.app_context():
        db.engine.dispose()


# --- start-up ------------------------------------------------------------------------------------


def test_commands_leave_the_index_alone_and_a_server_catches_up_on_its_first_request(search_app, s):
    """Building an app (every `flask` command does) must not touch the index; rows a crash left behind are
    applied when a server starts serving."""
    make_question(s, make_user(s, "asker"), make_board(s, "laptops"), title="Screen flickers after sleep")
    assert pending(s) > 0  # committed, never drained: a crash between commit and indexing
    server = create_app(
        {
            "ENV_NAME": "development",
            "DEBUG": False,
            "DATABASE_URL": search_app.config["DATABASE_URL"],
            "SEARCH_INDEX_DIR": search_app.config["SEARCH_INDEX_DIR"],
            "SEARCH_BACKEND": search_app.config["SEARCH_BACKEND"],
        }
    )
    assert pending(s) > 0
    assert server.test_client().get("/").status_code == 200
    assert eventually(lambda: pending(s) == 0)
    assert find(search_app, s, "flickers") == ["Screen flickers after sleep"]

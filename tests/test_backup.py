"""Online backups: `flask backup` copies a SQLite database while it is written to; the copy restores a site
whose pages and search hold every post acknowledged before the backup began."""

from __future__ import annotations

import threading
import time

import pytest

from app.db import db
from app.forum import service as forum
from tests.conftest import POSTGRES_URL, Client, make_app
from tests.factories import make_board, make_question, make_user


def _find(client: Client, word: str, timeout: float = 30.0) -> str:
    """The search page for `word` once it finds something (a restored site may first rebuild its index)."""
    deadline = time.monotonic() + timeout
    while True:
        page = client.get(f"/search?q={word}").get_data(as_text=True)
        if '<li class="result' in page or time.monotonic() > deadline:
            return page
        time.sleep(0.2)


@pytest.mark.skipif(bool(POSTGRES_URL), reason="the SQLite backup API; PostgreSQL is backed up with pg_dump")
def test_a_backup_taken_during_writes_restores_every_acknowledged_post(app, session, tmp_path):
    board = make_board(session, "laptops")
    author, helper = make_user(session, "author"), make_user(session, "helper")
    question = make_question(session, author, board, title="Battery drains overnight on the Nimbus Book")
    acknowledged: list[tuple[int, str]] = []
    stop = threading.Event()

    def keep_answering() -> None:
        with app.app_context(), db.scope() as writer:
            helper_here = writer.get(type(helper), helper.id)
            n = 0
            while not stop.is_set() and n < 300:
                word = f"zqbackup{n}x"
                answer = forum.post_answer(writer, helper_here, question.id, forum.AnswerDraft(f"Answer {word} works."))
                writer.commit()
                acknowledged.append((answer.id, word))  # only once it is committed
                n += 1

    thread = threading.Thread(target=keep_answering)
    thread.start()
    while len(acknowledged) < 20 and thread.is_alive():
        time.sleep(0.01)
    assert thread.is_alive(), "the writer stopped early"
    before = list(acknowledged)
    target = tmp_path / "backup.db"
    result = app.test_cli_runner().invoke(args=["backup", str(target)])
    stop.set()
    thread.join(timeout=60)
    assert result.exit_code == 0, result.output
    assert "Backed up" in result.output and target.exists()
    assert len(acknowledged) > len(before)  # the site kept writing while the copy was made

    # Restore: a new site on the copy, with no search index yet (as on a new machine).
    restored = make_app(
        tmp_path / "restored", None, DATABASE_URL=f"sqlite:///{target}", SEARCH_INDEX_DIR=str(tmp_path / "index2")
    )
    restored.test_client_class = Client
    client = restored.test_client()
    page = client.get(f"/questions/{question.id}/{question.slug}").get_data(as_text=True)
    missing_on_page = [word for _id, word in before if word not in page]
    assert missing_on_page == []
    for _id, word in before[:: max(1, len(before) // 8)] + before[-1:]:
        assert "Battery drains overnight" in _find(client, word), word
    assert app.test_cli_runner().invoke(args=["backup", str(target)]).exit_code != 0  # never overwrites


@pytest.mark.skipif(not POSTGRES_URL, reason="PostgreSQL only")
def test_on_postgresql_the_command_points_to_pg_dump(app, tmp_path):
    result = app.test_cli_runner().invoke(args=["backup", str(tmp_path / "backup.db")])
    assert result.exit_code != 0 and "pg_dump" in result.output

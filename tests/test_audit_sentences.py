"""The audit log reads as sentences in the reader's language, not as action codes and JSON."""

from __future__ import annotations

from html import unescape
from pathlib import Path

import pytest

from app.db import db
from app.moderation import service as moderation
from tests.conftest import Client, make_app, sign_in
from tests.factories import make_answer, make_board, make_question, make_user
from tests.pending_catalogues import catalogue, compile_into, forget_loaded_catalogues


@pytest.fixture
def app(tmp_path: Path, postgres_schema: str | None):
    """An app reading the committed catalogues plus new-strings.json (compiled here)."""
    app = make_app(tmp_path, postgres_schema, BABEL_TRANSLATION_DIRECTORIES=compile_into(tmp_path / "translations"))
    forget_loaded_catalogues(app)
    app.test_client_class = Client
    yield app
    forget_loaded_catalogues(app)
    with app.app_context():
        db.engine.dispose()


@pytest.fixture
def logged(app, session):
    """Elena, a moderator, hid Sam's answer, dismissed two flags on his question, locked it, moved it and
    suspended a member for a week."""
    laptops, phones = make_board(session, "laptops", "Laptops"), make_board(session, "phones", "Phones")
    elena = make_user(session, "elena", role="moderator", display_name="Elena")
    sam = make_user(session, "sam", display_name="Sam")
    question = make_question(session, sam, laptops)
    answer = make_answer(session, sam, question)
    for flagger in (make_user(session, "ann"), make_user(session, "bob")):
        with app.app_context():
            moderation.flag_post(session, flagger, "question", question.id, "spam", "")
        session.commit()
    with app.app_context():
        moderation.hide_post(session, elena, "answer", answer.id, "spam")
        moderation.dismiss_flags(session, elena, "question", question.id)
        moderation.set_thread_state(session, elena, question.id, "locked", True)
        moderation.move_question(session, elena, question.id, "phones")
        moderation.suspend(session, elena, "bob", 7, "Posting the same link everywhere")
    session.commit()
    return elena, question, phones


def _audit_page(app, session, moderator, locale: str) -> str:
    moderator.locale = locale
    session.commit()
    client = sign_in(app.test_client(), moderator)
    response = client.get("/mod/audit")
    assert response.status_code == 200
    # names sit in <bdi> (isolated from the sentence's direction); the sentences are read without them
    return unescape(response.get_data(as_text=True).replace("<bdi>", "").replace("</bdi>", ""))


def test_the_audit_log_reads_as_english_sentences(app, session, logged):
    elena, question, _phones = logged
    page = _audit_page(app, session, elena, "en")
    assert "Elena hid an answer by Sam." in page and "spam" in page
    assert "Elena dismissed 2 flags on a question by Sam." in page
    assert f"Elena locked question #{question.id}." in page
    assert f"Elena moved question #{question.id} from Laptops to Phones." in page
    assert "Elena suspended bob until " in page
    assert '{"hidden": true}' not in page and "<code>post_hidden</code>" not in page


def test_the_audit_log_reads_as_greek_sentences(app, session, logged):
    elena, question, _phones = logged
    page = _audit_page(app, session, elena, "el")
    greek = catalogue("el")
    assert greek.get("%(actor)s hid an answer by %(author)s.").string % {"actor": "Elena", "author": "Sam"} in page
    locked = greek.get("%(actor)s locked question #%(id)s.").string % {"actor": "Elena", "id": question.id}
    assert locked in page
    flags = greek.get("%(actor)s dismissed %(num)d flag on a question by %(author)s.").string[1]
    assert flags % {"actor": "Elena", "num": 2, "author": "Sam"} in page
    assert "Elena hid an answer" not in page

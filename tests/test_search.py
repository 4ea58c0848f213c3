"""Search: kept in step through the outbox, ranks and filters, highlights, privacy, recovery, bad input.

The behaviour tests run on every backend available: Whoosh always, PostgreSQL full-text search on the
PostgreSQL leg."""

from __future__ import annotations

import re
import shutil
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from app.db import db, utcnow
from app.escalation import service as escalation
from app.forum.models import Question
from app.moderation import service as moderation
from app.reputation import service as reputation
from app.search import service as search
from app.search.backend import SearchQuery
from app.search.models import SearchOutbox
from tests.conftest import make_app, sign_in
from tests.factories import make_answer, make_board, make_question, make_user


def drain(app) -> int:
    return search.drain_app(app)


def find(app, session, text: str = "", **filters) -> list[str]:
    found = search.search(session, app.extensions["agora_search"], SearchQuery(text=text, **filters))
    session.rollback()
    return [question.title for question, _hit in found.questions]


@pytest.fixture
def forum_data(s):
    laptops, broadband = make_board(s, "laptops", "Laptops"), make_board(s, "broadband", "Broadband")
    asker, helper = make_user(s, "asker"), make_user(s, "helper")
    battery = make_question(
        s,
        asker,
        laptops,
        title="Battery drains overnight on the Nimbus Book",
        body="Sleep mode does not hold the charge.",
        tags=("battery",),
    )
    mention = make_question(
        s,
        asker,
        broadband,
        title="Router lights blink amber all evening",
        body="Unrelated, but my battery backup beeps too.",
        tags=("router",),
    )
    wifi = make_question(
        s,
        asker,
        broadband,
        title="Wi-Fi keeps dropping after the firmware update",
        body="The Hub 3 restarts every hour.",
        tags=("wifi",),
    )
    answer = make_answer(s, helper, wifi, body="Roll back the firmware from the advanced settings page.")
    reputation.accept_answer(s, asker, wifi.id, answer.id)
    s.commit()
    return {"battery": battery, "mention": mention, "wifi": wifi, "answer": answer, "asker": asker, "helper": helper}


# --- kept in step -------------------------------------------------------------------------------


def test_nothing_is_searchable_before_the_outbox_is_applied_and_everything_after(search_app, s, forum_data):
    assert find(search_app, s, "battery") == []  # rows written, indexer not run: the "crash" case
    assert s.scalar(select(func.count()).select_from(SearchOutbox)) > 0
    assert drain(search_app) > 0
    assert s.scalar(select(func.count()).select_from(SearchOutbox)) == 0
    assert forum_data["battery"].title in find(search_app, s, "battery")


def test_posting_through_the_site_indexes_after_commit(search_app, s):
    make_board(s, "laptops", "Laptops")
    user = make_user(s, "writer")
    client = search_app.test_client()
    sign_in(client, user)
    response = client.form_post(
        "/ask",
        {
            "board": "laptops",
            "title": "Keyboard backlight flickers at night",
            "body": "Only when the lid is half closed.",
        },
    )
    assert response.status_code == 302
    assert s.scalar(select(func.count()).select_from(SearchOutbox)) == 0  # applied right after the commit
    assert find(search_app, s, "backlight") == ["Keyboard backlight flickers at night"]


def test_title_matches_rank_above_body_mentions(search_app, s, forum_data):
    drain(search_app)
    titles = find(search_app, s, "battery")
    assert titles[0] == forum_data["battery"].title and forum_data["mention"].title in titles


def test_filters_phrases_exclusion_and_field_syntax(search_app, s, forum_data):
    drain(search_app)
    assert find(search_app, s, "battery", board="broadband") == [forum_data["mention"].title]
    assert find(search_app, s, "", tag="wifi") == [forum_data["wifi"].title]
    assert find(search_app, s, "", solved=True) == [forum_data["wifi"].title]
    assert set(find(search_app, s, "", unanswered=True)) == {forum_data["battery"].title, forum_data["mention"].title}
    assert find(search_app, s, '"firmware update"') == [forum_data["wifi"].title]
    assert forum_data["mention"].title not in find(search_app, s, "battery -router")
    assert find(search_app, s, "tag:battery") == [forum_data["battery"].title]
    tomorrow = (utcnow() + timedelta(days=1)).date()
    assert find(search_app, s, "battery", date_from=tomorrow) == []
    assert find(search_app, s, "firmware", sort="newest") == [forum_data["wifi"].title]


def test_highlights_and_best_answer_snippet(search_app, s, forum_data):
    drain(search_app)
    found = search.search(s, search_app.extensions["agora_search"], SearchQuery(text="firmware"))
    ((_question, hit),) = found.questions
    assert "<mark>" in hit.title_html.lower() or "<mark>" in hit.snippet_html.lower()
    assert "advanced settings" in hit.answer_html


def test_accents_and_other_scripts(search_app, s):
    board, user = make_board(s, "lounge"), make_user(s)
    make_question(s, user, board, title="Ο φορητός δεν φορτίζει μετά την ενημέρωση", body="Καλημέρα σε όλους.")
    make_question(s, user, board, title="Podwójnie obciążona faktura za internet", body="Dostałem fakturę dwa razy.")
    make_question(s, user, board, title="Le café du coin a une connexion lente", body="Même le soir.")
    drain(search_app)
    assert len(find(search_app, s, "φορητός")) == 1
    assert len(find(search_app, s, "φορητος")) == 1  # without the accent
    assert len(find(search_app, s, "faktura")) == 1
    assert len(find(search_app, s, "cafe")) == 1


# --- privacy ------------------------------------------------------------------------------------


def test_hidden_and_withdrawn_questions_leave_the_index_at_once(search_app, s, forum_data):
    drain(search_app)
    moderator = make_user(s, "mod", role="moderator")
    moderation.hide_post(s, moderator, "question", forum_data["battery"].id, "Spam")
    escalation.escalate(s, moderator, forum_data["wifi"].id, escalation.EscalationDraft("billing", withdraw=True))
    s.commit()
    drain(search_app)
    assert find(search_app, s, "battery") == [forum_data["mention"].title]
    assert find(search_app, s, "firmware") == []
    moderation.restore_post(s, moderator, "question", forum_data["battery"].id)
    s.commit()
    drain(search_app)
    assert forum_data["battery"].title in find(search_app, s, "battery")


def test_a_stale_index_still_cannot_show_what_the_policy_hides(search_app, s, forum_data):
    drain(search_app)
    s.execute(update(Question).where(Question.id == forum_data["battery"].id).values(is_hidden=True))
    s.commit()  # no outbox row: the index still holds the document
    assert forum_data["battery"].title not in find(search_app, s, "battery")


def test_hidden_answers_leave_the_document(search_app, s, forum_data):
    drain(search_app)
    moderator = make_user(s, "mod", role="moderator")
    moderation.hide_post(s, moderator, "answer", forum_data["answer"].id, "Wrong advice")
    s.commit()
    drain(search_app)
    assert find(search_app, s, "advanced settings") == []


# --- similar questions --------------------------------------------------------------------------


def test_similar_questions_put_solved_first(search_app, s, forum_data):
    board = forum_data["wifi"].board_id
    other = make_question(
        s,
        forum_data["helper"],
        s.get(type(forum_data["wifi"].board), board) if False else make_board(s, "extra"),
        title="Wi-Fi dropping every evening",
        body="Still dropping.",
    )
    drain(search_app)
    ids = [q.id for q in search.similar(s, search_app.extensions["agora_search"], "wifi dropping")]
    assert ids[:2] == [forum_data["wifi"].id, other.id]
    response = search_app.test_client().get("/search/similar?title=wifi+dropping")
    assert response.status_code == 200 and response.json["questions"][0]["solved"] is True
    assert search_app.test_client().get("/search/similar?title=x").json == {"questions": []}


# --- keeping the index right --------------------------------------------------------------------


def test_a_locked_index_leaves_the_rows_for_the_next_writer(tmp_path, postgres_schema):
    app = make_app(tmp_path, postgres_schema)  # Whoosh
    with app.app_context():
        engine = db.engine
    session = Session(bind=engine.execution_options(isolation_level="AUTOCOMMIT"))
    make_question(session, make_user(session), make_board(session), title="Fan noise when charging the laptop")
    backend = app.extensions["agora_search"]
    writer = backend._open().writer()  # another process holds the write lock
    try:
        assert drain(app) == 0
        assert session.scalar(select(func.count()).select_from(SearchOutbox)) == 1
    finally:
        writer.cancel()
    assert drain(app) == 1
    assert find(app, session, "fan noise") == ["Fan noise when charging the laptop"]
    session.close()


def test_reindex_and_status_commands(tmp_path, postgres_schema):
    app = make_app(tmp_path, postgres_schema)
    with app.app_context():
        engine = db.engine
    session = Session(bind=engine.execution_options(isolation_level="AUTOCOMMIT"))
    user, board = make_user(session), make_board(session)
    for n in range(5):
        make_question(session, user, board, title=f"Docking station question number {n}")
    runner = app.test_cli_runner()
    status = runner.invoke(args=["search", "status"])
    assert "indexed documents: 0" in status.output and "pending outbox:    5" in status.output
    result = runner.invoke(args=["search", "reindex"])
    assert result.exit_code == 0, result.output
    assert "Indexed 5 public questions" in result.output
    status = runner.invoke(args=["search", "status"])
    assert "indexed documents: 5" in status.output and "pending outbox:    0" in status.output
    generations = [p for p in Path(app.config["SEARCH_INDEX_DIR"]).iterdir() if p.name.startswith("gen-")]
    assert len(generations) == 1  # the old generation was removed after the swap
    assert len(find(app, session, "docking")) == 5
    session.close()


def test_a_missing_index_is_rebuilt_in_the_background_not_a_500(tmp_path, postgres_schema):
    app = make_app(tmp_path, postgres_schema)
    with app.app_context():
        engine = db.engine
    session = Session(bind=engine.execution_options(isolation_level="AUTOCOMMIT"))
    make_question(session, make_user(session), make_board(session), title="Screen flickers on battery power")
    drain(app)
    shutil.rmtree(app.config["SEARCH_INDEX_DIR"])
    response = app.test_client().get("/search?q=flickers")
    assert response.status_code == 200
    assert "Search is being rebuilt" in response.get_data(as_text=True)
    assert app.extensions["agora_search_recovery"].wait(30)  # rebuilt in the background
    text = re.sub(r"<[^>]+>", "", app.test_client().get("/search?q=flickers").get_data(as_text=True))
    assert "Screen flickers on battery power" in text  # (without the highlight marks)
    session.close()


# --- the page and bad input ---------------------------------------------------------------------


def test_search_page_results_count_and_did_you_mean(search_app, s, forum_data):
    drain(search_app)
    client = search_app.test_client()
    page = client.get("/search?q=battery").get_data(as_text=True)
    assert "<bdi>2</bdi> questions found" in page and "<mark>" in page
    if search_app.config["SEARCH_BACKEND"] == "whoosh":
        page = client.get("/search?q=firmwre").get_data(as_text=True)
        assert "Showing results for <em>firmware</em>" in page and "<bdi>1</bdi> question found" in page
        page = client.get("/search?q=firmwre&exact=1").get_data(as_text=True)
        assert "Did you mean" in page and "firmware" in page
    assert "Type what you" in client.get("/search").get_data(as_text=True)
    assert 'name="q"' in client.get("/").get_data(as_text=True)  # a search box on every page


@pytest.mark.parametrize(
    ("url", "status", "text"),
    [
        ("/search?q=" + "x" * 10_000, 400, "too long"),
        ('/search?q="unbalanced quote', 200, ""),
        ("/search?q=((battery", 200, ""),
        ("/search?q=battery)", 200, ""),
        ("/search?q=battery&status=sideways", 400, "Unknown filter"),
        ("/search?q=battery&sort=random", 400, "Unknown sort"),
        ("/search?q=battery&from=yesterday", 400, "2026-11-26"),
        ("/search?q=battery&page=0", 400, "doesn&#39;t exist"),
        ("/search?q=battery&board=<script>", 400, "Unknown board"),
        ("/search?q=' OR 1=1; DROP TABLE questions; --", 200, "&#39; OR 1=1; DROP TABLE questions; --"),
        ("/search?q=<script>alert(1)</script>", 200, "&lt;script&gt;alert(1)&lt;/script&gt;"),
        ("/search?q=title:&board=", 200, ""),
    ],
)
def test_bad_queries_get_a_clear_page_never_a_500(search_app, s, forum_data, url, status, text):
    drain(search_app)
    response = search_app.test_client().get(url)
    body = response.get_data(as_text=True)
    assert response.status_code == status, body[:500]
    assert text in body
    assert "<script>alert(1)" not in body
    assert s.scalar(select(func.count()).select_from(Question)) == 3  # the table is still there


def test_hyphenated_words_match_their_joined_spelling(tmp_path, postgres_schema):
    app = make_app(tmp_path, postgres_schema)
    with app.app_context():
        engine = db.engine
    session = Session(bind=engine.execution_options(isolation_level="AUTOCOMMIT"))
    make_question(session, make_user(session), make_board(session), title="Wi-Fi drops when the e-mail app syncs")
    drain(app)
    assert len(find(app, session, "wifi")) == 1 and len(find(app, session, "email")) == 1
    found = search.search(session, app.extensions["agora_search"], SearchQuery(text="wifi drops"))
    assert found.result.suggestion is None  # something matched: no "did you mean"
    session.close()


def test_a_filtered_search_counts_only_what_the_filter_lets_through(search_app, s, forum_data):
    drain(search_app)
    backend = search_app.extensions["agora_search"]
    filtered = search.search(s, backend, SearchQuery(text="battery", board="broadband"))
    assert filtered.result.total == len(filtered.questions) == 1
    if search_app.config["SEARCH_BACKEND"] == "whoosh":
        suggestion = search.search(s, backend, SearchQuery(text="baterry")).result.suggestion
        assert suggestion == "battery"  # a whole word of the index, not a stem

"""Lists and search filter by the posts' language; the select is named in the reader's language and a code
that is no language is refused. Lists run on the test database (SQLite, or PostgreSQL on its leg); search on
every backend available (Whoosh, and PostgreSQL full-text search on the PostgreSQL leg)."""

from __future__ import annotations

import re

import pytest

from app.forum import service as forum
from app.search import service as search
from app.search.backend import SearchQuery
from tests.factories import make_board, make_user
from tests.pending_catalogues import catalogue


def _ask(session, author, board, title: str, language: str):
    question = forum.ask_question(
        session, author, forum.QuestionDraft(board.slug, title, "Router and Hub 3 questions.", (), language=language)
    )
    session.commit()
    return question


def _options(html: str, select_id: str) -> dict[str, str]:
    select = re.search(rf'<select id="{select_id}".*?</select>', html, re.S)
    assert select, select_id
    return dict(re.findall(r'<option value="(\w*)"[^>]*>([^<]+)</option>', select.group(0)))


def _titles(html: str) -> set[str]:
    return set(re.findall(r"Hub 3 \w+", html))


@pytest.fixture
def posts(session):
    board = make_board(session, "broadband", "Broadband")
    author = make_user(session, "writer")
    _ask(session, author, board, "Hub 3 english", "en")
    _ask(session, author, board, "Hub 3 ελληνικά", "el")
    _ask(session, author, board, "Hub 3 polski", "pl")
    _ask(session, author, board, "Hub 3 עברית", "he")
    return board


@pytest.mark.parametrize("path", ["/", "/questions", "/boards/broadband"])
def test_lists_show_only_the_chosen_language(client, posts, path):
    everything = client.get(path).get_data(as_text=True)
    assert _titles(everything) == {"Hub 3 english", "Hub 3 ελληνικά", "Hub 3 polski", "Hub 3 עברית"}
    greek = client.get(f"{path}?language=el")
    assert greek.status_code == 200
    assert _titles(greek.get_data(as_text=True)) == {"Hub 3 ελληνικά"}
    assert _titles(client.get(f"{path}?language=sq").get_data(as_text=True)) == set()


def test_the_filter_keeps_its_language_with_the_other_filters_and_the_pages(client, posts):
    html = client.get("/boards/broadband?language=he&filter=unanswered").get_data(as_text=True)
    assert _titles(html) == {"Hub 3 עברית"}
    assert 'href="/boards/broadband?language=he"' in html  # "All" keeps the language
    assert '<option value="he" selected>' in html


@pytest.mark.parametrize("bad", ["xx", "EL", "el'--", "<script>", "e" * 300])
def test_an_unknown_language_is_refused(client, posts, bad):
    for path in ("/", "/questions", "/boards/broadband", "/search"):
        response = client.get(path, query_string={"language": bad, "q": "hub"})
        assert response.status_code == 400, (path, bad)
        assert "<script>" not in response.get_data(as_text=True)


def test_the_select_is_labelled_and_its_languages_named_in_the_readers_language(app, session, client, posts):
    reader = make_user(session, "ioanna", locale="el")
    from tests.conftest import sign_in

    html = sign_in(client, reader).get("/questions").get_data(as_text=True)
    greek = catalogue("el")
    assert f'<label for="f-language">{greek.get("Written in").string}</label>' in html
    options = _options(html, "f-language")
    assert options[""] == greek.get("Any language").string
    assert (options["en"], options["el"], options["he"]) == ("Αγγλικά", "Ελληνικά", "Εβραϊκά")
    hebrew_reader = make_user(session, "dana", locale="he")
    html = sign_in(app.test_client(), hebrew_reader).get("/search").get_data(as_text=True)
    options = _options(html, "search-language")
    assert options["el"] == "יוונית" and options["en"] == "אנגלית"


def test_search_filters_by_language_on_every_backend(search_app, s):
    board = make_board(s, "broadband", "Broadband")
    author = make_user(s, "writer")
    posts = (("Hub 3 router english", "en"), ("Hub 3 router ελληνικά", "el"), ("Hub 3 router עברית", "he"))
    for title, language in posts:
        _ask(s, author, board, title, language)
    search.drain_app(search_app)
    backend = search_app.extensions["agora_search"]

    def titles(**filters) -> set[str]:
        found = search.search(s, backend, SearchQuery(text="router", **filters))
        s.rollback()
        return {question.title for question, _hit in found.questions}

    assert titles() == {"Hub 3 router english", "Hub 3 router ελληνικά", "Hub 3 router עברית"}
    assert titles(language="el") == {"Hub 3 router ελληνικά"}
    assert titles(language="he", sort="newest") == {"Hub 3 router עברית"}
    assert titles(language="sq") == set()
    client = search_app.test_client()
    html = client.get("/search", query_string={"q": "router", "language": "he"}).get_data(as_text=True)
    assert "עברית" in html and "ελληνικά" not in html and '<option value="he" selected>' in html


def test_hebrew_relative_times_read_as_a_hebrew_reader_writes_them(app, session, client):
    from datetime import timedelta

    from app.db import utcnow
    from app.web.locale import relative_time

    with app.test_request_context(headers={"Accept-Language": "he"}):
        assert relative_time(utcnow() - timedelta(hours=2, seconds=5)) == "לפני שעתיים"
        assert relative_time(utcnow() - timedelta(minutes=1, seconds=10)) == "לפני דקה"
        assert relative_time(utcnow() - timedelta(hours=5, seconds=5)) == "לפני 5 שעות"

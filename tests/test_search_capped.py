"""Counting stops at a cap: "21+ questions found" instead of walking every match; order and privacy unchanged.

Runs on every backend available (Whoosh always, PostgreSQL on its leg), with the cap made small."""

from __future__ import annotations

import re

import pytest

from app.moderation import service as moderation
from app.search import service as search
from app.search.backend import SearchQuery, counted, match_limit
from tests.conftest import sign_in
from tests.factories import make_board, make_question, make_user

MATCHES = 25  # questions with "printer" in the laptops board: more than a page of 20 plus one


@pytest.fixture
def printers(search_app, s):
    laptops, broadband = make_board(s, "laptops", "Laptops"), make_board(s, "broadband", "Broadband")
    asker = make_user(s, "asker")
    elsewhere = [make_question(s, asker, broadband, title=f"Router reboots, case {n}",
                               body="The printer on the network drops too.") for n in range(3)]
    titled = []
    for n in range(MATCHES):
        # Among the newest: PostgreSQL ranks the newest SEARCH_MATCH_CAP matches (Whoosh all of them), and a
        # title match must come first.
        if n in (20, 22, 24):
            titled.append(make_question(s, asker, laptops, title=f"Printer offline after sleep, case {n}",
                                        body="It shows as offline in the settings."))
        else:
            make_question(s, asker, laptops, title=f"Odd noise from the fan, case {n}",
                          body="Also my printer is slow, but that is another story.")
    search.drain_app(search_app)
    search_app.extensions["agora_search"].match_cap = 5
    return titled, elsewhere


def run(search_app, s, **wanted):
    found = search.search(s, search_app.extensions["agora_search"], SearchQuery(**wanted))
    s.rollback()
    return found


def test_limits_and_counts():
    assert match_limit(SearchQuery("x"), 1000) == 1000
    assert match_limit(SearchQuery("x", page=60), 1000) == 1201  # enough to know page 61 exists
    assert counted(1001, 1000) == (1000, True)
    assert counted(1000, 1000) == (1000, False)


def test_a_common_word_is_counted_up_to_the_cap_and_title_matches_still_come_first(search_app, s, printers):
    titled, _elsewhere = printers
    found = run(search_app, s, text="printer", per_page=5)
    # The cap, or one past the page: enough to know a next page exists.
    assert (found.result.total, found.result.capped) == (6, True)
    assert {q.id for q, _hit in found.questions[:3]} == {q.id for q in titled}
    # Page 2 counts far enough to know a third page follows.
    later = run(search_app, s, text="printer", per_page=5, page=2)
    assert later.result.total == 11 and later.result.capped and len(later.questions) == 5


def test_below_the_cap_the_count_is_exact_and_honours_filters_and_privacy(search_app, s, printers):
    _titled, elsewhere = printers
    search_app.extensions["agora_search"].match_cap = 1000
    assert (run(search_app, s, text="printer").result.total, run(search_app, s, text="printer").result.capped) == (
        MATCHES + 3, False)
    search_app.extensions["agora_search"].match_cap = 5
    board = run(search_app, s, text="printer", board="broadband")
    assert (board.result.total, board.result.capped) == (3, False)
    moderator = make_user(s, "mod", role="moderator")
    moderation.hide_post(s, moderator, "question", elsewhere[0].id, "Spam")
    s.commit()
    search.drain_app(search_app)
    board = run(search_app, s, text="printer", board="broadband")
    assert board.result.total == 2 and elsewhere[0].id not in [q.id for q, _hit in board.questions]


def test_the_results_page_and_the_api_say_there_are_more(search_app, s, printers):
    client = search_app.test_client()
    page = client.get("/search?q=printer").get_data(as_text=True)
    assert re.search(r"<bdi>21</bdi>\+ questions found", page)
    assert "Page 1 of" not in page and ">Page 1</span>" in page
    assert 'rel="next"' in page
    body = client.get("/api/v1/search?q=printer").get_json()
    assert body["total"] == 21 and body["total_capped"] is True
    # Not capped: the exact figure, as before.
    exact = client.get("/search?q=printer&board=broadband").get_data(as_text=True)
    assert re.search(r"<bdi>3</bdi> questions found", exact)
    assert client.get("/api/v1/search?q=printer&board=broadband").get_json()["total_capped"] is False


def test_the_count_is_translated(search_app, s, printers):
    reader = make_user(s, "reader", locale="pl")
    client = sign_in(search_app.test_client(), reader)
    page = client.get("/search?q=printer").get_data(as_text=True)
    assert re.search(r"Znaleziono ponad <bdi>21</bdi> pytań", page)

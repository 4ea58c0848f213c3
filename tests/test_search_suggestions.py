""" "Did you mean" and auto-correction: only ever a word that finds something the viewer may see, on every backend."""

from __future__ import annotations

import re

import pytest
from sqlalchemy.orm import Session

from app.escalation import service as escalation
from app.moderation import service as moderation
from app.search import service as search
from app.search.backend import SearchQuery
from tests.factories import make_answer, make_board, make_question, make_user

# Rare words planted where a visitor must never read them, each with a near miss a visitor might type.
WITHDRAWN_TITLE, WITHDRAWN_BODY = "zanzibarite", "quixotically"
HIDDEN_ANSWER, CASE_MESSAGE = "flumoxigate", "verbosulate"
NEAR_MISSES = {
    WITHDRAWN_TITLE: "zanizbarite",
    WITHDRAWN_BODY: "quixoitcally",
    HIDDEN_ANSWER: "flumxoigate",
    CASE_MESSAGE: "verbsoulate",
}


def suggestion(app, session: Session, text: str, **filters) -> str | None:
    found = search.search(session, app.extensions["agora_search"], SearchQuery(text=text, **filters))
    session.rollback()
    assert found.questions == [] or found.corrected_from, "a near miss of a private word found something"
    return found.result.suggestion


@pytest.fixture
def private_words(s):
    """A public question, plus the rare words of a withdrawn question, a hidden answer and a case message."""
    board, asker = make_board(s, "billing", "Billing"), make_user(s, "asker")
    moderator, staff = make_user(s, "mod", role="moderator"), make_user(s, "nina", role="staff")
    public = make_question(s, asker, board, title="Battery drains overnight", body="Sleep mode does not hold.")
    withdrawn = make_question(
        s, asker, board, title=f"Invoice {WITHDRAWN_TITLE} dispute", body=f"My account was {WITHDRAWN_BODY} closed."
    )
    answer = make_answer(s, make_user(s, "helper"), public, body=f"Call them and say {HIDDEN_ANSWER} twice.")
    return {"public": public, "withdrawn": withdrawn, "answer": answer, "moderator": moderator, "staff": staff}


def _withdraw(s, private_words) -> None:
    draft = escalation.EscalationDraft("billing", withdraw=True, message=f"Internal code {CASE_MESSAGE} applies.")
    case = escalation.escalate(s, private_words["moderator"], private_words["withdrawn"].id, draft)
    escalation.post_message(s, private_words["staff"], case.id, f"We checked {CASE_MESSAGE} for you.")
    s.commit()


def test_did_you_mean_never_offers_words_of_withdrawn_questions_hidden_answers_or_cases(search_app, s, private_words):
    search.drain_app(search_app)  # every word was public once, and the index saw it
    for word in (WITHDRAWN_TITLE, WITHDRAWN_BODY):  # (answers are searched, but not a source of suggestions)
        assert suggestion(search_app, s, NEAR_MISSES[word]) == word, "the near misses are close enough to correct"
    _withdraw(s, private_words)
    moderation.hide_post(s, private_words["moderator"], "answer", private_words["answer"].id, "Wrong advice")
    s.commit()
    search.drain_app(search_app)  # Whoosh keeps deleted documents' words in its segments until a merge
    for near_miss in NEAR_MISSES.values():
        assert suggestion(search_app, s, near_miss) is None, near_miss
    page = search_app.test_client().get(f"/search?q={NEAR_MISSES[WITHDRAWN_TITLE]}").get_data(as_text=True)
    assert WITHDRAWN_TITLE not in page and "Did you mean" not in page and "Showing results" not in page
    assert suggestion(search_app, s, "baterry") == "battery"  # public words are still offered


def test_a_stale_index_cannot_suggest_a_withdrawn_questions_words_either(search_app, s, private_words):
    search.drain_app(search_app)
    _withdraw(s, private_words)  # its outbox row is not applied yet: the index still holds the document
    assert suggestion(search_app, s, NEAR_MISSES[WITHDRAWN_TITLE]) is None
    assert suggestion(search_app, s, NEAR_MISSES[WITHDRAWN_BODY]) is None


def test_a_suggestion_is_offered_only_for_words_that_each_find_something_visible(search_app, s, private_words):
    # One public word and one private one: Whoosh's OR query would find the public question through the first.
    search.drain_app(search_app)
    _withdraw(s, private_words)
    assert suggestion(search_app, s, f"baterry {NEAR_MISSES[WITHDRAWN_TITLE]}") is None


# --- showing the suggestion's results -----------------------------------------------------------


def text_of(response) -> str:
    return re.sub(r"\s+", " ", response.get_data(as_text=True))


def test_a_misspelling_shows_the_suggestions_results_and_offers_the_exact_search(search_app, s, private_words):
    search.drain_app(search_app)
    client = search_app.test_client()
    response = client.get("/search?q=baterry")
    page = text_of(response)
    assert response.status_code == 200
    assert "Showing results for <em>battery</em> — search instead for" in page
    assert re.search(r'<a href="/search\?[^"]*q=baterry[^"]*exact=1[^"]*">baterry</a>', page.replace("&amp;", "&"))
    assert "Battery drains overnight" in re.sub(r"<[^>]+>", "", page) and "<bdi>1</bdi> question found" in page
    exact = text_of(client.get("/search?q=baterry&exact=1"))
    assert "Showing results" not in exact and "No questions match" in exact
    assert "Did you mean" in exact and "<em>battery</em>" in exact


def test_the_search_instead_link_escapes_what_was_typed(search_app, s, private_words):
    if search_app.config["SEARCH_BACKEND"] != "whoosh":
        pytest.skip("the page is the same on every backend (PostgreSQL reads the symbols as words)")
    search.drain_app(search_app)
    page = text_of(search_app.test_client().get("/search", query_string={"q": "baterry <&>"}))
    assert "Showing results for <em>battery</em>" in page
    assert "<&>" not in page and "baterry &lt;&amp;&gt;</a>" in page


def test_a_search_that_finds_something_is_never_corrected(search_app, s, private_words):
    search.drain_app(search_app)
    found = search.search(s, search_app.extensions["agora_search"], SearchQuery(text="battery"))
    assert found.corrected_from is None and found.result.suggestion is None and len(found.questions) == 1

"""The ask flow of issue 14: similar questions only when they are close, the private-help choice with its
suggestion, a posting limit that counts posts (not previews), and a withdrawn question's asker sent to the case."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from app.escalation import service as escalation
from app.forum.models import Question
from app.search import service as search
from tests.conftest import make_app
from tests.factories import make_board, make_question, make_user

BODY = "It stops at 80% every time, even overnight. I tried another charger."


@pytest.fixture
def board(session):
    return make_board(session, "laptops", "Laptops")


@pytest.fixture
def charging(app, session, board):
    question = make_question(session, make_user(session, "ana"), board, title="Nimbus Book 14 won't charge past 80%")
    search.drain_app(app)
    return question


def count(session) -> int:
    return session.scalar(select(func.count()).select_from(Question))


def test_similar_questions_stop_the_post_once_with_a_plain_message(client, session, board, charging, login_as):
    login_as(make_user(session, "sam"))
    data = {"board": "laptops", "title": "Nimbus Book 14 battery won't charge past 80 percent", "body": BODY}
    response = client.form_post("/ask", data)
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and count(session) == 1
    assert "These may already answer you — open one, or post your question" in page
    assert f'href="/questions/{charging.id}/' in page
    assert re.search(r'name="public_confirmed"[^>]*value="Post your question"', page)
    assert "Post publicly anyway" not in page  # not a billing matter: nothing to be "anyway" about
    assert "Nimbus Book 14 battery won&#39;t charge" in page or "Nimbus Book 14 battery won't charge" in page
    response = client.form_post("/ask", {**data, "public_confirmed": "Post your question"})
    assert response.status_code == 302 and count(session) == 2


def test_questions_the_script_already_showed_do_not_stop_the_post(client, session, board, charging, login_as):
    login_as(make_user(session, "sam"))
    data = {"board": "laptops", "title": "Nimbus Book 14 battery won't charge past 80 percent", "body": BODY}
    response = client.form_post("/ask", {**data, "similar_seen": f"{charging.id}"})
    assert response.status_code == 302 and count(session) == 2
    # Ids that were not shown (or junk) don't count as seen.
    for seen in ("999999", "<script>", "1," * 500):
        response = client.form_post("/ask", {**data, "title": data["title"] + "!", "similar_seen": seen})
        assert response.status_code in (200, 422) and count(session) == 2


def test_an_unrelated_question_posts_at_once(client, session, board, charging, login_as):
    login_as(make_user(session, "sam"))
    data = {"board": "laptops", "title": "Which laptop bag fits the Nimbus Book 16?", "body": BODY}
    response = client.form_post("/ask", data)
    assert response.status_code == 302 and count(session) == 2


def test_the_billing_suggestion_holds_the_private_choice_with_a_label(client, session, board, login_as):
    login_as(make_user(session, "sam"))
    page = client.get("/ask").get_data(as_text=True)
    box = page[page.index('id="private-help-suggestion"') :].split('<div class="live-region"')[0]
    # In the page from the start (the script only shows the box): a visible label and the button, together.
    assert '<label for="private-category">What is it about?</label>' in box
    assert 'name="ask_private"' in box and 'form="ask-form"' in box and "Ask our staff privately" in box
    data = {"board": "laptops", "title": "I was charged twice for my November bill", "body": BODY}
    response = client.form_post("/ask", data)
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and count(session) == 0
    box = page[page.index('id="private-help-suggestion"') :].split('<div class="live-region"')[0]
    assert "hidden" not in box.split(">")[0] and "Ask our staff privately" in box
    assert "Post publicly anyway" in page
    response = client.form_post("/ask", {**data, "ask_private": "1", "private_category": "account"})
    assert response.status_code == 302 and "/cases/" in response.headers["Location"]
    response = client.form_post("/ask", {**data, "ask_private": "1", "private_category": "<script>"})
    assert response.status_code == 422 and count(session) == 1


def test_preview_and_confirmation_do_not_count_against_a_newcomers_limit(tmp_path, postgres_schema):
    """Regression: 3 posts a minute for new accounts, with preview and the confirm step counted, ended a
    newcomer's first question in "Slow down"."""
    from app.db import db
    from tests.conftest import sign_in

    app = make_app(tmp_path, postgres_schema, RATELIMIT_ENABLED=True, NEW_ACCOUNT_POST_RATE_LIMIT="3 per minute")
    from tests.conftest import Client

    app.test_client_class = Client
    client = app.test_client()
    with app.app_context(), db.scope() as setup:
        make_board(setup, "laptops", "Laptops")
        newcomer = make_user(setup, "newcomer")
    sign_in(client, newcomer)
    data = {"board": "laptops", "title": "I was charged twice for my November bill", "body": BODY}
    for _ in range(3):
        assert client.form_post("/ask", {**data, "preview": "Preview"}).status_code == 200
    assert client.form_post("/ask", data).status_code == 200  # the billing suggestion step
    assert client.form_post("/ask", {**data, "title": "x"}).status_code == 422  # a refused form
    response = client.form_post("/ask", {**data, "public_confirmed": "Post publicly anyway"})
    assert response.status_code == 302  # the first question goes through
    for n in range(2):
        other = {**data, "title": f"Second question number {n} about my bill", "public_confirmed": "1"}
        assert client.form_post("/ask", other).status_code == 302
    assert (
        client.form_post(
            "/ask", {**data, "title": "A fourth question in a minute", "public_confirmed": "1"}
        ).status_code
        == 429
    )
    with app.app_context():
        db.engine.dispose()


def test_a_question_withdrawn_into_a_case_shows_its_asker_the_case(client, session, board, login_as):
    asker, moderator = make_user(session, "asker"), make_user(session, "mod", role="moderator")
    question = make_question(session, asker, board, title="Charged twice for my November bill")
    case = escalation.escalate(session, moderator, question.id, escalation.EscalationDraft("billing", withdraw=True))
    session.commit()
    login_as(asker)
    response = client.get(f"/questions/{question.id}/{question.slug}")
    assert response.status_code == 302 and response.headers["Location"].endswith(f"/cases/{case.id}")
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert question.title in page and "Get private help" not in page
    login_as(moderator)  # moderators still see the thread itself, with their tools
    page = client.get(f"/questions/{question.id}/{question.slug}").get_data(as_text=True)
    assert "withdrawn from public view" in page


def test_get_private_help_is_not_offered_once_a_case_is_open(client, session, board, login_as):
    asker, moderator = make_user(session, "asker"), make_user(session, "mod", role="moderator")
    question = make_question(session, asker, board, title="Charged twice for my November bill")
    login_as(asker)
    url = f"/questions/{question.id}/{question.slug}"
    assert "Get private help from staff" in client.get(url).get_data(as_text=True)
    case = escalation.escalate(session, moderator, question.id, escalation.EscalationDraft("billing"))
    session.commit()
    page = client.get(url).get_data(as_text=True)
    assert "Get private help from staff" not in page
    assert f'href="/cases/{case.id}"' in page and f"Your private case #{case.id}" in page
    assert (
        client.form_post(
            f"/questions/{question.id}/private-help", {"category": "billing", "message": "Please help"}
        ).status_code
        == 409
    )

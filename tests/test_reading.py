"""Reading and asking as issue 14 asks: the bugs found in a browser, each pinned by a test that failed before."""

from __future__ import annotations

import re
from html import unescape

import pytest

from app.moderation import service as moderation
from tests.factories import make_board, make_question, make_user


@pytest.fixture
def board(session):
    return make_board(session, "laptops", "Laptops")


@pytest.fixture
def asker(session):
    return make_user(session, "asker")


@pytest.fixture
def moderator(session):
    return make_user(session, "mod", role="moderator")


def test_a_pinned_question_is_listed_once_on_its_board(client, session, board, asker, moderator):
    pinned = make_question(session, asker, board, title="Read this first: how to ask well")
    other = make_question(session, asker, board, title="Fan runs loud after the update")
    moderation.set_thread_state(session, moderator, pinned.id, "pinned", True)
    session.commit()
    page = client.get("/boards/laptops").get_data(as_text=True)
    assert page.count(f'href="/questions/{pinned.id}/') == 1
    assert page.count(f'href="/questions/{other.id}/') == 1
    # Filtered lists show no pinned section, so there it stays among the others.
    unanswered = client.get("/boards/laptops?filter=unanswered").get_data(as_text=True)
    assert unanswered.count(f'href="/questions/{pinned.id}/') == 1


def test_the_profile_shows_recent_points_and_lists_by_date(client, session, board, asker):
    from datetime import timedelta

    from tests.factories import make_answer

    helper = make_user(session, "helper")
    newer = make_question(session, asker, board, title="Battery drains overnight while asleep")
    older = make_question(session, asker, board, title="Screen flickers at low brightness")
    older.created_at = newer.created_at - timedelta(days=30)  # imported later, asked earlier
    make_answer(session, helper, newer)
    session.commit()
    page = client.get("/users/asker").get_data(as_text=True)
    assert page.index("Battery drains overnight") < page.index("Screen flickers at low")
    helper_page = client.get("/users/helper").get_data(as_text=True)
    points = helper_page[helper_page.index('id="points-heading"') :]
    assert "Posted an answer" in points.split("</section>")[0]  # the heading has rows under it


def test_a_public_resolution_shows_once_on_the_question(client, session, board, asker, moderator):
    from app.escalation import service as escalation

    staff = make_user(session, "nina", role="staff")
    question = make_question(session, asker, board, title="Charged twice for my November bill")
    draft = escalation.EscalationDraft("billing", "normal", "Our billing team is looking into it.", withdraw=False)
    case = escalation.escalate(session, moderator, question.id, draft)
    session.commit()
    escalation.transition(session, staff, case.id, "start")
    escalation.transition(session, staff, case.id, "resolve", "Double charges are refunded within 3 working days.")
    session.commit()
    page = client.get(f"/questions/{question.id}/{question.slug}").get_data(as_text=True)
    assert page.count("Double charges are refunded within 3 working days.") == 1
    assert "Our billing team is looking into it." in page  # the escalation note still tells readers staff came


def test_a_suspended_member_is_not_offered_ask_a_question(client, session, board, asker, login_as):
    from app.db import utcnow

    make_question(session, asker, board)
    asker.suspended_at = utcnow()
    session.commit()
    login_as(asker)
    for url in ("/", "/questions", "/boards/laptops"):
        page = client.get(url).get_data(as_text=True)
        assert 'href="/ask' not in page, url
    assert client.get("/ask").status_code == 403


def test_links_in_feeds_and_mail_follow_the_port_the_site_runs_on(app, client, session, board, asker):
    """Regression: with PUBLIC_URL unset, feeds and e-mail linked to port 5000 whatever port the site ran on."""
    from sqlalchemy import select

    from app.db import db
    from app.forum import service as forum
    from app.notifications.models import EmailMessage

    question = make_question(session, asker, board, title="Fan runs loud after the update")
    feed = client.get("/feeds/boards/laptops.atom", base_url="http://127.0.0.1:8123").get_data(as_text=True)
    assert f"http://127.0.0.1:8123/questions/{question.id}" in feed and ":5000" not in feed
    helper = make_user(session, "helper")
    with app.test_request_context("/", base_url="http://127.0.0.1:8123"), db.scope() as work:
        forum.post_answer(work, work.get(type(helper), helper.id), question.id, forum.AnswerDraft("Clean the vents."))
        work.commit()
    mail = session.scalars(select(EmailMessage.body)).all()
    assert mail and all("http://127.0.0.1:8123/" in body and ":5000" not in body for body in mail)


def test_production_never_takes_the_public_address_from_the_request(tmp_path, postgres_schema):
    from tests.conftest import make_app

    app = make_app(tmp_path, postgres_schema, PUBLIC_URL_FROM_REQUEST=False)
    response = app.test_client().get("/feeds/boards/laptops.atom", base_url="http://evil.example")
    assert response.status_code == 404  # no such board; and with one, its links would not name evil.example
    from app.notifications import links

    with app.test_request_context("/", base_url="http://evil.example"):
        assert links.signer().base_url == links.FALLBACK_URL
    set_url = make_app(tmp_path / "set", postgres_schema, PUBLIC_URL="https://community.example/")
    with set_url.test_request_context("/", base_url="http://127.0.0.1:8123"):
        assert links.signer().base_url == "https://community.example"


def test_the_tag_page_is_titled_by_its_tag(client, session, board, asker):
    make_question(session, asker, board, title="Fan runs loud after the update", tags=("fan",))
    page = client.get("/questions?tag=fan").get_data(as_text=True)
    assert "<title>Questions tagged “fan”" in page and "<h1>Questions tagged “fan”</h1>" in page
    assert "<h1>All questions</h1>" in client.get("/questions").get_data(as_text=True)


def test_the_answer_form_does_not_repeat_your_answer(client, session, board, asker, login_as):
    question = make_question(session, asker, board)
    login_as(make_user(session, "helper"))
    page = client.get(f"/questions/{question.id}/{question.slug}").get_data(as_text=True)
    heading = re.search(r'<h2 id="your-answer">([^<]+)</h2>', page).group(1)
    label = re.search(r'<label for="body">([^<]+)</label>', page).group(1)
    assert heading != label


def test_the_moderation_queue_shows_posts_rendered_not_raw_markdown(client, session, board, asker, moderator, login_as):
    from app.moderation import service as moderation_service

    body = "Run **this** first:\n\n```\nsfc /scannow\n```\n\n<script>alert(1)</script>"
    question = make_question(session, asker, board, title="Update fails with error 0x80070005", body=body)
    reporter = make_user(session, "reporter")
    moderation_service.flag_post(session, reporter, "question", question.id, "spam", "")
    session.commit()
    login_as(moderator)
    page = client.get("/mod").get_data(as_text=True)
    assert "<strong>this</strong>" in page and "<code>sfc /scannow" in page
    assert "**this**" not in page and "```" not in page and "<script>alert(1)" not in page


def test_assigning_a_case_offers_the_staff_list(client, session, board, asker, moderator, login_as):
    from app.escalation import service as escalation
    from app.escalation.models import Case

    nina, omar = make_user(session, "nina", role="staff"), make_user(session, "omar", role="staff")
    omar.display_name = "Omar Haddad"
    question = make_question(session, asker, board, title="Charged twice for my November bill")
    case = escalation.escalate(session, moderator, question.id, escalation.EscalationDraft("billing"))
    session.commit()
    login_as(nina)
    page = client.get(f"/cases/{case.id}").get_data(as_text=True)
    select = page[page.index('<select id="assignee"') :].split("</select>")[0]
    assert '<option value="omar">Omar Haddad</option>' in select and 'value="me"' in select
    assert "asker" not in select and "mod" not in select  # only staff can work cases
    assert client.form_post(f"/cases/{case.id}/assign", {"assignee": "omar"}).status_code == 302
    session.expire_all()
    assert session.get(Case, case.id).assignee_id == omar.id
    response = client.form_post(f"/cases/{case.id}/assign", {"assignee": "asker"})
    assert response.status_code == 422 and "Choose one of the options offered." in response.get_data(as_text=True)
    inbox = client.get("/staff").get_data(as_text=True)
    assert '<option value="omar">Omar Haddad</option>' in inbox and 'placeholder="me, or a staff username"' not in inbox


def test_merging_answers_asks_for_confirmation(client, session, board, asker, moderator, login_as):
    from app.forum.models import Answer
    from tests.factories import make_answer

    original = make_question(session, asker, board, title="Fan runs loud after the update")
    copy = make_question(session, asker, board, title="Loud fan since the last update")
    answer = make_answer(session, make_user(session, "helper"), copy)
    moderation.close_as_duplicate(session, moderator, copy.id, original.id)
    session.commit()
    login_as(moderator)
    page = client.get(f"/mod/questions/{copy.id}").get_data(as_text=True)
    assert "can't be moved back" in unescape(page) and 'name="merge-confirm"' in page
    response = client.form_post(f"/mod/questions/{copy.id}/merge")
    assert response.status_code == 422 and "Tick the box to confirm" in response.get_data(as_text=True)
    session.expire_all()
    assert session.get(Answer, answer.id).question_id == copy.id  # nothing moved
    response = client.form_post(f"/mod/questions/{copy.id}/merge", {"merge-confirm": "y"})
    assert response.status_code == 302
    session.expire_all()
    assert session.get(Answer, answer.id).question_id == original.id


"""Browser tests for issue 14's ask flow, sorting and the bugs found in a browser (Chromium, live server)."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from playwright.sync_api import expect
from sqlalchemy import select, update

from app.db import utcnow
from app.escalation import service as escalation
from app.escalation.models import Case
from app.forum.models import Question
from app.moderation import service as moderation
from app.reputation import service as reputation
from app.search import service as search
from tests import factories
from tests.browser.support import LiveServer, Pages, Screenshot, Seeded, header_nav, sign_in

pytestmark = pytest.mark.browser

SIMILAR_TITLE = "Nimbus Book 14 battery won't charge past 80 percent"
DETAILS = "It stops at 80% every night since the firmware update. I tried another charger."


def test_ask_with_similar_questions_shown_while_typing_then_posted(
    live_server: LiveServer, seeded: Seeded, pages: Pages, shoot: Screenshot
) -> None:
    base = live_server.url
    search.drain_app(live_server.app)
    page = pages.new()
    sign_in(page, base, "helper")
    page.goto(f"{base}/ask")
    page.get_by_label("Board").select_option(label="Laptops")
    page.get_by_label("Title").fill(SIMILAR_TITLE)
    similar = page.locator("#similar-questions")
    expect(similar).to_be_visible()
    expect(similar.get_by_role("heading")).to_have_text(
        "These may already answer you — open one, or post your question"
    )
    expect(similar.get_by_role("link")).to_have_text([seeded.question.title])
    page.get_by_label("Details").fill(DETAILS)
    shoot(page, "14-ask-similar-live")
    # She saw them while typing: "Post your question" posts, with no silent second round.
    page.get_by_role("button", name="Post your question").click()
    expect(page).to_have_url(re.compile(rf"^{re.escape(base)}/questions/\d+/"))
    expect(page.get_by_role("heading", level=1)).to_have_text(SIMILAR_TITLE)


def test_ask_without_javascript_stops_once_for_similar_questions_with_a_plain_message(
    live_server: LiveServer, seeded: Seeded, pages: Pages, shoot: Screenshot
) -> None:
    base = live_server.url
    search.drain_app(live_server.app)
    page = pages.new(java_script_enabled=False)
    sign_in(page, base, "helper")
    page.goto(f"{base}/ask")
    page.get_by_label("Board").select_option(label="Laptops")
    page.get_by_label("Title").fill(SIMILAR_TITLE)
    page.get_by_label("Details").fill(DETAILS)
    page.get_by_role("button", name="Post your question").click()
    expect(page).to_have_url(f"{base}/ask")
    similar = page.locator("#similar-questions")
    expect(similar.get_by_role("heading")).to_have_text(
        "These may already answer you — open one, or post your question"
    )
    expect(similar.get_by_role("link")).to_have_text([seeded.question.title])
    expect(page.get_by_label("Title")).to_have_value(SIMILAR_TITLE)
    expect(page.get_by_role("button", name="Post publicly anyway")).to_have_count(0)
    shoot(page, "15-ask-similar-confirm-no-js")
    page.get_by_role("button", name="Post your question").click()
    expect(page).to_have_url(re.compile(rf"^{re.escape(base)}/questions/\d+/"))


def test_the_billing_suggestion_offers_the_private_choice_at_once(
    live_server: LiveServer, seeded: Seeded, pages: Pages, shoot: Screenshot
) -> None:
    base = live_server.url
    page = pages.new()
    sign_in(page, base, "asker")
    page.goto(f"{base}/ask")
    page.get_by_label("Board").select_option(label="Laptops")
    page.get_by_label("Title").fill("I was charged twice for my November bill")
    page.get_by_label("Details").fill("Two payments left my account for one bill. How do I get a refund?")
    suggestion = page.locator("#private-help-suggestion")
    expect(suggestion).to_be_visible()
    # The button and a labelled category come with the suggestion, before any submit.
    category = suggestion.get_by_label("What is it about?")
    expect(category).to_be_visible()
    expect(suggestion.get_by_role("button", name="Ask our staff privately")).to_be_visible()
    category.select_option(label="My account and sign-in")
    shoot(page, "16-ask-billing-suggestion")
    suggestion.get_by_role("button", name="Ask our staff privately").click()
    expect(page).to_have_url(re.compile(rf"^{re.escape(base)}/cases/\d+$"))
    with live_server.session() as session:
        case = session.scalar(select(Case))
        question = session.get(Question, case.question_id)
        assert case.category == "account" and question.is_private
    # Her question, opened again, shows her the case, not a public page with an answer box.
    page.goto(f"{base}/questions/{question.id}")
    expect(page).to_have_url(f"{base}/cases/{case.id}")
    expect(page.get_by_role("link", name="Get private help from staff")).to_have_count(0)
    shoot(page, "17-withdrawn-question-shows-the-case")


def test_sorting_lists_and_answers(live_server: LiveServer, seeded: Seeded, pages: Pages, shoot: Screenshot) -> None:
    base = live_server.url
    with live_server.session() as session:
        asker, helper = (
            session.get(type(seeded.asker), seeded.asker.id),
            session.get(type(seeded.helper), seeded.helper.id),
        )
        board = session.get(type(seeded.board), seeded.board.id)
        waiting = factories.make_question(session, asker, board, title="Keyboard backlight stays off after sleep")
        liked = factories.make_question(session, helper, board, title="How I doubled my battery life on the Book 14")
        session.execute(
            update(Question).where(Question.id == waiting.id).values(created_at=utcnow() - timedelta(days=40))
        )
        for n in range(2):
            reputation.give_kudo(session, factories.make_user(session, f"fan{n}"), "question", liked.id)
        question = session.get(Question, seeded.question.id)
        late = factories.make_answer(
            session, factories.make_user(session, "latecomer"), question, body="Reset the SMC."
        )
        reputation.give_kudo(session, asker, "answer", late.id)
        session.commit()
    page = pages.new()
    page.goto(f"{base}/boards/laptops")
    sort = page.get_by_role("navigation", name="Sort questions")
    sort.get_by_role("link", name="Most kudos").click()
    expect(page.locator(".question-list .q-title").first).to_have_text(liked.title)
    expect(sort.get_by_role("link", name="Most kudos")).to_have_attribute("aria-current", "page")
    sort.get_by_role("link", name="Unanswered, oldest first").click()
    expect(page.locator(".question-list .q-title")).to_have_text([waiting.title, liked.title])
    shoot(page, "18-board-sorted-unanswered")
    page.goto(f"{base}/questions/{seeded.question.id}")
    answers = page.locator("article.answer")
    expect(answers.first).to_contain_text("Reset the SMC.")  # most kudos first
    page.get_by_role("navigation", name="Sort answers").get_by_role("link", name="Oldest first").click()
    expect(answers.first).to_contain_text("Battery care")
    shoot(page, "19-answers-oldest-first")


def test_the_bugs_found_in_a_browser_stay_fixed(
    live_server: LiveServer, seeded: Seeded, pages: Pages, shoot: Screenshot
) -> None:
    base = live_server.url
    with live_server.session() as session:
        moderator = factories.make_user(session, "mod", role="moderator")
        factories.make_user(session, "nina", role="staff", display_name="Nina Staff")
        factories.make_user(session, "omar", role="staff", display_name="Omar Haddad")
        asker = session.get(type(seeded.asker), seeded.asker.id)
        board = session.get(type(seeded.board), seeded.board.id)
        pinned = factories.make_question(session, asker, board, title="Read this first: how to ask a good question")
        moderation.set_thread_state(session, moderator, pinned.id, "pinned", True)
        flagged = factories.make_question(
            session, asker, board, title="Driver update fails", body="Run **sfc** first.\n\n- one\n- two"
        )
        moderation.flag_post(session, factories.make_user(session, "reporter"), "question", flagged.id, "spam")
        billing = factories.make_question(session, asker, board, title="Charged twice for my November bill")
        case = escalation.escalate(session, moderator, billing.id, escalation.EscalationDraft("billing"))
        session.commit()

    page = pages.new()
    sign_in(page, base, "asker")
    # A pinned question is listed once on its board's first page.
    page.goto(f"{base}/boards/laptops")
    expect(page.get_by_role("link", name=pinned.title)).to_have_count(1)
    # "Sign out" is dressed like the header's other links.
    nav = header_nav(page)
    sign_out = nav.get_by_role("button", name="Sign out")
    link = nav.get_by_role("link", name="Notifications")
    style = "el => [getComputedStyle(el).textDecorationLine, getComputedStyle(el).fontWeight]"
    assert sign_out.evaluate(style) == link.evaluate(style)
    shoot(page, "20-board-pinned-once")
    # The tag page is titled by its tag.
    page.goto(f"{base}/questions?tag=battery")
    expect(page).to_have_title(re.compile("^Questions tagged “battery”"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Questions tagged “battery”")
    # The answer form does not say "Your answer" twice.
    page.goto(f"{base}/questions/{seeded.question.id}")
    expect(page.get_by_role("heading", name="Your answer")).to_have_count(0)
    expect(page.get_by_role("textbox", name="Your answer")).to_be_visible()
    # Profile: "Recent points" has points under it.
    page.goto(f"{base}/users/helper")
    points = page.locator("section", has=page.get_by_role("heading", name="Recent points"))
    expect(points.locator("tbody tr")).not_to_have_count(0)
    # A question with an open case offers its case, not "Get private help" again.
    page.goto(f"{base}/questions/{billing.id}")
    expect(page.get_by_role("link", name="Get private help from staff")).to_have_count(0)
    expect(page.get_by_role("link", name=f"Your private case #{case.id}")).to_be_visible()

    mod = pages.new()
    sign_in(mod, base, "mod")
    # The moderation queue shows the post rendered, not its Markdown.
    mod.goto(f"{base}/mod")
    quoted = mod.locator(f"#queue-question-{flagged.id} .quoted-post")
    expect(quoted.locator("strong")).to_have_text("sfc")
    expect(quoted.locator("li")).to_have_count(2)
    expect(quoted).not_to_contain_text("**")
    shoot(mod, "21-moderation-queue-rendered")

    staff = pages.new()
    sign_in(staff, base, "nina")
    staff.goto(f"{base}/cases/{case.id}")
    staff.get_by_label("Assign to").select_option(label="Omar Haddad")
    staff.get_by_role("button", name="Assign", exact=True).click()
    expect(staff.locator("body")).to_contain_text("assigned to Omar Haddad")
    shoot(staff, "22-case-assigned-from-the-staff-list")


def test_related_questions_beside_a_question(
    live_server: LiveServer, seeded: Seeded, pages: Pages, shoot: Screenshot
) -> None:
    base = live_server.url
    with live_server.session() as session:
        asker = session.get(type(seeded.asker), seeded.asker.id)
        board = session.get(type(seeded.board), seeded.board.id)
        other = factories.make_question(
            session, asker, board, title="Nimbus Book 14 stops charging at 80% since the firmware update"
        )
    search.drain_app(live_server.app)
    page = pages.new(java_script_enabled=False)  # rendered with the page: no script needed
    page.goto(f"{base}/questions/{seeded.question.id}")
    related = page.get_by_role("complementary", name="Related questions")
    expect(related.get_by_role("link")).to_have_text([other.title])
    shoot(page, "23-related-questions")
    related.get_by_role("link", name=other.title).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(other.title)
    # And back again: from the other question, the first one is related.
    expect(page.get_by_role("complementary", name="Related questions").get_by_role("link")).to_have_text(
        [seeded.question.title]
    )

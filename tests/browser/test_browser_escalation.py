"""Browser test: a customer posts a billing question with private data in public anyway, a moderator escalates it
to staff and withdraws it, staff work the private case with the customer, and the public sees only the outcome."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta

import pytest
from playwright.sync_api import Locator, Page, expect
from sqlalchemy import select

from app.escalation.models import Case, CaseMessage
from app.forum.models import Board, Question
from app.moderation.models import Flag
from tests import factories
from tests.browser.support import LiveServer, Pages, Screenshot, header_nav, sign_in

pytestmark = pytest.mark.browser

TITLE = "I was charged twice for my November bill"
CARD = "4111 1111 1111 1111"
EMAIL = "carla.customer@example.net"
BODY = (
    f"My card {CARD} was charged twice for the **November bill**, on the 3rd and again on the 4th.\n\n"
    f"Please write to me at {EMAIL} and refund the second charge."
)
PUBLIC_NOTE = "Our support team is looking into this with the member privately."
STAFF_REPLY = "Sorry about that, Carla. I can see two charges on the 3rd and 4th and I'm looking into it."
INTERNAL_NOTE = "NOTE-CANARY-7f3: the payment provider retried after a timeout; ticket PAY-1182."
CUSTOMER_REPLY = "Thanks! The second charge is still pending on my statement."
RESOLUTION = "Duplicate charges from the November bill run were refunded within 3 working days."


@dataclass
class Cast:
    """Ids of what the test seeds (ids, not instances: every check reads the database afresh)."""

    board_id: int
    customer_id: int
    moderator_id: int
    staff_id: int


def seed(live_server: LiveServer) -> Cast:
    with live_server.session() as session:
        board = factories.make_board(session, slug="billing-accounts", name="Billing & Accounts")
        customer = factories.make_user(session, "carla", display_name="Carla Customer")
        factories.make_user(session, "otto", display_name="Otto Other")
        moderator = factories.make_user(session, "mona", role="moderator", display_name="Mona Mod")
        staff = factories.make_user(session, "sam", role="staff", display_name="Sam Support")
        return Cast(board.id, customer.id, moderator.id, staff.id)


def flashes(page: Page) -> Locator:
    """The flashed messages (a live region; the ask page's suggestion is role="status" too)."""
    return page.get_by_role("status").and_(page.locator(".flashes"))


def case_status(page: Page) -> Locator:
    return page.locator(".case-meta .status")


def test_billing_question_escalated_worked_privately_and_resolved(
    live_server: LiveServer, pages: Pages, shoot: Screenshot
) -> None:
    base = live_server.url
    cast = seed(live_server)

    # 1-2. The customer asks in public; the live check and then the server suggest private help; they post anyway.
    carla = pages.new()
    sign_in(carla, base, "carla")
    carla.locator("header").get_by_role("link", name="Ask a question").click()
    expect(carla).to_have_url(f"{base}/ask")
    suggestion = carla.locator("#private-help-suggestion")
    expect(suggestion).to_be_hidden()
    carla.get_by_label("Board").select_option(label="Billing & Accounts")
    carla.get_by_label("Title").fill(TITLE)
    carla.get_by_label("Details").fill(BODY)
    expect(suggestion).to_be_visible()  # the script asked /ask/check while she typed
    expect(suggestion.get_by_role("heading")).to_have_text("This sounds like a billing or account matter")
    expect(suggestion.locator("[data-keywords]")).to_have_text("charged twice, bill, refund")
    expect(carla.locator("div[data-preview-body] strong")).to_have_text("November bill")  # the live preview, too
    shoot(carla, "60-esc-ask-live-suggestion")

    carla.get_by_role("button", name="Post your question").click()
    expect(carla).to_have_url(f"{base}/ask")  # not posted yet: the server's suggestion step
    expect(suggestion).to_be_visible()
    expect(suggestion.locator("[data-keywords]")).to_have_text("charged twice, bill, refund")
    expect(carla.get_by_role("button", name="Ask our staff privately")).to_be_visible()
    expect(carla.get_by_label("Title")).to_have_value(TITLE)
    expect(carla.get_by_label("Details")).to_have_value(BODY)
    shoot(carla, "61-esc-ask-server-suggestion")
    with live_server.session() as session:
        assert session.scalar(select(Question.id)) is None

    carla.get_by_role("button", name="Post publicly anyway").click()
    expect(carla).to_have_url(
        re.compile(rf"^{re.escape(base)}/questions/\d+/i-was-charged-twice-for-my-november-bill$")
    )
    question_url = carla.url
    question_id = int(question_url.split("/")[-2])
    expect(carla.get_by_role("heading", level=1)).to_have_text(TITLE)
    body = carla.locator("article.question .post-body")
    expect(body).to_contain_text("My card [card ending 1111] was charged twice")
    expect(body).to_contain_text("Please write to me at [e-mail hidden] and refund")
    expect(body.locator("strong")).to_have_text("November bill")
    html = carla.content()
    for secret in (CARD, CARD.replace(" ", ""), EMAIL):
        assert secret not in html
    shoot(carla, "62-esc-question-masked")
    with live_server.session() as session:
        question = session.get(Question, question_id)
        assert question is not None and not question.is_private and question.author_id == cast.customer_id
        assert CARD not in question.body_source and EMAIL not in question.body_source
        flags = session.execute(select(Flag.reason, Flag.status).where(Flag.question_id == question_id)).all()
        assert flags == [("private_data", "pending")]  # the listening rules told the moderators

    # 3. The moderator escalates it to staff, withdrawn from public view, with a public note.
    mona = pages.new()
    sign_in(mona, base, "mona")
    mona.goto(question_url)
    mona.locator("article.question").get_by_role("link", name="Escalate to staff").click()
    expect(mona).to_have_url(f"{base}/mod/questions/{question_id}/escalate")
    expect(mona.get_by_role("heading", level=1)).to_have_text("Escalate to staff")
    expect(mona.locator("p.lead")).to_contain_text("Opens a private case between Carla Customer and our support staff")
    mona.get_by_label("What is it about?").select_option(label="Billing and payments")
    mona.get_by_label("Priority").select_option(label="High")
    mona.get_by_label("Public note on the thread").fill(PUBLIC_NOTE)
    mona.get_by_label("Withdraw the question from public view").check()
    shoot(mona, "63-esc-escalate-form")
    mona.get_by_role("button", name="Open the case").click()

    expect(mona).to_have_url(re.compile(rf"^{re.escape(base)}/cases/\d+$"))
    case_id = int(mona.url.rsplit("/", 1)[1])
    case_url = f"{base}/cases/{case_id}"
    expect(flashes(mona)).to_have_text(f"Case #{case_id} opened for staff.")
    expect(mona.get_by_role("heading", level=1)).to_have_text(f"Case #{case_id}: {TITLE}")
    expect(case_status(mona)).to_have_text("new")
    expect(mona.locator(".case-meta .priority")).to_have_text("priority High")  # words, not the code
    expect(mona.locator(".case-meta")).to_contain_text("assigned to nobody yet")
    expect(mona.locator(".case-question .post-body")).to_contain_text("[card ending 1111]")
    shoot(mona, "64-esc-case-opened")
    with live_server.session() as session:
        case = session.get(Case, case_id)
        assert case is not None
        assert (case.question_id, case.customer_id, case.opened_by_id, case.source) == (
            question_id,
            cast.customer_id,
            cast.moderator_id,
            "moderator",
        )
        assert (case.category, case.priority, case.status, case.assignee_id) == ("billing", "high", "new", None)
        assert case.public_note == PUBLIC_NOTE and case.first_staff_response_at is None
        assert case.due_at - case.opened_at == timedelta(hours=4)  # first response, high priority
        question = session.get(Question, question_id)
        assert question is not None and question.is_private and question.support_note == PUBLIC_NOTE
        assert session.scalars(select(Flag.status).where(Flag.question_id == question_id)).all() == ["actioned"]
        board = session.get(Board, cast.board_id)
        assert board is not None and board.question_count == 0

    # A visitor: the placeholder with the public note, nothing of the question; it left the board and the home page.
    visitor = pages.new()
    visitor.goto(question_url)
    expect(visitor.get_by_role("heading", level=1)).to_have_text("This question continues in private")
    expect(visitor.locator(".staff-note")).to_contain_text(PUBLIC_NOTE)
    expect(visitor.locator("main")).not_to_contain_text("charged twice")
    html = visitor.content()
    for secret in (TITLE, "card ending", "[e-mail hidden]", "November bill", CARD, EMAIL):
        assert secret not in html
    shoot(visitor, "65-esc-visitor-placeholder")

    visitor.goto(f"{base}/boards/billing-accounts")
    expect(visitor.get_by_role("heading", level=1)).to_contain_text("Billing & Accounts")
    expect(visitor.get_by_role("link", name=TITLE)).to_have_count(0)
    assert TITLE not in visitor.content()
    shoot(visitor, "66-esc-visitor-board-without-it")
    visitor.goto(f"{base}/")
    expect(visitor.get_by_role("heading", name="Latest questions")).to_be_visible()
    expect(visitor.get_by_role("link", name=TITLE)).to_have_count(0)
    assert TITLE not in visitor.content()

    # 4. Staff: the inbox shows the new high-priority case with its due time; assign, reply, note, wait.
    sam = pages.new()
    sign_in(sam, base, "sam")
    inbox_link = header_nav(sam).get_by_role("link", name="Staff inbox")
    expect(inbox_link).to_be_visible()
    inbox_link.click()
    expect(sam).to_have_url(f"{base}/staff")
    expect(sam.get_by_role("heading", level=1)).to_have_text("Staff inbox")
    rows = sam.locator("table.inbox-table tbody tr")
    expect(rows).to_have_count(1)
    row = rows.filter(has=sam.get_by_role("link", name=f"#{case_id}", exact=True))
    cells = row.locator("td")
    expect(cells.nth(1)).to_contain_text(TITLE)
    expect(cells.nth(2)).to_have_text("Carla Customer")
    expect(cells.nth(3)).to_have_text("Billing and payments")
    expect(cells.nth(4)).to_have_text("High")
    expect(cells.nth(5)).to_have_text("new")
    expect(cells.nth(6)).to_have_text("—")
    expect(cells.nth(7)).not_to_contain_text("overdue")
    expect(cells.nth(7).locator("time")).to_have_text("in 4 hours")
    due_shown = datetime.fromisoformat(cells.nth(7).locator("time").get_attribute("datetime") or "")
    with live_server.session() as session:
        case = session.get(Case, case_id)
        assert case is not None and due_shown == case.due_at
    expect(sam.locator(".status-counts")).to_contain_text("new: 1")
    shoot(sam, "67-esc-staff-inbox")

    row.get_by_role("link", name=f"#{case_id}", exact=True).click()
    expect(sam).to_have_url(case_url)
    expect(sam.locator(".crumbs").get_by_role("link", name="Staff inbox")).to_be_visible()
    sam.get_by_role("button", name="Assign to me").click()
    expect(flashes(sam)).to_have_text("Assignment saved.")
    expect(sam.locator(".case-meta")).to_contain_text("assigned to Sam Support")

    sam.get_by_label("Your message").fill(STAFF_REPLY)
    sam.get_by_role("button", name="Send to the customer").click()
    expect(sam).to_have_url(f"{case_url}#conversation-end")
    expect(case_status(sam)).to_have_text("open")  # the first staff reply starts the work
    expect(sam.locator("article.message.is-staff")).to_contain_text(STAFF_REPLY)

    # The note's <label for="body"> names the reply box (both text areas have id="body"): find the note's own box.
    sam.locator("form.internal-form textarea[name=note-body]").fill(INTERNAL_NOTE)
    sam.get_by_role("button", name="Add internal note").click()
    expect(sam).to_have_url(f"{case_url}#conversation-end")
    note = sam.locator("article.message.is-internal")
    expect(note).to_contain_text(INTERNAL_NOTE)
    expect(note.locator(".internal-mark")).to_have_text("Internal note — the customer never sees this")

    sam.get_by_role("button", name="Wait for the customer").click()
    expect(flashes(sam)).to_have_text("Case updated.")
    expect(case_status(sam)).to_have_text("waiting on customer")
    expect(sam.locator(".timeline li")).to_contain_text(  # sentences, in order, not action codes
        [
            "opened the case (Billing and payments",
            "assigned the case to",
            "wrote a message.",
            "changed the status to open.",
            "added an internal note.",
            "changed the status to waiting on customer.",
        ]
    )
    shoot(sam, "68-esc-staff-case-worked")
    with live_server.session() as session:
        case = session.get(Case, case_id)
        assert case is not None
        assert case.status == "waiting_on_customer" and case.assignee_id == cast.staff_id
        assert case.first_staff_response_at is not None
        assert case.due_at - case.opened_at == timedelta(hours=24)  # now the resolution target
        messages = session.execute(
            select(CaseMessage.author_id, CaseMessage.is_internal, CaseMessage.body_source)
            .where(CaseMessage.case_id == case_id)
            .order_by(CaseMessage.id)
        ).all()
        assert messages == [(cast.staff_id, False, STAFF_REPLY), (cast.staff_id, True, INTERNAL_NOTE)]

    # 5. The customer: three notifications, the case through them, the reply but not the note; she answers.
    carla.goto(f"{base}/")
    bell = header_nav(carla).get_by_role("link", name=re.compile(r"^Notifications"))
    expect(bell).to_have_accessible_name("Notifications 3 unread")
    expect(bell.locator(".count")).to_have_text("3")
    bell.click()
    expect(carla).to_have_url(f"{base}/notifications")
    expect(carla.get_by_role("heading", level=1)).to_have_text("Notifications")
    expect(carla.locator("ul.notifications > li.is-unread button")).to_have_text(
        [  # newest first; a screen reader hears that each is unread
            f"Unread: Your private case #{case_id} is waiting for your reply.",
            f"Unread: Our staff replied on your private case #{case_id}.",
            f"Unread: Our support team opened private case #{case_id} about your question.",
        ]
    )
    shoot(carla, "69-esc-customer-notifications")
    carla.get_by_role("button", name=f"Unread: Our staff replied on your private case #{case_id}.").click()

    expect(carla).to_have_url(case_url)
    expect(carla.get_by_role("heading", level=1)).to_have_text(f"Case #{case_id}: {TITLE}")
    expect(carla.locator(".crumbs").get_by_role("link", name="My private cases")).to_be_visible()
    expect(case_status(carla)).to_have_text("waiting on customer")
    expect(carla.locator("article.message")).to_have_count(1)
    expect(carla.locator("article.message.is-staff")).to_contain_text(STAFF_REPLY)
    expect(carla.get_by_role("button", name="Add internal note")).to_have_count(0)
    expect(carla.locator(".timeline")).to_have_count(0)
    html = carla.content()
    for secret in ("NOTE-CANARY-7f3", "PAY-1182", "Internal note"):
        assert secret not in html
    shoot(carla, "70-esc-customer-case")

    carla.get_by_label("Your message").fill(CUSTOMER_REPLY)
    carla.get_by_role("button", name="Send to our staff").click()
    expect(carla).to_have_url(f"{case_url}#conversation-end")
    expect(case_status(carla)).to_have_text("open")
    expect(carla.locator("article.message")).to_have_count(2)
    expect(carla.locator("article.message").last).to_contain_text(CUSTOMER_REPLY)
    assert "NOTE-CANARY-7f3" not in carla.content()
    with live_server.session() as session:
        case = session.get(Case, case_id)
        assert case is not None and case.status == "open"
        internal = session.scalars(
            select(CaseMessage.is_internal).where(CaseMessage.case_id == case_id).order_by(CaseMessage.id)
        ).all()
        assert internal == [False, True, False]

    # 6. Staff resolve it with a public resolution; the withdrawn question's placeholder shows it.
    sam.goto(case_url)
    expect(case_status(sam)).to_have_text("open")
    expect(sam.locator("article.message").last).to_contain_text(CUSTOMER_REPLY)
    sam.get_by_label("Public resolution (optional)").fill(RESOLUTION)
    sam.get_by_role("button", name="Resolve", exact=True).click()
    expect(flashes(sam)).to_have_text("Case updated.")
    expect(case_status(sam)).to_have_text("resolved")
    expect(sam.get_by_role("button", name="Reopen")).to_be_visible()
    shoot(sam, "71-esc-staff-resolved")
    with live_server.session() as session:
        case = session.get(Case, case_id)
        assert case is not None
        assert case.status == "resolved" and case.resolved_at is not None and case.public_resolution == RESOLUTION
        question = session.get(Question, question_id)
        assert question is not None and question.is_private and question.support_note == RESOLUTION
        assert question.answer_count == 0  # withdrawn: no public staff answer, only the placeholder's note

    visitor.goto(question_url)
    expect(visitor.get_by_role("heading", level=1)).to_have_text("This question continues in private")
    expect(visitor.locator(".staff-note")).to_contain_text(RESOLUTION)
    assert TITLE not in visitor.content()
    shoot(visitor, "72-esc-visitor-resolution")

    header_nav(carla).get_by_role("link", name="My cases").click()
    expect(carla).to_have_url(f"{base}/cases")
    expect(carla.get_by_role("heading", level=1)).to_have_text("My private cases")
    mine = carla.locator("table.board-table tbody tr")
    expect(mine).to_have_count(1)
    expect(mine.locator("td").nth(1)).to_have_text(TITLE)
    expect(mine.locator(".status")).to_have_text("resolved")
    shoot(carla, "73-esc-customer-my-cases")
    mine.get_by_role("link", name=f"#{case_id}", exact=True).click()
    expect(carla).to_have_url(case_url)
    expect(case_status(carla)).to_have_text("resolved")
    expect(carla.get_by_role("button", name="Reopen")).to_be_visible()
    expect(carla.get_by_text("You can reopen a resolved case within 14 days.")).to_be_visible()
    assert "NOTE-CANARY-7f3" not in carla.content()
    shoot(carla, "74-esc-customer-resolved-case")

    # 7. Another member can't open the case: a 404, as if it did not exist (case ids are not secrets).
    otto = pages.new()
    sign_in(otto, base, "otto")
    with (
        otto.expect_response(lambda r: r.url == case_url) as refused,
        otto.expect_console_message(lambda m: m.type == "error" and "status of 404" in m.text) as logged,
    ):
        otto.goto(case_url)
    assert refused.value.status == 404
    # Chromium logs every 4xx document as a console error; this one refusal is the point, so it is no problem.
    pages.problems.remove(f"console error: {logged.value.text} ({logged.value.location.get('url')})")
    expect(otto.get_by_role("heading", level=1)).to_have_text("Page not found")
    expect(otto.locator("main")).to_contain_text("There is no such case.")
    html = otto.content()
    for secret in (TITLE, STAFF_REPLY, CUSTOMER_REPLY, "NOTE-CANARY-7f3"):
        assert secret not in html
    shoot(otto, "75-esc-other-member-404")
    otto.goto(f"{base}/cases")
    expect(otto.get_by_text("You have no private cases.")).to_be_visible()

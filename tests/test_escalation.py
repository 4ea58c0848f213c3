"""Escalation: the workflow table, opening cases three ways, the conversation, targets, the inbox."""

from __future__ import annotations

import itertools
from datetime import timedelta

import pytest
from sqlalchemy import select, update

from app.db import utcnow
from app.errors import Conflict, InvalidTransition, NotFound, PermissionDenied, ValidationFailed
from app.escalation import rules, workflow
from app.escalation import service as escalation
from app.escalation.models import Case, CaseMessage
from app.forum import service as forum
from app.forum.models import Answer, Board, Question
from app.moderation.models import ModerationAction
from app.notifications.models import Notification
from tests.factories import make_answer, make_board, make_question, make_user

# --- the pure workflow ------------------------------------------------------------------------

EXPECTED = {
    ("new", "start", "staff"): "open",
    ("new", "resolve", "staff"): "resolved",
    ("open", "wait", "staff"): "waiting_on_customer",
    ("open", "resolve", "staff"): "resolved",
    ("waiting_on_customer", "customer_reply", "customer"): "open",
    ("waiting_on_customer", "resume", "staff"): "open",
    ("waiting_on_customer", "resolve", "staff"): "resolved",
    ("resolved", "reopen", "staff"): "open",
    ("resolved", "reopen", "customer"): "open",
    ("resolved", "close", "staff"): "closed",
}


@pytest.mark.parametrize(
    ("state", "action", "role"), list(itertools.product(workflow.STATES, workflow.ACTIONS, ("staff", "customer", "x")))
)
def test_every_state_action_role_triple(state, action, role):
    expected = EXPECTED.get((state, action, role))
    if expected is None:
        with pytest.raises(workflow.IllegalTransition):
            workflow.next_state(state, action, role)
    else:
        assert workflow.next_state(state, action, role) == expected


def test_allowed_moves_are_what_next_state_accepts():
    for state, role in itertools.product(workflow.STATES, ("staff", "customer")):
        moves = workflow.allowed(state, role)
        assert {(m.action, m.to) for m in moves} == {
            (action, to) for (s, action, r), to in EXPECTED.items() if s == state and r == role
        }
    assert workflow.allowed("closed", "staff") == []


def test_targets_per_category_and_priority():
    assert rules.first_response_target("billing", "high") == timedelta(hours=4)
    assert rules.first_response_target("legal", "normal") == timedelta(hours=24)
    assert rules.resolution_target("billing", "urgent") == timedelta(hours=8)


# --- opening cases ------------------------------------------------------------------------------


@pytest.fixture
def people(session):
    board = make_board(session, "billing-accounts", "Billing & Accounts")
    customer, stranger = make_user(session, "customer"), make_user(session, "stranger")
    moderator = make_user(session, "mod", role="moderator")
    staff, staff2 = make_user(session, "nina", role="staff"), make_user(session, "omar", role="staff")
    question = make_question(session, customer, board, title="Charged twice for my November bill")
    return board, customer, stranger, moderator, staff, staff2, question


def test_moderator_escalates_and_withdraws(session, people):
    board, customer, _stranger, moderator, _staff, _staff2, question = people
    before = utcnow()
    draft = escalation.EscalationDraft("billing", "high", "Our billing team is on it.", withdraw=True)
    case = escalation.escalate(session, moderator, question.id, draft)
    session.commit()
    session.refresh(question)
    session.refresh(board)
    assert (case.status, case.customer_id, case.source) == ("new", customer.id, "moderator")
    assert before + timedelta(hours=4) <= case.due_at <= utcnow() + timedelta(hours=4)
    assert question.is_private and question.support_note == "Our billing team is on it."
    assert board.question_count == 0
    assert forum.list_questions(session).questions == []
    note = session.scalar(select(Notification).where(Notification.user_id == customer.id))
    assert note.kind == "case_opened" and note.link == f"/cases/{case.id}"
    assert (
        session.scalar(select(ModerationAction.action).where(ModerationAction.target_type == "case")) == "case_opened"
    )
    with pytest.raises(Conflict, match="already has an open case"):
        escalation.escalate(session, moderator, question.id, draft)


@pytest.mark.in_transaction
def test_escalation_refusals(session, people):
    _board, customer, _stranger, moderator, _staff, _staff2, question = people
    with pytest.raises(PermissionDenied):
        escalation.escalate(session, customer, question.id, escalation.EscalationDraft("billing"))
    with pytest.raises(NotFound):
        escalation.escalate(session, moderator, 424242, escalation.EscalationDraft("billing"))
    with pytest.raises(ValidationFailed):
        escalation.escalate(session, moderator, question.id, escalation.EscalationDraft("lottery"))
    with pytest.raises(ValidationFailed):
        escalation.escalate(session, moderator, question.id, escalation.EscalationDraft("billing", "whenever"))
    with pytest.raises(ValidationFailed):
        escalation.escalate(
            session, moderator, question.id, escalation.EscalationDraft("billing", public_note="x" * 501)
        )
    other = make_answer(session, moderator, make_question(session, customer, people[0]))
    with pytest.raises(NotFound):
        escalation.escalate(session, moderator, question.id, escalation.EscalationDraft("billing"), answer_id=other.id)


@pytest.mark.in_transaction
def test_customer_asks_for_private_help_on_their_own_question(session, people):
    _board, customer, stranger, _mod, _staff, _staff2, question = people
    with pytest.raises(PermissionDenied):
        escalation.request_private_help(
            session, stranger, question.id, escalation.EscalationDraft("billing", message="hi")
        )
    with pytest.raises(ValidationFailed):
        escalation.request_private_help(session, customer, question.id, escalation.EscalationDraft("billing"))
    case = escalation.request_private_help(
        session,
        customer,
        question.id,
        escalation.EscalationDraft("billing", message="My account number is in my email."),
    )
    session.commit()
    messages = session.scalars(select(CaseMessage).where(CaseMessage.case_id == case.id)).all()
    assert case.source == "customer" and [m.author_id for m in messages] == [customer.id]
    assert session.scalar(select(Notification).where(Notification.user_id == customer.id)) is None  # own action


def test_ask_privately_never_makes_the_question_public(session, people):
    board, customer, *_ = people
    draft = forum.QuestionDraft(board.slug, "Refund for the cancelled contract", "When will I get my refund?")
    case = escalation.ask_privately(session, customer, draft, "billing")
    session.commit()
    question = session.get(Question, case.question_id)
    assert question.is_private and case.source == "rule"
    assert question.title not in [q.title for q in forum.list_questions(session).questions]


# --- the conversation and the workflow ----------------------------------------------------------


@pytest.fixture
def case(session, people):
    moderator, question = people[3], people[6]
    case = escalation.escalate(session, moderator, question.id, escalation.EscalationDraft("billing", "high"))
    session.commit()
    return case


def test_staff_reply_starts_the_case_and_sets_first_response(session, people, case):
    _board, customer, _stranger, _mod, staff, _staff2, _question = people
    escalation.post_message(session, staff, case.id, "Hello! I can see the double charge.")
    session.commit()
    session.refresh(case)
    assert case.status == "open" and case.first_staff_response_at is not None
    assert case.due_at == case.opened_at + rules.resolution_target("billing", "high")
    kinds = list(session.scalars(select(Notification.kind).where(Notification.user_id == customer.id)))
    assert kinds == ["case_opened", "case_reply"]


@pytest.mark.in_transaction
def test_internal_notes_are_for_staff_only_by_default(session, people, case):
    _board, customer, _stranger, moderator, staff, _staff2, _question = people
    for outsider in (customer, moderator):  # moderators are often volunteer members
        with pytest.raises(PermissionDenied):
            escalation.post_message(session, outsider, case.id, "let me see notes", internal=True)
    escalation.post_message(session, staff, case.id, "Customer was rude earlier.", internal=True)
    escalation.post_message(session, staff, case.id, "Refund approved.")
    session.commit()
    seen_by_customer = [m.body_source for m in escalation.messages_for(session, customer, case)]
    seen_by_staff = [m.body_source for m in escalation.messages_for(session, staff, case)]
    assert seen_by_customer == ["Refund approved."]
    assert seen_by_staff == ["Customer was rude earlier.", "Refund approved."]
    assert escalation.messages_for(session, moderator, case) == []  # they see that the case exists, no more
    with pytest.raises(PermissionDenied):
        escalation.post_message(session, moderator, case.id, "I'm a moderator, let me help.")


def test_moderators_who_are_employees_read_cases_and_write_notes(app, session, people, case):
    _board, customer, _stranger, moderator, staff, _staff2, _question = people
    app.config["CASE_CONTENT_FOR_MODERATORS"] = True
    with app.app_context():
        escalation.post_message(session, moderator, case.id, "Customer was rude earlier.", internal=True)
        escalation.post_message(session, staff, case.id, "Refund approved.")
        session.commit()
        seen_by_moderator = [m.body_source for m in escalation.messages_for(session, moderator, case)]
        with pytest.raises(PermissionDenied):  # the conversation itself stays between customer and staff
            escalation.post_message(session, moderator, case.id, "Hello from a moderator.")
    assert seen_by_moderator == ["Customer was rude earlier.", "Refund approved."]
    assert [m.body_source for m in escalation.messages_for(session, customer, case)] == ["Refund approved."]


@pytest.mark.in_transaction
def test_strangers_get_not_found_for_a_case(session, people, case):
    _board, _customer, stranger, *_ = people
    for call in (
        lambda: escalation.access_case(session, stranger, case.id),
        lambda: escalation.post_message(session, stranger, case.id, "hello there"),
        lambda: escalation.transition(session, stranger, case.id, "resolve"),
    ):
        with pytest.raises(NotFound):
            call()


@pytest.mark.in_transaction
def test_the_full_workflow_and_illegal_moves(session, people, case):
    _board, customer, _stranger, moderator, staff, _staff2, question = people
    with pytest.raises(InvalidTransition):
        escalation.transition(session, staff, case.id, "close")  # new cases can't be closed
    with pytest.raises(PermissionDenied):
        escalation.transition(session, moderator, case.id, "start")  # the workflow belongs to staff
    with pytest.raises(InvalidTransition):
        escalation.transition(session, customer, case.id, "resolve")
    escalation.transition(session, staff, case.id, "start")
    escalation.transition(session, staff, case.id, "wait")
    session.commit()
    escalation.post_message(session, customer, case.id, "Here is the information you asked for.")
    session.commit()
    session.refresh(case)
    assert case.status == "open"  # the customer's reply resumes it
    escalation.transition(session, staff, case.id, "resolve", "Refunds for the double charge go out in 3 days.")
    session.commit()
    session.refresh(case)
    session.refresh(question)
    assert case.status == "resolved" and case.resolved_at is not None
    staff_answer = session.scalar(select(Answer).where(Answer.question_id == question.id, Answer.is_staff.is_(True)))
    assert staff_answer.body_source == "Refunds for the double charge go out in 3 days."
    assert question.support_note == staff_answer.body_source
    escalation.transition(session, customer, case.id, "reopen")
    escalation.transition(session, staff, case.id, "resolve")
    escalation.transition(session, staff, case.id, "close")
    session.commit()
    with pytest.raises(InvalidTransition, match="closed"):
        escalation.post_message(session, customer, case.id, "one more thing")
    actions = list(
        session.scalars(
            select(ModerationAction.action).where(
                ModerationAction.target_type == "case", ModerationAction.target_id == case.id
            )
        )
    )
    assert actions[0] == "case_opened" and "case_resolution_published" in actions and actions[-1] == "case_close"


@pytest.mark.in_transaction
def test_customer_reopen_window(session, people, case):
    _board, customer, _stranger, _mod, staff, _staff2, _question = people
    escalation.transition(session, staff, case.id, "resolve")
    session.commit()
    session.execute(update(Case).where(Case.id == case.id).values(resolved_at=utcnow() - timedelta(days=15)))
    session.commit()
    session.refresh(case)
    with pytest.raises(InvalidTransition, match="more than 14 days"):
        escalation.transition(session, customer, case.id, "reopen")
    with pytest.raises(InvalidTransition):
        escalation.post_message(session, customer, case.id, "Still broken")
    session.rollback()
    escalation.transition(session, staff, case.id, "reopen")  # staff may, any time
    session.commit()


@pytest.mark.in_transaction
def test_assignment_and_bulk_assignment(session, people, case):
    _board, customer, _stranger, moderator, staff, staff2, _question = people
    with pytest.raises(PermissionDenied):
        escalation.assign(session, moderator, case.id, "nina")
    with pytest.raises(ValidationFailed):
        escalation.assign(session, staff, case.id, "customer")  # only to staff
    escalation.assign(session, staff, case.id, "nina")
    session.commit()
    with pytest.raises(Conflict):
        escalation.assign(session, staff, case.id, "nina")
    second = escalation.escalate(
        session, moderator, make_question(session, customer, people[0]).id, escalation.EscalationDraft("account")
    )
    session.commit()
    assert escalation.bulk_assign(session, staff, [case.id, second.id], "omar") == 2
    session.commit()
    assert {c.assignee_id for c in session.scalars(select(Case))} == {staff2.id}
    with pytest.raises(ValidationFailed):
        escalation.bulk_assign(session, staff, [], "omar")


def test_inbox_filters_sort_and_overdue(app, session, people):
    board, customer, _stranger, moderator, staff, _staff2, _question = people
    cases = []
    for category, priority in (("billing", "low"), ("account", "urgent"), ("legal", "normal")):
        q = make_question(session, customer, board)
        cases.append(escalation.escalate(session, moderator, q.id, escalation.EscalationDraft(category, priority)))
    session.commit()
    session.execute(update(Case).where(Case.id == cases[2].id).values(due_at=utcnow() - timedelta(hours=1)))
    session.commit()
    inbox = escalation.inbox(session, staff, escalation.InboxFilter())
    assert [c.id for c in inbox.cases] == [cases[2].id, cases[1].id, cases[0].id]  # oldest due first
    assert inbox.counts["new"] == 3 and inbox.counts["overdue"] == 1
    assert [c.id for c in escalation.inbox(session, staff, escalation.InboxFilter(overdue=True)).cases] == [cases[2].id]
    assert [c.category for c in escalation.inbox(session, staff, escalation.InboxFilter(category="account")).cases] == [
        "account"
    ]
    assert escalation.inbox(session, staff, escalation.InboxFilter(assignee="me")).cases == []
    with pytest.raises(ValidationFailed):
        escalation.inbox(session, staff, escalation.InboxFilter(status="pondering"))
    with pytest.raises(PermissionDenied):
        escalation.inbox(session, moderator, escalation.InboxFilter())
    result = app.test_cli_runner().invoke(args=["cases", "overdue"])
    assert result.exit_code == 1 and f"#{cases[2].id}" in result.output and "legal/normal" in result.output


# --- through HTTP -------------------------------------------------------------------------------


def test_case_pages_and_ids_are_not_secrets(client, session, people, case, login_as):
    _board, customer, stranger, _mod, staff, *_ = people
    escalation.post_message(session, staff, case.id, "Private reply for the customer")
    escalation.post_message(session, staff, case.id, "INTERNAL-ONLY remark", internal=True)
    session.commit()
    login_as(stranger)
    response = client.get(f"/cases/{case.id}")
    assert response.status_code == 404 and "Private reply" not in response.get_data(as_text=True)
    assert client.form_post(f"/cases/{case.id}/messages", {"body": "hello"}).status_code == 404
    login_as(customer)
    page = client.get(f"/cases/{case.id}").get_data(as_text=True)
    assert "Private reply for the customer" in page and "INTERNAL-ONLY" not in page
    assert "Charged twice" in client.get("/cases").get_data(as_text=True)
    assert client.form_post(f"/cases/{case.id}/messages", {"body": ""}).status_code == 422
    assert client.form_post(f"/cases/{case.id}/messages", {"body": "Thanks, here are the details"}).status_code == 302
    assert client.form_post(f"/cases/{case.id}/resolve").status_code == 409
    login_as(staff)
    page = client.get(f"/cases/{case.id}").get_data(as_text=True)
    assert "INTERNAL-ONLY remark" in page and "case_opened" in page
    assert client.form_post(f"/cases/{case.id}/assign", {"assignee": "me"}).status_code == 302
    assert "Charged twice" in client.get("/staff").get_data(as_text=True)
    assert client.get("/staff?status=pondering").status_code == 404


def test_withdrawn_question_shows_the_public_a_placeholder(client, session, people, login_as):
    _board, customer, stranger, moderator, *_ = people
    question = people[6]
    escalation.escalate(
        session,
        moderator,
        question.id,
        escalation.EscalationDraft("billing", public_note="Staff are helping privately.", withdraw=True),
    )
    session.commit()
    url = f"/questions/{question.id}/{question.slug}"
    for viewer in (None, stranger):
        if viewer:
            login_as(viewer)
        page = client.get(url).get_data(as_text=True)
        assert "continues in private" in page and "Staff are helping privately." in page
        assert question.title not in page
        assert client.get(f"/questions/{question.id}/history").status_code == 404
    login_as(customer)
    page = client.get(url).get_data(as_text=True)
    assert question.title in page and "withdrawn from public view" in page


def test_ask_form_can_send_the_question_to_staff_privately(client, session, people, login_as):
    login_as(people[1])
    data = {
        "board": "billing-accounts",
        "title": "Refund for my cancelled contract",
        "body": "Where is my refund?",
        "ask_private": "1",
        "private_category": "billing",
    }
    response = client.form_post("/ask", data)
    assert response.status_code == 302 and "/cases/" in response.headers["Location"]
    question = session.scalar(select(Question).where(Question.title == data["title"]))
    assert question.is_private
    assert data["title"] not in client.get("/boards/billing-accounts").get_data(as_text=True)
    board = session.get(Board, question.board_id)
    session.refresh(board)
    assert board.question_count == 1  # only the public question from the fixture counts


def test_reading_notifications_changes_nothing_until_a_post(client, session, people, case, login_as):
    customer = people[1]
    login_as(customer)
    assert 'class="count"' in client.get("/").get_data(as_text=True)  # the bell shows the unread count
    page = client.get("/notifications").get_data(as_text=True)
    assert f"private case #{case.id}" in page and "is-unread" in page
    session.refresh(customer)
    assert customer.unread_notifications > 0  # a GET (even an <img> in someone's post) marks nothing read
    assert "is-unread" in client.get("/notifications").get_data(as_text=True)
    assert client.form_post("/notifications/read").status_code == 302
    session.refresh(customer)
    assert customer.unread_notifications == 0
    assert "is-unread" not in client.get("/notifications").get_data(as_text=True)
    assert 'class="count"' not in client.get("/").get_data(as_text=True)

"""Escalation: the workflow table, opening cases three ways, the conversation, targets, the inbox."""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import CheckConstraint, select, update

from app.accounts.models import User
from app.db import utcnow
from app.errors import Conflict, InvalidTransition, NotFound, PermissionDenied, ValidationFailed
from app.escalation import labels, rules, workflow
from app.escalation import service as escalation
from app.escalation.models import Case, CaseMessage
from app.forum import service as forum
from app.forum.models import Answer, Board, Question
from app.moderation.models import ModerationAction
from app.notifications.models import Notification
from tests.factories import make_answer, make_board, make_question, make_user

ROOT = Path(__file__).resolve().parent.parent

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


def test_every_state_action_category_and_priority_has_its_words():
    assert set(labels.STATE_LABELS) == set(workflow.STATES)
    assert set(labels.FILTER_LABELS) == set(escalation.STATUS_FILTERS)
    assert set(labels.ACTION_LABELS) == set(workflow.ACTIONS)
    staff_moves = {action for (_state, action), (_to, roles) in workflow.TRANSITIONS.items() if workflow.STAFF in roles}
    assert set(labels.STATUS_NEWS) == staff_moves
    assert set(labels.CATEGORY_LABELS) == set(rules.CATEGORIES)
    assert set(labels.PRIORITY_LABELS) == set(rules.PRIORITIES)
    assert set(workflow.OPEN_STATES) <= set(workflow.ACTIVE_STATES) <= set(workflow.STATES)


def test_case_constraints_are_built_from_the_workflow_and_rules_as_a_migration_wrote_them():
    """A new state, category or priority changes the constraint: this says a migration must follow."""
    migrations = " ".join(path.read_text() for path in (ROOT / "migrations" / "versions").glob("*.py"))
    checks = {c.name: str(c.sqltext) for c in Case.__table__.constraints if isinstance(c, CheckConstraint)}
    assert checks["ck_cases_status"] == "status IN ('new', 'open', 'waiting_on_customer', 'resolved', 'closed')"
    for text in checks.values():
        assert f'"{text}"' in migrations


# --- opening cases ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Cast:
    """Who takes part in a case: the customer who asked, a member with no part in it, a moderator, two staff."""

    board: Board
    customer: User
    stranger: User
    moderator: User
    staff: User  # "nina"
    staff2: User  # "omar"
    question: Question  # the customer's, on the board


@pytest.fixture
def cast(session) -> Cast:
    board = make_board(session, "billing-accounts", "Billing & Accounts")
    customer = make_user(session, "customer")
    return Cast(
        board=board,
        customer=customer,
        stranger=make_user(session, "stranger"),
        moderator=make_user(session, "mod", role="moderator"),
        staff=make_user(session, "nina", role="staff"),
        staff2=make_user(session, "omar", role="staff"),
        question=make_question(session, customer, board, title="Charged twice for my November bill"),
    )


def test_moderator_escalates_and_withdraws(session, cast):
    before = utcnow()
    draft = escalation.EscalationDraft("billing", "high", "Our billing team is on it.", withdraw=True)
    case = escalation.escalate(session, cast.moderator, cast.question.id, draft)
    session.commit()
    session.refresh(cast.question)
    session.refresh(cast.board)
    assert (case.status, case.customer_id, case.source) == ("new", cast.customer.id, "moderator")
    assert before + timedelta(hours=4) <= case.due_at <= utcnow() + timedelta(hours=4)
    assert cast.question.is_private and cast.question.support_note == "Our billing team is on it."
    assert cast.board.question_count == 0
    assert forum.list_questions(session).questions == []
    note = session.scalar(select(Notification).where(Notification.user_id == cast.customer.id))
    assert note.kind == "case_opened" and note.link == f"/cases/{case.id}"
    assert (
        session.scalar(select(ModerationAction.action).where(ModerationAction.target_type == "case")) == "case_opened"
    )
    with pytest.raises(Conflict, match="already has an open case"):
        escalation.escalate(session, cast.moderator, cast.question.id, draft)


@pytest.mark.in_transaction
def test_escalation_refusals(session, cast):
    with pytest.raises(PermissionDenied):
        escalation.escalate(session, cast.customer, cast.question.id, escalation.EscalationDraft("billing"))
    with pytest.raises(NotFound):
        escalation.escalate(session, cast.moderator, 424242, escalation.EscalationDraft("billing"))
    with pytest.raises(ValidationFailed):
        escalation.escalate(session, cast.moderator, cast.question.id, escalation.EscalationDraft("lottery"))
    with pytest.raises(ValidationFailed):
        escalation.escalate(
            session, cast.moderator, cast.question.id, escalation.EscalationDraft("billing", "whenever")
        )
    with pytest.raises(ValidationFailed):
        escalation.escalate(
            session, cast.moderator, cast.question.id, escalation.EscalationDraft("billing", public_note="x" * 501)
        )
    other = make_answer(session, cast.moderator, make_question(session, cast.customer, cast.board))
    with pytest.raises(NotFound):
        escalation.escalate(
            session, cast.moderator, cast.question.id, escalation.EscalationDraft("billing"), answer_id=other.id
        )


@pytest.mark.in_transaction
def test_customer_asks_for_private_help_on_their_own_question(session, cast):
    with pytest.raises(PermissionDenied):
        escalation.request_private_help(
            session, cast.stranger, cast.question.id, escalation.EscalationDraft("billing", message="hi")
        )
    with pytest.raises(ValidationFailed):
        escalation.request_private_help(session, cast.customer, cast.question.id, escalation.EscalationDraft("billing"))
    case = escalation.request_private_help(
        session,
        cast.customer,
        cast.question.id,
        escalation.EscalationDraft("billing", message="My account number is in my email."),
    )
    session.commit()
    messages = session.scalars(select(CaseMessage).where(CaseMessage.case_id == case.id)).all()
    assert case.source == "customer" and [m.author_id for m in messages] == [cast.customer.id]
    assert session.scalar(select(Notification).where(Notification.user_id == cast.customer.id)) is None  # own action


def test_ask_privately_never_makes_the_question_public(session, cast):
    draft = forum.QuestionDraft(cast.board.slug, "Refund for the cancelled contract", "When will I get my refund?")
    case = escalation.ask_privately(session, cast.customer, draft, "billing")
    session.commit()
    question = session.get(Question, case.question_id)
    assert question.is_private and case.source == "rule"
    assert question.title not in [q.title for q in forum.list_questions(session).questions]


# --- the conversation and the workflow ----------------------------------------------------------


@pytest.fixture
def case(session, cast):
    case = escalation.escalate(session, cast.moderator, cast.question.id, escalation.EscalationDraft("billing", "high"))
    session.commit()
    return case


def test_staff_reply_starts_the_case_and_sets_first_response(session, cast, case):
    escalation.post_message(session, cast.staff, case.id, "Hello! I can see the double charge.")
    session.commit()
    session.refresh(case)
    assert case.status == "open" and case.first_staff_response_at is not None
    assert case.due_at == case.opened_at + rules.resolution_target("billing", "high")
    kinds = list(session.scalars(select(Notification.kind).where(Notification.user_id == cast.customer.id)))
    assert kinds == ["case_opened", "case_reply"]


@pytest.mark.in_transaction
def test_internal_notes_are_for_staff_only_by_default(session, cast, case):
    for outsider in (cast.customer, cast.moderator):  # moderators are often volunteer members
        with pytest.raises(PermissionDenied):
            escalation.post_message(session, outsider, case.id, "let me see notes", internal=True)
    escalation.post_message(session, cast.staff, case.id, "Customer was rude earlier.", internal=True)
    escalation.post_message(session, cast.staff, case.id, "Refund approved.")
    session.commit()
    seen_by_customer = [m.body_source for m in escalation.messages_for(session, cast.customer, case)]
    seen_by_staff = [m.body_source for m in escalation.messages_for(session, cast.staff, case)]
    assert seen_by_customer == ["Refund approved."]
    assert seen_by_staff == ["Customer was rude earlier.", "Refund approved."]
    assert escalation.messages_for(session, cast.moderator, case) == []  # they see that the case exists, no more
    with pytest.raises(PermissionDenied):
        escalation.post_message(session, cast.moderator, case.id, "I'm a moderator, let me help.")


def test_moderators_who_are_employees_read_cases_and_write_notes(app, session, cast, case):
    app.config["CASE_CONTENT_FOR_MODERATORS"] = True
    with app.app_context():
        escalation.post_message(session, cast.moderator, case.id, "Customer was rude earlier.", internal=True)
        escalation.post_message(session, cast.staff, case.id, "Refund approved.")
        session.commit()
        seen_by_moderator = [m.body_source for m in escalation.messages_for(session, cast.moderator, case)]
        with pytest.raises(PermissionDenied):  # the conversation itself stays between customer and staff
            escalation.post_message(session, cast.moderator, case.id, "Hello from a moderator.")
    assert seen_by_moderator == ["Customer was rude earlier.", "Refund approved."]
    assert [m.body_source for m in escalation.messages_for(session, cast.customer, case)] == ["Refund approved."]


@pytest.mark.in_transaction
def test_strangers_get_not_found_for_a_case(session, cast, case):
    for call in (
        lambda: escalation.access_case(session, cast.stranger, case.id),
        lambda: escalation.post_message(session, cast.stranger, case.id, "hello there"),
        lambda: escalation.transition(session, cast.stranger, case.id, "resolve"),
    ):
        with pytest.raises(NotFound):
            call()


@pytest.mark.in_transaction
def test_the_full_workflow_and_illegal_moves(session, cast, case):
    with pytest.raises(InvalidTransition):
        escalation.transition(session, cast.staff, case.id, "close")  # new cases can't be closed
    with pytest.raises(PermissionDenied):
        escalation.transition(session, cast.moderator, case.id, "start")  # the workflow belongs to staff
    with pytest.raises(InvalidTransition):
        escalation.transition(session, cast.customer, case.id, "resolve")
    escalation.transition(session, cast.staff, case.id, "start")
    escalation.transition(session, cast.staff, case.id, "wait")
    session.commit()
    escalation.post_message(session, cast.customer, case.id, "Here is the information you asked for.")
    session.commit()
    session.refresh(case)
    assert case.status == "open"  # the customer's reply resumes it
    escalation.transition(session, cast.staff, case.id, "resolve", "Refunds for the double charge go out in 3 days.")
    session.commit()
    session.refresh(case)
    session.refresh(cast.question)
    assert case.status == "resolved" and case.resolved_at is not None
    staff_answer = session.scalar(
        select(Answer).where(Answer.question_id == cast.question.id, Answer.is_staff.is_(True))
    )
    assert staff_answer.body_source == "Refunds for the double charge go out in 3 days."
    assert cast.question.support_note != staff_answer.body_source  # said once, as the staff answer
    escalation.transition(session, cast.customer, case.id, "reopen")
    escalation.transition(session, cast.staff, case.id, "resolve")
    escalation.transition(session, cast.staff, case.id, "close")
    session.commit()
    with pytest.raises(InvalidTransition, match="closed"):
        escalation.post_message(session, cast.customer, case.id, "one more thing")
    actions = list(
        session.scalars(
            select(ModerationAction.action).where(
                ModerationAction.target_type == "case", ModerationAction.target_id == case.id
            )
        )
    )
    assert actions[0] == "case_opened" and "case_resolution_published" in actions and actions[-1] == "case_close"


@pytest.mark.in_transaction
def test_customer_reopen_window(session, cast, case):
    escalation.transition(session, cast.staff, case.id, "resolve")
    session.commit()
    session.execute(update(Case).where(Case.id == case.id).values(resolved_at=utcnow() - timedelta(days=15)))
    session.commit()
    session.refresh(case)
    with pytest.raises(InvalidTransition, match="more than 14 days"):
        escalation.transition(session, cast.customer, case.id, "reopen")
    with pytest.raises(InvalidTransition):
        escalation.post_message(session, cast.customer, case.id, "Still broken")
    session.rollback()
    escalation.transition(session, cast.staff, case.id, "reopen")  # staff may, any time
    session.commit()


@pytest.mark.in_transaction
def test_assignment_and_bulk_assignment(session, cast, case):
    with pytest.raises(PermissionDenied):
        escalation.assign(session, cast.moderator, case.id, "nina")
    with pytest.raises(ValidationFailed):
        escalation.assign(session, cast.staff, case.id, "customer")  # only to staff
    escalation.assign(session, cast.staff, case.id, "nina")
    session.commit()
    with pytest.raises(Conflict):
        escalation.assign(session, cast.staff, case.id, "nina")
    second = escalation.escalate(
        session,
        cast.moderator,
        make_question(session, cast.customer, cast.board).id,
        escalation.EscalationDraft("account"),
    )
    session.commit()
    assert escalation.bulk_assign(session, cast.staff, [case.id, second.id], "omar") == 2
    session.commit()
    assert {c.assignee_id for c in session.scalars(select(Case))} == {cast.staff2.id}
    with pytest.raises(ValidationFailed):
        escalation.bulk_assign(session, cast.staff, [], "omar")


def test_inbox_filters_sort_and_overdue(app, session, cast):
    cases = []
    for category, priority in (("billing", "low"), ("account", "urgent"), ("legal", "normal")):
        q = make_question(session, cast.customer, cast.board)
        cases.append(escalation.escalate(session, cast.moderator, q.id, escalation.EscalationDraft(category, priority)))
    session.commit()
    session.execute(update(Case).where(Case.id == cases[2].id).values(due_at=utcnow() - timedelta(hours=1)))
    session.commit()
    inbox = escalation.inbox(session, cast.staff, escalation.InboxFilter())
    assert [c.id for c in inbox.cases] == [cases[2].id, cases[1].id, cases[0].id]  # oldest due first
    assert inbox.counts["new"] == 3 and inbox.counts["overdue"] == 1
    assert [c.id for c in escalation.inbox(session, cast.staff, escalation.InboxFilter(overdue=True)).cases] == [
        cases[2].id
    ]
    assert [
        c.category for c in escalation.inbox(session, cast.staff, escalation.InboxFilter(category="account")).cases
    ] == ["account"]
    assert escalation.inbox(session, cast.staff, escalation.InboxFilter(assignee="me")).cases == []
    with pytest.raises(ValidationFailed):
        escalation.inbox(session, cast.staff, escalation.InboxFilter(status="pondering"))
    with pytest.raises(PermissionDenied):
        escalation.inbox(session, cast.moderator, escalation.InboxFilter())
    result = app.test_cli_runner().invoke(args=["cases", "overdue"])
    assert result.exit_code == 1 and f"#{cases[2].id}" in result.output and "legal/normal" in result.output


def test_staff_are_told_once_when_a_case_passes_its_response_time(app, session, cast):
    from app.jobs import tasks

    def check_overdue_cases(app) -> int:
        with app.app_context():  # as a job worker runs it
            return tasks.check_overdue_cases(app)

    assigned, waiting = (
        escalation.escalate(session, cast.moderator, make_question(session, cast.customer, cast.board).id,
                            escalation.EscalationDraft(category))
        for category in ("billing", "account")
    )  # fmt: skip
    session.commit()
    escalation.assign(session, cast.staff, assigned.id, "omar")
    session.commit()

    def told() -> list[tuple[int, str]]:
        notes = session.scalars(select(Notification).where(Notification.kind == "case_overdue"))
        return sorted((note.user_id, note.link) for note in notes)

    assert check_overdue_cases(app) == 0 and told() == []
    session.execute(update(Case).values(due_at=utcnow() - timedelta(minutes=5)))
    assert check_overdue_cases(app) == 2
    first = told()
    assert first == sorted(
        [(cast.staff2.id, f"/cases/{assigned.id}"), (cast.staff.id, f"/cases/{waiting.id}"),
         (cast.staff2.id, f"/cases/{waiting.id}")]
    )  # the assignee alone; every staff member while nobody has the case
    texts = session.scalars(select(Notification.text).where(Notification.kind == "case_overdue")).all()
    assert any(f"Case #{assigned.id} is past its response time" in text for text in texts)
    assert check_overdue_cases(app) == 2 and told() == first  # still overdue: not told again
    # Its clock restarted (a staff reply sets a new due time) and ran out again: told again.
    session.execute(
        update(Case).where(Case.id == assigned.id)
        .values(overdue_notified_at=utcnow() - timedelta(hours=2), due_at=utcnow() - timedelta(hours=1))
    )  # fmt: skip
    check_overdue_cases(app)
    assert len(told()) == len(first) + 1


# --- through HTTP -------------------------------------------------------------------------------


def test_case_pages_and_ids_are_not_secrets(client, session, cast, case, login_as):
    escalation.post_message(session, cast.staff, case.id, "Private reply for the customer")
    escalation.post_message(session, cast.staff, case.id, "INTERNAL-ONLY remark", internal=True)
    session.commit()
    login_as(cast.stranger)
    response = client.get(f"/cases/{case.id}")
    assert response.status_code == 404 and "Private reply" not in response.get_data(as_text=True)
    assert client.form_post(f"/cases/{case.id}/messages", {"body": "hello"}).status_code == 404
    login_as(cast.customer)
    page = client.get(f"/cases/{case.id}").get_data(as_text=True)
    assert "Private reply for the customer" in page and "INTERNAL-ONLY" not in page
    assert "Charged twice" in client.get("/cases").get_data(as_text=True)
    assert client.form_post(f"/cases/{case.id}/messages", {"body": ""}).status_code == 422
    assert client.form_post(f"/cases/{case.id}/messages", {"body": "Thanks, here are the details"}).status_code == 302
    assert client.form_post(f"/cases/{case.id}/resolve").status_code == 409
    login_as(cast.staff)
    page = client.get(f"/cases/{case.id}").get_data(as_text=True)
    assert "INTERNAL-ONLY remark" in page and "opened the case" in page and "case_opened" not in page
    assert client.form_post(f"/cases/{case.id}/assign", {"assignee": "me"}).status_code == 302
    for refused in ("x" * 31, "customer"):  # too long for the form; not staff, for the service
        response = client.form_post(f"/cases/{case.id}/assign", {"assignee": refused})
        assert response.status_code == 422 and "Assign to" in response.get_data(as_text=True)
    response = client.form_post(f"/cases/{case.id}/resolve", {"public_resolution": "x" * 2001})
    assert response.status_code == 422
    session.refresh(case)
    assert case.resolved_at is None
    assert "Charged twice" in client.get("/staff").get_data(as_text=True)
    assert client.get("/staff?status=pondering").status_code == 404


def test_withdrawn_question_shows_the_public_a_placeholder(client, session, cast, login_as):
    question = cast.question
    escalation.escalate(
        session,
        cast.moderator,
        question.id,
        escalation.EscalationDraft("billing", public_note="Staff are helping privately.", withdraw=True),
    )
    session.commit()
    url = f"/questions/{question.id}/{question.slug}"
    for viewer in (None, cast.stranger):
        if viewer:
            login_as(viewer)
        page = client.get(url).get_data(as_text=True)
        assert "continues in private" in page and "Staff are helping privately." in page
        assert question.title not in page
        assert client.get(f"/questions/{question.id}/history").status_code == 404
    login_as(cast.customer)
    response = client.get(url)  # its asker goes on in the case (issue 14), where the question is quoted
    assert response.status_code == 302 and "/cases/" in response.headers["Location"]
    assert question.title in client.get(response.headers["Location"]).get_data(as_text=True)


def test_ask_form_can_send_the_question_to_staff_privately(client, session, cast, login_as):
    login_as(cast.customer)
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


def test_reading_notifications_changes_nothing_until_a_post(client, session, cast, case, login_as):
    customer = cast.customer
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

"""Webhooks against a real HTTP receiver on 127.0.0.1: signed deliveries of each event, retries after failures and
timeouts, an endpoint switched off after repeated failures, the request-forgery guard, and the admin pages."""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
import time
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from sqlalchemy import select

from app.db import db, utcnow
from app.escalation import service as escalation
from app.escalation.models import Case
from app.moderation.models import ModerationAction
from app.notifications.models import Notification
from app.webhooks import service as webhooks
from app.webhooks.models import WebhookDelivery, WebhookEndpoint
from tests.conftest import make_app
from tests.factories import make_answer, make_board, make_question, make_user


class Receiver:
    """A help desk's webhook receiver: records each call; answers with the queued statuses (then 200)."""

    def __init__(self) -> None:
        self.calls: list[dict] = []
        self.statuses: list[int] = []
        self.delay = 0.0
        self.arrived = threading.Event()  # set when a call comes in, before the delay
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                receiver.arrived.set()
                time.sleep(receiver.delay)
                receiver.calls.append({"headers": dict(self.headers), "body": body, "path": self.path})
                status = receiver.statuses.pop(0) if receiver.statuses else 200
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *_args) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hooks/agora"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def events(self) -> list[str]:
        return [call["headers"]["X-Agora-Event"] for call in self.calls]

    def payloads(self, event: str) -> list[dict]:
        return [json.loads(c["body"]) for c in self.calls if c["headers"]["X-Agora-Event"] == event]


@pytest.fixture
def receiver():
    running = Receiver()
    yield running
    running.server.shutdown()


@pytest.fixture
def app(tmp_path, postgres_schema):
    # The tests' receiver listens on loopback, which only this setting lets a webhook call.
    app = make_app(tmp_path, postgres_schema, WEBHOOK_ALLOW_PRIVATE=True, WEBHOOK_TIMEOUT=0.5, WEBHOOK_DISABLE_AFTER=4)
    yield app
    with app.app_context():
        db.engine.dispose()


def add_endpoint(session, url, events=tuple(webhooks.EVENTS), staff=False, secret="s" * 32):
    admin = session.scalar(select(webhooks.User).where(webhooks.User.role == "admin")) or make_user(
        session, "admin", role="admin"
    )
    endpoint = webhooks.register(session, admin, webhooks.EndpointDraft(url, tuple(events), staff, secret))
    session.commit()
    return endpoint


def deliver(app, now=None) -> int:
    with app.app_context(), db.scope() as session:
        return webhooks.deliver_due(session, app.config, now=now)


def verify(call, secret: str) -> bool:
    """What the README shows a receiver doing: recompute the signature over timestamp and body."""
    timestamp = call["headers"]["X-Agora-Timestamp"]
    expected = hmac.new(secret.encode(), timestamp.encode() + b"." + call["body"], hashlib.sha256).hexdigest()
    return hmac.compare_digest(call["headers"]["X-Agora-Signature"], f"sha256={expected}")


@pytest.fixture
def case_world(session):
    board = make_board(session, "billing")
    customer = make_user(session, "customer", email="customer@example.com")
    question = make_question(session, customer, board, title="I was charged twice for my order")
    return customer, question, make_user(session, "mod", role="moderator"), make_user(session, "agent", role="staff")


def test_a_case_opened_reaches_the_help_desk_signed_and_with_content(app, session, receiver, case_world):
    _customer, question, moderator, _agent = case_world
    desk = add_endpoint(session, receiver.url, ["case.opened"], staff=True, secret="desk-secret-" + "x" * 20)
    public = add_endpoint(session, receiver.url.replace("agora", "public"), ["case.opened"], staff=False)
    escalation.escalate(session, moderator, question.id, escalation.EscalationDraft(category="billing"))
    session.commit()
    assert deliver(app) == 2
    by_path = {call["path"]: call for call in receiver.calls}
    desk_call, public_call = by_path["/hooks/agora"], by_path["/hooks/public"]
    assert verify(desk_call, desk.secret) and verify(public_call, public.secret)
    assert not verify(desk_call, public.secret)
    desk_body, public_body = json.loads(desk_call["body"]), json.loads(public_call["body"])
    assert desk_body["event"] == "case.opened" and desk_body["data"]["case"]["category"] == "billing"
    assert desk_body["data"]["customer"]["email"] == "customer@example.com"
    assert "customer" not in public_body["data"] and "question" not in public_body["data"]
    assert "customer@example.com" not in public_call["body"].decode()
    assert session.scalar(select(WebhookDelivery.status).where(WebhookDelivery.endpoint_id == desk.id)) == "delivered"


def test_customer_messages_status_changes_and_solutions_are_sent(app, client, session, receiver, case_world, login_as):
    customer, question, moderator, agent = case_world
    add_endpoint(session, receiver.url, staff=True)
    case = escalation.escalate(session, moderator, question.id, escalation.EscalationDraft(category="billing"))
    session.commit()
    login_as(customer)
    # Through the site: the request's commit delivers (inline in tests, a background thread in production).
    client.form_post(f"/cases/{case.id}/messages", {"body": "It was order 5521, charged on the 3rd."})
    assert "case.message" in receiver.events()
    message = receiver.payloads("case.message")[0]["data"]["message"]
    assert message["body"] == "It was order 5521, charged on the 3rd."
    escalation.transition(session, agent, case.id, "start")
    session.commit()
    deliver(app)
    change = receiver.payloads("case.status")[-1]["data"]["change"]
    assert change["to"] == "open" and change["action"] == "start"

    other = make_question(
        session, customer, make_board(session, "laptops"), title="Keyboard backlight stays off after sleep"
    )
    answer = make_answer(session, agent, other, "Press Fn+F5 twice; it is a known firmware quirk.")
    from app.reputation import service as reputation

    reputation.accept_answer(session, customer, other.id, answer.id)
    session.commit()
    deliver(app)
    solved = receiver.payloads("question.solved")[0]["data"]["question"]
    assert solved["id"] == other.id and solved["accepted_answer_id"] == answer.id


def test_failures_are_retried_with_growing_delays_then_delivered(app, session, receiver, case_world):
    _customer, question, moderator, _agent = case_world
    add_endpoint(session, receiver.url, ["case.opened"], staff=True)
    receiver.statuses = [500, 503]
    escalation.escalate(session, moderator, question.id, escalation.EscalationDraft(category="billing"))
    session.commit()
    assert deliver(app) == 0
    first = session.scalar(select(WebhookDelivery))
    assert first.status == "pending" and first.attempts == 1 and first.last_status == 500
    wait = first.next_attempt_at - utcnow()
    assert timedelta(seconds=20) < wait <= timedelta(seconds=30)
    assert deliver(app) == 0  # not due yet: nothing is sent
    assert len(receiver.calls) == 1
    assert deliver(app, now=utcnow() + timedelta(seconds=31)) == 0
    second = session.scalar(select(WebhookDelivery))
    session.refresh(second)
    assert second.attempts == 2 and second.last_status == 503
    assert timedelta(minutes=1) < second.next_attempt_at - utcnow() <= timedelta(minutes=2)
    assert deliver(app, now=utcnow() + timedelta(minutes=3)) == 1
    session.refresh(second)
    assert second.status == "delivered" and len(receiver.calls) == 3
    assert [webhooks.retry_delay(n) for n in (1, 2, 3)] == [
        timedelta(seconds=30),
        timedelta(minutes=2),
        timedelta(minutes=8),
    ]
    assert webhooks.retry_delay(20) == timedelta(hours=6)


def test_a_receiver_that_hangs_times_out_and_a_day_of_failures_gives_up(app, session, receiver, case_world):
    _customer, question, moderator, _agent = case_world
    add_endpoint(session, receiver.url, ["case.opened"], staff=True)
    receiver.delay = 1.5  # longer than WEBHOOK_TIMEOUT
    escalation.escalate(session, moderator, question.id, escalation.EscalationDraft(category="billing"))
    session.commit()
    started = time.monotonic()
    assert deliver(app) == 0
    assert time.monotonic() - started < 1.4
    delivery = session.scalar(select(WebhookDelivery))
    assert "timed out" in (delivery.last_error or "").lower() and delivery.status == "pending"
    receiver.delay = 0
    receiver.statuses = [500] * 10
    delivery.created_at = utcnow() - timedelta(hours=23, minutes=59)
    session.commit()
    deliver(app, now=utcnow() + timedelta(hours=1))
    session.refresh(delivery)
    assert delivery.status == "failed"


def test_an_endpoint_is_switched_off_after_repeated_failures_and_admins_are_told(app, session, receiver, case_world):
    _customer, question, moderator, agent = case_world
    endpoint = add_endpoint(session, receiver.url, ["case.opened", "case.status"], staff=True)
    receiver.statuses = [500] * 10
    escalation.escalate(session, moderator, question.id, escalation.EscalationDraft(category="billing"))
    session.commit()
    later = utcnow()
    for _ in range(4):
        later += timedelta(hours=7)
        deliver(app, now=later)
    session.refresh(endpoint)
    assert endpoint.active is False and endpoint.disabled_at is not None
    admin = session.scalar(select(webhooks.User).where(webhooks.User.username == "admin"))
    assert session.scalar(select(Notification.kind).where(Notification.user_id == admin.id)) == "webhook_disabled"
    calls = len(receiver.calls)
    escalation.transition(session, agent, session.scalar(select(Case.id)), "start")
    session.commit()
    deliver(app, now=later + timedelta(days=1))
    assert len(receiver.calls) == calls  # nothing more is sent to a switched-off endpoint


def test_private_and_loopback_addresses_are_refused_unless_allowed(tmp_path, postgres_schema, receiver):
    app = make_app(tmp_path, postgres_schema)  # the default: no calls into our own networks
    with app.app_context(), db.scope() as session:
        add_endpoint(session, receiver.url, ["case.opened"], staff=True)
        add_endpoint(session, receiver.url.replace("127.0.0.1", "localhost"), ["case.opened"], staff=True)
        add_endpoint(session, "http://169.254.169.254/latest/meta-data", ["case.opened"], staff=True)
        customer = make_user(session, "customer")
        question = make_question(session, customer, make_board(session, "billing"))
        moderator = make_user(session, "mod", role="moderator")
        escalation.escalate(session, moderator, question.id, escalation.EscalationDraft(category="billing"))
        session.commit()
        assert webhooks.deliver_due(session, app.config) == 0
        errors = list(session.scalars(select(WebhookDelivery.last_error)))
    assert receiver.calls == []
    assert len(errors) == 3 and all("private network" in error for error in errors)


def test_unanswered_questions_are_announced_once_by_the_cron_command(app, session, receiver):
    add_endpoint(session, receiver.url, ["question.unanswered"])
    asker = make_user(session, "asker")
    board = make_board(session, "laptops")
    waiting = make_question(session, asker, board, title="Dock does not charge the laptop")
    answered = make_question(session, asker, board, title="Second screen stays black")
    make_answer(session, make_user(session, "helper"), answered)
    for question in (waiting, answered):
        question.created_at = utcnow() - timedelta(hours=30)
    session.commit()
    for _ in range(2):
        result = app.test_cli_runner().invoke(args=["webhooks", "check-unanswered", "--hours", "24"])
        assert result.exit_code == 0, result.output
    deliver(app)
    sent = receiver.payloads("question.unanswered")
    assert [p["data"]["question"]["id"] for p in sent] == [waiting.id]


def test_admins_register_endpoints_read_the_log_and_redeliver(app, client, session, receiver, login_as, case_world):
    _customer, question, moderator, _agent = case_world
    admin = make_user(session, "boss", role="admin")
    login_as(moderator)
    assert client.get("/admin/webhooks").status_code == 403
    login_as(admin)
    bad = client.form_post("/admin/webhooks", {"url": "ftp://desk.example.com/x", "events": ["case.opened"]})
    assert bad.status_code == 422 and "ftp://desk.example.com/x" in bad.get_data(as_text=True)
    sneaky = client.form_post("/admin/webhooks", {"url": "https://u:p@desk.example.com/x", "events": ["case.opened"]})
    assert sneaky.status_code == 422
    none = client.form_post("/admin/webhooks", {"url": receiver.url})
    assert none.status_code == 422
    made = client.form_post("/admin/webhooks", {"url": receiver.url, "events": ["case.opened"], "staff": "y"})
    assert made.status_code == 200
    endpoint = session.scalar(select(WebhookEndpoint))
    assert endpoint.secret in made.get_data(as_text=True) and endpoint.staff
    assert endpoint.secret not in client.get("/admin/webhooks").get_data(as_text=True)  # shown once
    assert session.scalar(select(ModerationAction.action).where(ModerationAction.target_type == "webhook")) == (
        "webhook_added"
    )
    escalation.escalate(session, moderator, question.id, escalation.EscalationDraft(category="billing"))
    session.commit()
    deliver(app)
    page = client.get(f"/admin/webhooks/{endpoint.id}").get_data(as_text=True)
    delivery = session.scalar(select(WebhookDelivery))
    assert delivery.status == "delivered" and str(delivery.last_status) in page
    assert client.form_post(f"/admin/webhooks/{endpoint.id}/deliveries/{delivery.id}/redeliver").status_code == 302
    assert len(receiver.calls) == 2 and receiver.calls[0]["body"] == receiver.calls[1]["body"]
    assert client.form_post(f"/admin/webhooks/{endpoint.id}/deliveries/99999/redeliver").status_code == 404
    assert client.form_post(f"/admin/webhooks/{endpoint.id}/active", {"active": "0"}).status_code == 302
    session.refresh(endpoint)
    assert endpoint.active is False


def test_two_servers_delivering_at_once_send_each_event_once(app, session, receiver, case_world):
    """Every app server (and worker) delivers after its own commits: the one that leases a delivery sends it, and
    another that read it as due meanwhile skips it. (On PostgreSQL both sent it before the lease.)"""
    _customer, question, moderator, _agent = case_world
    add_endpoint(session, receiver.url, ["case.opened"], staff=True)
    escalation.escalate(session, moderator, question.id, escalation.EscalationDraft(category="billing"))
    session.commit()
    app.config["WEBHOOK_TIMEOUT"] = 10.0
    receiver.delay = 1.0  # the first server is still waiting for the help desk when the second looks
    first = threading.Thread(target=deliver, args=(app,))
    first.start()
    assert receiver.arrived.wait(timeout=10)
    assert deliver(app) == 0
    first.join(timeout=10)
    delivery = session.scalar(select(WebhookDelivery))
    assert len(receiver.calls) == 1 and delivery.status == "delivered" and delivery.attempts == 1


def test_a_lease_runs_from_its_claim_not_from_the_start_of_a_slow_batch(app, session, receiver, case_world):
    """A batch that began more than a lease ago (thirty slow help-desk calls) still leases each delivery it reaches
    for a whole LEASE from the claim: a lease already over would let the next sweep send it a second time."""
    _customer, question, moderator, _agent = case_world
    add_endpoint(session, receiver.url, ["case.opened"], staff=True)
    escalation.escalate(session, moderator, question.id, escalation.EscalationDraft(category="billing"))
    session.commit()
    delivery = session.scalar(select(WebhookDelivery))
    with app.app_context(), db.scope() as other:
        batch_began = webhooks.utcnow() - 2 * webhooks.LEASE
        assert webhooks._claim(other, delivery.id, batch_began + webhooks.LEASE * 3)
    session.refresh(delivery)
    assert delivery.next_attempt_at > webhooks.utcnow() + webhooks.LEASE / 2

"""Mail through a real SMTP server on 127.0.0.1: both parts and every header, the one-click unsubscribe,
STARTTLS and AUTH, retries after the server was stopped and started again, and bounces after 550s."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from email.utils import parsedate_to_datetime

import pytest
from sqlalchemy import select

from app.accounts.models import User
from app.db import db, utcnow
from app.notifications import mail
from app.notifications import service as notifications
from app.notifications.models import EmailMessage, MailBounce, Notification
from tests.conftest import make_app
from tests.factories import make_answer, make_board, make_question, make_user
from tests.smtp_server import SmtpServer, self_signed_certificate

DOMAIN = "community.nimbus.example"


@pytest.fixture
def server() -> Iterator[SmtpServer]:
    smtp = SmtpServer().start()
    yield smtp
    smtp.stop()


def mail_app(tmp_path, postgres_schema, smtp: SmtpServer, **settings):
    return make_app(
        tmp_path,
        postgres_schema,
        **{
            "MAIL_SERVER": "127.0.0.1",
            "MAIL_PORT": smtp.port,
            "MAIL_USE_TLS": False,
            "PUBLIC_URL": f"https://{DOMAIN}",
            "MAIL_FROM": "Nimbus Community <community@nimbus.example>",
            "MAIL_REPLY_DOMAIN": "reply.nimbus.example",
            "MAIL_TIMEOUT": 3,
            **settings,
        },
    )


@pytest.fixture
def app(tmp_path, postgres_schema, server):
    app = mail_app(tmp_path, postgres_schema, server)
    yield app
    with app.app_context():
        db.engine.dispose()


def deliver(app, now=None) -> int:
    with app.app_context(), db.scope() as session:
        return mail.deliver_pending(session, app.extensions["agora_mail_sender"], now=now)


def queue_case_mail(app, session, user: User, case_id: int = 7) -> EmailMessage:
    with app.app_context():
        notifications.notify(session, user.id, "case_reply", {"case": case_id}, f"/cases/{case_id}")
    session.commit()
    return session.scalars(select(EmailMessage).order_by(EmailMessage.id.desc())).first()


def row_message_id(session, row: EmailMessage) -> str:
    session.refresh(row)
    return row.message_id


def parts(message):
    assert message.get_content_type() == "multipart/alternative"
    text, html = message.get_body(("plain",)), message.get_body(("html",))
    return text.get_content().replace("\r\n", "\n"), html.get_content().replace("\r\n", "\n")


def test_a_notification_arrives_as_text_and_html_with_every_header(app, session, server):
    board = make_board(session, "laptops", "Laptops")
    asker = make_user(session, "eleni", locale="el")
    helper = make_user(session, "sam")
    question = make_question(session, asker, board, title="Ο ανεμιστήρας κάνει θόρυβο")
    with app.app_context():
        make_answer(session, helper, question)
    row = session.scalar(
        select(EmailMessage).where(EmailMessage.to_address == asker.email, EmailMessage.thread.is_not(None))
    )
    assert deliver(app) >= 1  # (and the members' first-post badges)
    [message] = [m for m in server.mailbox.messages if m["Message-ID"].strip() == row_message_id(session, row)]
    text, html = parts(message)
    assert "Ο ανεμιστήρας κάνει θόρυβο" in text and "Ο ανεμιστήρας κάνει θόρυβο" in html
    assert "answered" not in text and "Κοινότητα Nimbus" in html  # the recipient's language, in both parts
    assert '<html lang="el" dir="ltr">' in html and 'name="color-scheme" content="light dark"' in html
    assert "prefers-color-scheme: dark" in html
    assert not re.search(r"<img|<link|@import|url\(|src=", html)  # nothing remote: no images, fonts or sheets
    assert f'href="{row.unsubscribe_url}"' in html
    # Headers a provider expects.
    assert message["From"] == "Nimbus Community <community@nimbus.example>" and message["To"] == asker.email
    assert message["Subject"].startswith("Κοινότητα Nimbus: ")
    assert re.fullmatch(rf"<[^@<>]+@{re.escape(DOMAIN)}>", message["Message-ID"])
    assert abs(parsedate_to_datetime(message["Date"]) - utcnow()) < timedelta(minutes=1)
    assert message["List-Id"] == f"Nimbus Community <community.{DOMAIN}>"
    assert message["List-Unsubscribe"] == f"<{row.unsubscribe_url}>"
    assert row.unsubscribe_url.startswith(f"https://{DOMAIN}/unsubscribe/")
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert message["Auto-Submitted"] == "auto-generated"
    thread = f"<question-{question.id}@{DOMAIN}>"
    assert message["In-Reply-To"] == thread and message["References"] == thread
    assert message["Reply-To"] is None  # answers to a question are not taken by e-mail
    session.refresh(row)
    assert row.status == "sent" and row.message_id == message["Message-ID"] and row.attempts == 1


def test_one_click_unsubscribe_is_a_post_without_csrf_or_sign_in_and_a_get_only_asks(app, session, server):
    member = make_user(session, "marta", locale="pl")
    row = queue_case_mail(app, session, member)
    deliver(app)
    url = server.mailbox.messages[0]["List-Unsubscribe"].strip("<>")
    path = url.removeprefix(f"https://{DOMAIN}")
    client = app.test_client()  # no session, no CSRF token: what a mail provider's one-click POST sends
    assert client.get(path).status_code == 200
    session.refresh(member)
    assert member.email_pref == "immediately"  # a GET (a link scanner) changes nothing
    response = client.post(path, data={"List-Unsubscribe": "One-Click"})
    assert response.status_code == 200
    session.refresh(member)
    assert member.email_pref == "never"
    forged = path[:-3] + ("AAA" if not path.endswith("AAA") else "BBB")
    assert client.post(forged, data={"List-Unsubscribe": "One-Click"}).status_code == 400
    assert row.unsubscribe_url == url


def test_case_mail_threads_by_case_and_carries_a_signed_reply_to(app, session, server):
    member = make_user(session, "arben", locale="sq")
    first, second = queue_case_mail(app, session, member, 12), queue_case_mail(app, session, member, 12)
    deliver(app)
    one, two = server.mailbox.messages
    assert one["References"] == two["References"] == f"<case-12@{DOMAIN}>"
    assert one["Message-ID"] != two["Message-ID"]
    for message, row in ((one, first), (two, second)):
        assert re.fullmatch(rf"reply\+{row.id}-[0-9a-f]{{24}}@reply\.nimbus\.example", message["Reply-To"])
        assert len(message["Reply-To"].split("@")[0]) <= 64


def test_account_mail_gets_an_html_part_from_its_text_and_no_list_unsubscribe(app, session, server):
    """Account mail (a password reset) is queued as a subject and a text body, with no template of its own."""
    member = make_user(session, "dana", locale="he")
    body = "Hello dana,\n\nReset your password here:\nhttps://community.nimbus.example/reset/abc?x=1&y=<2>\n"
    session.add(
        EmailMessage(
            user_id=member.id,
            to_address=member.email,
            subject="Reset your password",
            body=body,
            kind="account",
            status="pending",
            created_at=utcnow(),
        )
    )
    session.commit()
    deliver(app)
    [message] = server.mailbox.messages
    text, html = parts(message)
    assert text.strip() == body.strip()
    assert '<html lang="he" dir="rtl">' in html
    assert '<a href="https://community.nimbus.example/reset/abc?x=1&amp;y=" ' in html  # a link, escaped
    assert "&lt;2&gt;" in html and "<2>" not in html  # the text's markup is shown, never obeyed
    for header in ("List-Unsubscribe", "List-Unsubscribe-Post", "List-Id", "Reply-To", "References"):
        assert message[header] is None
    assert message["Auto-Submitted"] == "auto-generated" and message["Message-ID"].endswith(f"@{DOMAIN}>")


def test_one_connection_carries_a_whole_batch(app, session, server):
    members = [make_user(session) for _ in range(3)]
    for member in members:
        queue_case_mail(app, session, member)
    assert deliver(app) == 3
    assert server.mailbox.greetings == 1
    assert sorted(rcpt[0] for _from, rcpt in server.mailbox.envelopes) == sorted(m.email for m in members)


def test_starttls_with_a_self_signed_certificate_and_auth(tmp_path, postgres_schema):
    cert, key = self_signed_certificate(tmp_path)
    smtp = SmtpServer(tls_files=(cert, key), login=("agora", "s3cret-pass")).start()
    try:
        app = mail_app(
            tmp_path,
            postgres_schema,
            smtp,
            MAIL_USE_TLS=True,
            MAIL_TLS_CA_FILE=str(cert),
            MAIL_USERNAME="agora",
            MAIL_PASSWORD="s3cret-pass",
        )
        with app.app_context(), db.scope() as session:
            member = session.get(User, make_user(session, "tls").id)
            notifications.notify(session, member.id, "case_reply", {"case": 3}, "/cases/3")
            session.commit()
        assert deliver(app) == 1
        [message] = smtp.mailbox.messages
        assert message["To"] == "tls@example.com" and parts(message)[0]
        # A wrong password is our mistake, not the address's: the mail waits for a retry, nothing bounces.
        (tmp_path / "wrong").mkdir()
        wrong = mail_app(
            tmp_path / "wrong",
            postgres_schema,
            smtp,
            MAIL_USE_TLS=True,
            MAIL_TLS_CA_FILE=str(cert),
            MAIL_USERNAME="agora",
            MAIL_PASSWORD="wrong",
        )
        with wrong.app_context(), db.scope() as session:
            member = make_user(session, "tls2")
            notifications.notify(session, member.id, "case_reply", {"case": 3}, "/cases/3")
            session.commit()
        assert deliver(wrong) == 0
        with wrong.app_context(), db.scope() as session:
            row = session.scalar(select(EmailMessage))
            assert row.status == "retrying" and row.last_error  # (535, or the server hangs up)
            assert session.scalar(select(MailBounce)) is None
        assert len(smtp.mailbox.messages) == 1
    finally:
        smtp.stop()


def test_an_untrusted_certificate_is_refused_and_the_mail_waits(tmp_path, postgres_schema):
    cert, key = self_signed_certificate(tmp_path)
    smtp = SmtpServer(tls_files=(cert, key)).start()
    try:
        app = mail_app(tmp_path, postgres_schema, smtp, MAIL_USE_TLS=True)  # the system's CAs: not ours
        with app.app_context(), db.scope() as session:
            member = make_user(session, "untrusting")
            notifications.notify(session, member.id, "case_reply", {"case": 3}, "/cases/3")
            session.commit()
        assert deliver(app) == 0 and smtp.mailbox.messages == []
        with app.app_context(), db.scope() as session:
            assert session.scalar(select(EmailMessage.status)) == "retrying"
    finally:
        smtp.stop()


def test_mail_queued_while_the_server_is_down_is_retried_with_growing_delays_and_arrives(app, session, server):
    member = make_user(session, "patient")
    server.stop()
    row = queue_case_mail(app, session, member)
    start = utcnow()
    assert deliver(app, now=start) == 0
    session.refresh(row)
    assert row.status == "retrying" and row.attempts == 1 and "refused" in row.last_error.lower()
    first_wait = row.next_attempt_at - start
    assert deliver(app, now=start + timedelta(seconds=1)) == 0  # not due yet: nothing tried
    session.refresh(row)
    assert row.attempts == 1
    assert deliver(app, now=row.next_attempt_at) == 0  # still down
    session.refresh(row)
    assert row.next_attempt_at - (start + first_wait) > first_wait  # the wait grows
    server.start()  # the same port, as after a restart
    assert deliver(app, now=row.next_attempt_at) == 1
    session.refresh(row)
    assert row.status == "sent" and len(server.mailbox.messages) == 1
    result = app.test_cli_runner().invoke(args=["mail", "status"])
    assert re.search(r"retrying: 0", result.output) and re.search(r"sent: 1", result.output)


def test_a_4xx_is_retried_and_given_up_only_after_the_retry_period(app, session, server):
    member = make_user(session, "greylisted")
    server.mailbox.refuse[member.email] = "451 4.7.1 Greylisted, try again later"
    row = queue_case_mail(app, session, member)
    deliver(app)
    session.refresh(row)
    assert row.status == "retrying" and row.last_error.startswith("451")
    assert deliver(app, now=row.created_at + timedelta(hours=47)) == 0
    session.refresh(row)
    assert row.status == "retrying"  # still trying after most of two days
    deliver(app, now=row.created_at + timedelta(hours=49))
    session.refresh(row)
    assert row.status == "failed" and session.scalar(select(MailBounce)) is None
    assert "failed: 1" in app.test_cli_runner().invoke(args=["mail", "status"]).output


def test_550s_mark_the_address_bouncing_hold_its_mail_and_tell_the_member(app, session, server, login_as):
    member = make_user(session, "gone", locale="pl")
    server.mailbox.refuse[member.email] = "550 5.1.1 <gone@example.com>: Recipient address rejected"
    for case_id in (1, 2, 3):
        queue_case_mail(app, session, member, case_id)
        deliver(app)
    assert server.mailbox.messages == []
    rows = session.scalars(select(EmailMessage).where(EmailMessage.to_address == member.email)).all()
    assert [row.status for row in rows[:3]] == ["bounced"] * 3 and rows[0].last_error.startswith("550")
    assert session.scalar(select(MailBounce.bounces)) == 3
    assert session.scalar(select(Notification.kind).where(Notification.kind == "mail_bouncing")) == "mail_bouncing"
    held = queue_case_mail(app, session, member, 4)
    greetings = server.mailbox.greetings
    deliver(app)
    session.refresh(held)
    assert held.status == "held" and server.mailbox.greetings - greetings <= 1 and server.mailbox.messages == []
    output = app.test_cli_runner().invoke(args=["mail", "status"]).output
    assert re.search(r"bouncing addresses: 1", output) and re.search(r"bounced: 3", output)
    # The member sees a notice in their language, and says the mailbox works again.
    client = login_as(member)
    page = client.get("/settings/notifications", headers={"Accept-Language": "pl"}).get_data(as_text=True)
    assert 'role="alert"' in page and member.email in page and "/settings/notifications/mail-works" in page
    assert client.post("/settings/notifications/mail-works").status_code == 400  # no CSRF token: refused
    assert session.scalar(select(MailBounce.bounces)) == 3
    assert client.form_post("/settings/notifications/mail-works").status_code == 302
    assert session.scalar(select(MailBounce)) is None
    del server.mailbox.refuse[member.email]
    queue_case_mail(app, session, member, 5)
    deliver(app)
    assert len(server.mailbox.messages) == 1


class _Killed(BaseException):
    """What a deliverer meets when its job's time runs out or a deploy stops it: no `except Exception` catches it."""


def test_a_deliverer_killed_mid_batch_leaves_only_the_unsent_mail_to_send_again(app, session):
    member = make_user(session, "ilse")
    for subject in ("first", "second"):
        session.add(
            EmailMessage(
                user_id=member.id, to_address=member.email, subject=subject, body="b", kind="account",
                status="pending", created_at=utcnow(),
            )
        )  # fmt: skip
    session.commit()
    sent = []

    class DiesAfterOne:
        @staticmethod
        @contextmanager
        def batch():
            def send(message, _language):
                if sent:
                    raise _Killed
                sent.append(message.subject)
                return "sent"

            yield send

    with pytest.raises(_Killed), app.app_context(), db.scope() as other:
        mail.deliver_pending(other, DiesAfterOne())
    rows = {row.subject: row for row in session.scalars(select(EmailMessage))}
    for row in rows.values():
        session.refresh(row)
    assert sent == ["first"] and rows["first"].status == "sent"  # recorded at once: never sent a second time
    assert rows["second"].status == "pending"  # claimed, not sent: due again when the lease ends
    later = utcnow() + mail.LEASE + timedelta(seconds=1)
    with app.app_context(), db.scope() as other:
        assert [m.subject for m in mail._claim(other, 10, later)[0]] == ["second"]

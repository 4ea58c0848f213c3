"""Replies by e-mail through `flask mail receive`: real-looking messages (multipart, quoted-printable, base64,
national charsets, encoded subjects, HTML-only) land on the right case as the right person; forged, expired,
reused, misaddressed, automatic, oversized and non-text mail is refused without posting anything."""

from __future__ import annotations

from datetime import timedelta
from email.message import EmailMessage as MimeMessage
from email.policy import SMTP
from email.utils import format_datetime

import pytest
from sqlalchemy import func, select

from app.db import db, utcnow
from app.escalation import service as escalation
from app.escalation.models import Case, CaseMessage
from app.forum.models import Answer
from app.notifications import links
from app.notifications import service as notifications
from app.notifications.models import EmailMessage, MailReply, Notification
from tests.conftest import make_app
from tests.factories import make_answer, make_board, make_question, make_user
from tests.test_mail_reply_parsing import GMAIL, OUTLOOK, REPLIES, THUNDERBIRD

REPLY_DOMAIN = "reply.nimbus.example"
CHARSETS = {"en": "us-ascii", "el": "iso-8859-7", "pl": "iso-8859-2", "sq": "utf-8", "he": "windows-1255"}
SUBJECTS = {
    "en": "Re: Nimbus Community: Our staff replied on your private case",
    "el": "Απ: Κοινότητα Nimbus: Η ομάδα μας απάντησε",
    "pl": "Odp: Społeczność Nimbus: odpowiedź w Twojej sprawie",
    "sq": "Re: Komuniteti Nimbus: stafi ynë u përgjigj",
    "he": "תשובה: קהילת Nimbus: הצוות שלנו ענה",
}


@pytest.fixture
def app(tmp_path, postgres_schema):
    app = make_app(tmp_path, postgres_schema, MAIL_REPLY_DOMAIN=REPLY_DOMAIN, MAIL_REPLY_MAX_BYTES=200_000)
    yield app
    with app.app_context():
        db.engine.dispose()


@pytest.fixture
def case_people(app, session):
    """A customer with a private case, the staff member assigned to it, and the staff reply they were mailed."""
    board = make_board(session, "billing", "Billing")
    customer = make_user(session, "eleni", locale="el")
    staff = make_user(session, "nina", role="staff")
    moderator = make_user(session, "mod", role="moderator")
    question = make_question(session, customer, board, title="Charged twice for the router rental")
    with app.app_context():
        case = escalation.escalate(session, moderator, question.id, escalation.EscalationDraft("billing"))
        escalation.assign(session, staff, case.id, staff.username)
        escalation.post_message(session, staff, case.id, "We found the double charge and refunded it.")
    session.commit()
    return customer, staff, case


def last_mail(session, user) -> EmailMessage:
    query = select(EmailMessage).where(EmailMessage.user_id == user.id, EmailMessage.reply_thread.is_not(None))
    return session.scalars(query.order_by(EmailMessage.id.desc())).first()


def reply_to(app, row: EmailMessage) -> str:
    with app.app_context():
        return f"reply+{links.signer().reply_token(row.id, row.user_id, row.reply_thread)}@{REPLY_DOMAIN}"


def reply(
    sender: str,
    to: str,
    text: str,
    *,
    subject="Re: your case",
    html: str | None = None,
    charset="utf-8",
    cte="quoted-printable",
    **headers,
) -> bytes:
    mime = MimeMessage(policy=SMTP)
    mime["From"], mime["To"], mime["Subject"] = sender, to, subject
    mime["Date"] = format_datetime(utcnow())
    mime["Message-ID"] = "<CAF=abc123@mail.gmail.com>"
    for name, value in headers.items():
        mime[name.replace("_", "-")] = value
    if text is not None:
        mime.set_content(text, charset=charset, cte=cte)
        if html is not None:
            mime.add_alternative(html, subtype="html", charset="utf-8", cte="base64")
    elif html is not None:
        mime.set_content(html, subtype="html", charset="utf-8", cte="base64")
    return bytes(mime)


def receive(app, raw: bytes):
    result = app.test_cli_runner().invoke(args=["mail", "receive"], input=raw)
    assert result.exit_code == 0, result.output
    return result.output


def messages(session, case: Case) -> list[CaseMessage]:
    return session.scalars(select(CaseMessage).where(CaseMessage.case_id == case.id).order_by(CaseMessage.id)).all()


@pytest.mark.parametrize("language", list(REPLIES))
def test_a_customers_reply_in_any_language_becomes_their_message_on_the_case(app, session, case_people, language):
    customer, staff, case = case_people
    customer.locale = language
    session.commit()
    row = last_mail(session, customer)
    quote = {"en": GMAIL, "el": THUNDERBIRD, "pl": GMAIL, "sq": OUTLOOK, "he": THUNDERBIRD}[language][language]
    body = f"{REPLIES[language]}\n\n{quote}\n> We found the double charge and refunded it.\n"
    raw = reply(
        f"Eleni <{customer.email.upper()}>",
        reply_to(app, row),
        body,
        subject=SUBJECTS[language],
        charset=CHARSETS[language] if language != "en" else "utf-8",
    )
    assert b"Content-Transfer-Encoding: quoted-printable" in raw  # encoded as clients do
    assert (b"=?utf-8?" in raw.split(b"\r\n\r\n")[0]) == (language != "en")  # an encoded-word subject
    assert "posted: /cases/" in receive(app, raw)
    last = messages(session, case)[-1]
    assert last.author_id == customer.id and last.body_source == REPLIES[language] and not last.is_internal
    session.refresh(case)
    assert case.status == "open"  # the same move as a reply on the web (waiting on customer -> open)
    note = session.scalar(select(Notification).where(Notification.user_id == staff.id).order_by(Notification.id.desc()))
    assert note.kind == "case_customer_reply"  # the assignee is told, as on the web
    assert session.scalar(select(MailReply.outcome).where(MailReply.email_message_id == row.id)) == "posted"


def test_staff_answer_the_customer_by_e_mail_and_an_html_only_reply_is_read(app, session, case_people):
    customer, staff, case = case_people
    customer_row = last_mail(session, customer)
    receive(app, reply(customer.email, reply_to(app, customer_row), "Thank you! Which invoice shows it?"))
    staff_row = last_mail(session, staff)
    assert staff_row.reply_thread == f"case:{case.id}"
    html = (
        "<html><body><div><p>Invoice 2026-11 &mdash; the corrected one is attached to your account.</p></div>"
        '<div id="divRplyFwdMsg"><b>From:</b> Nimbus Community<br><b>Sent:</b> Tuesday</div>'
        "<div>Thank you! Which invoice shows it?</div></body></html>"
    )
    receive(app, reply(f"Nina <{staff.email}>", reply_to(app, staff_row), None, html=html))
    last = messages(session, case)[-1]
    assert last.author_id == staff.id
    assert last.body_source == "Invoice 2026-11 — the corrected one is attached to your account."
    assert "<script" not in last.body_html
    told = session.scalar(
        select(func.count())
        .select_from(Notification)
        .where(Notification.user_id == customer.id, Notification.kind == "case_reply")
    )
    assert told == 2


def test_markup_in_a_reply_goes_through_the_one_sanitiser(app, session, case_people):
    customer, _staff, case = case_people
    body = "It says <script>alert(1)</script> and <img src=x onerror=alert(2)> on the page."
    receive(app, reply(customer.email, reply_to(app, last_mail(session, customer)), body))
    last = messages(session, case)[-1]
    assert last.body_source == body and "<script" not in last.body_html and "<img" not in last.body_html


def refused(session, reason: str) -> bool:
    return session.scalar(select(MailReply.reason).order_by(MailReply.id.desc())) == reason


def bounces(session, address: str) -> list[EmailMessage]:
    query = select(EmailMessage).where(EmailMessage.kind == "bounce", EmailMessage.to_address == address)
    return session.scalars(query).all()


def test_a_forged_token_posts_nothing_and_its_member_gets_one_short_bounce_in_their_language(app, session, case_people):
    customer, _staff, case = case_people
    before = len(messages(session, case))
    good = reply_to(app, last_mail(session, customer))
    token = good.split("+")[1].split("@")[0]
    forged_tokens = [
        token[:-1] + ("0" if token[-1] != "0" else "1"),  # one character of the signature changed
        f"{int(token.split('-')[0]) + 1}-{token.split('-')[1]}",  # another message's id with this signature
        "999999-0123456789abcdef01234567",
    ]
    for forged in forged_tokens:
        assert "refused: forged" in receive(app, reply(customer.email, f"reply+{forged}@{REPLY_DOMAIN}", "Hello"))
    assert len(messages(session, case)) == before
    [bounce] = bounces(session, customer.email)  # three refusals within the hour: one bounce
    assert bounce.unsubscribe_url is None and "Nimbus" in bounce.subject and bounce.body
    assert "reply" not in bounce.body  # Greek, not English


def test_a_token_is_good_for_one_reply_and_for_its_period(app, session, case_people):
    customer, _staff, case = case_people
    row = last_mail(session, customer)
    address = reply_to(app, row)
    assert "posted" in receive(app, reply(customer.email, address, "First reply, this one counts."))
    assert "refused: reused" in receive(app, reply(customer.email, address, "Second reply to the same e-mail."))
    assert messages(session, case)[-1].body_source == "First reply, this one counts."
    old = last_mail(session, customer)  # (the reply above notified nobody new for the customer)
    old.created_at = utcnow() - timedelta(days=31)
    session.commit()
    staff_row = last_mail(session, case_people[1])
    staff_row.created_at = utcnow() - timedelta(days=31)
    session.commit()
    assert "refused: expired" in receive(app, reply(case_people[1].email, reply_to(app, staff_row), "Too late now."))


def test_mail_from_another_address_than_the_tokens_owner_is_refused_without_backscatter(app, session, case_people):
    customer, _staff, case = case_people
    before = len(messages(session, case))
    stranger = "mallory@evil.example"
    assert "refused: wrong_sender" in receive(app, reply(stranger, reply_to(app, last_mail(session, customer)), "Hi"))
    assert len(messages(session, case)) == before and bounces(session, stranger) == []
    assert bounces(session, customer.email) == []  # the owner did nothing wrong


@pytest.mark.parametrize(
    "headers",
    [
        {"Auto_Submitted": "auto-replied"},
        {"Subject": "Automatic reply: Nimbus Community"},
        {"Subject": "Αυτόματη απάντηση: Εκτός γραφείου"},
        {"Subject": "Automatyczna odpowiedź: urlop"},
        {"X_Autoreply": "yes"},
        {"Precedence": "auto_reply"},
    ],
)
def test_auto_replies_are_refused_and_never_answered(app, session, case_people, headers):
    customer, _staff, case = case_people
    before = len(messages(session, case))
    subject = headers.pop("Subject", "Re: your case")
    raw = reply(
        customer.email,
        reply_to(app, last_mail(session, customer)),
        "I am out of the office until Monday.",
        subject=subject,
        **headers,
    )
    assert "refused: auto_reply" in receive(app, raw)
    assert len(messages(session, case)) == before and bounces(session, customer.email) == []


def test_oversized_and_non_text_mail_is_refused(app, session, case_people):
    customer, _staff, case = case_people
    before = len(messages(session, case))
    address = reply_to(app, last_mail(session, customer))
    big = reply(customer.email, address, "Photo of the invoice:\n" + "x" * 300_000)
    assert "refused: too_large" in receive(app, big)
    image = MimeMessage(policy=SMTP)
    image["From"], image["To"], image["Subject"] = customer.email, address, "Re: scan"
    image.set_content(b"\x89PNG\r\n\x1a\n" + bytes(200), maintype="image", subtype="png", filename="invoice.png")
    assert "refused: not_text" in receive(app, bytes(image))
    quoted_only = f"\n{THUNDERBIRD['el']}\n> We found the double charge and refunded it.\n"
    assert "refused: empty" in receive(app, reply(customer.email, address, quoted_only))
    assert "refused: no_token" in receive(app, reply(customer.email, f"support@{REPLY_DOMAIN}", "Hello?"))
    assert len(messages(session, case)) == before


def test_a_closed_case_refuses_replies_as_the_web_does(app, session, case_people):
    customer, staff, case = case_people
    address = reply_to(app, last_mail(session, customer))
    with app.app_context():
        escalation.transition(session, staff, case.id, "resolve")
        escalation.transition(session, staff, case.id, "close")
    session.commit()
    before = len(messages(session, case))
    assert "refused: refused_by_rules" in receive(app, reply(customer.email, address, "One more question."))
    assert len(messages(session, case)) == before and refused(session, "refused_by_rules")


def test_replies_count_against_the_posting_limit(tmp_path, postgres_schema):
    app = make_app(
        tmp_path,
        postgres_schema,
        MAIL_REPLY_DOMAIN=REPLY_DOMAIN,
        RATELIMIT_ENABLED=True,
        POST_RATE_LIMIT="2 per minute",
        NEW_ACCOUNT_POST_RATE_LIMIT="2 per minute",
    )
    with app.app_context(), db.scope() as session:
        board = make_board(session)
        customer, staff = make_user(session, "fast"), make_user(session, "nina", role="staff")
        question = make_question(session, customer, board)
        draft = escalation.EscalationDraft("billing", message="I was charged twice this month.")
        case = escalation.request_private_help(session, customer, question.id, draft)
        for n in range(3):
            escalation.post_message(session, staff, case.id, f"Staff message number {n}.")
        session.commit()
        rows = session.scalars(
            select(EmailMessage)
            .where(EmailMessage.user_id == customer.id, EmailMessage.reply_thread.is_not(None))
            .order_by(EmailMessage.id)
        ).all()[-3:]
        addresses = [reply_to(app, row) for row in rows]
        session.commit()
    outputs = [receive(app, reply("fast@example.com", address, f"Reply {n}.")) for n, address in enumerate(addresses)]
    assert [output.split(":")[0] for output in outputs] == ["posted", "posted", "refused"]
    assert "rate_limited" in outputs[2]


def test_a_member_who_allows_it_answers_a_question_by_replying(app, session, client, login_as):
    board = make_board(session, "routers", "Routers")
    asker, helper = make_user(session, "asker"), make_user(session, "marta", locale="pl")
    question = make_question(session, asker, board, title="Router drops Wi-Fi every evening")
    login_as(helper)
    assert (
        client.form_post("/settings/notifications", {"email_pref": "immediately", "reply_by_email": "y"}).status_code
        == 302
    )
    session.refresh(helper)
    assert helper.reply_by_email
    with app.app_context():
        notifications.follow(session, helper, question_id=question.id)
        make_answer(session, asker, question, body="Update: it happens only on the 5 GHz band.")
    row = last_mail(session, helper)
    assert row.reply_thread == f"question:{question.id}"
    body = (
        "Turn off band steering in the router settings; pay with card 4111 1111 1111 1111 if the shop asks.\n\n"
        f"{GMAIL['pl']}\n> Update: it happens only on the 5 GHz band.\n"
    )
    output = receive(app, reply(helper.email, reply_to(app, row), body, charset="iso-8859-2"))
    assert f"posted: /questions/{question.id}#a" in output
    answer = session.scalars(select(Answer).where(Answer.author_id == helper.id)).one()
    assert answer.question_id == question.id and answer.body_source.startswith("Turn off band steering")
    assert "4111 1111 1111 1111" not in answer.body_source  # masked by the same listening rules as on the web
    assert session.scalar(
        select(Notification.kind).where(Notification.user_id == asker.id, Notification.kind == "new_answer")
    )


def test_without_the_members_consent_question_mail_takes_no_reply(app, session):
    board = make_board(session, "routers", "Routers")
    asker, helper = make_user(session, "asker"), make_user(session, "quiet")
    question = make_question(session, asker, board)
    with app.app_context():
        make_answer(session, helper, question)
    about_it = EmailMessage.user_id == asker.id, EmailMessage.thread == f"question:{question.id}"
    mail = session.scalars(select(EmailMessage).where(*about_it)).first()
    assert mail.reply_thread is None
    # Consent given, mail sent, then withdrawn: a reply to that mail no longer posts.
    asker.reply_by_email = True
    session.commit()
    with app.app_context():
        make_answer(session, helper, question, body="And check the fan settings in the BIOS too.")
    row = last_mail(session, asker)
    asker.reply_by_email = False
    session.commit()
    assert "refused: refused_by_rules" in receive(app, reply(asker.email, reply_to(app, row), "Thanks, that worked."))
    assert session.scalar(select(func.count()).select_from(Answer).where(Answer.author_id == asker.id)) == 0


def test_a_reply_our_mail_server_found_forged_is_refused_without_a_bounce(app, session, case_people):
    customer, _staff, case = case_people
    before = len(messages(session, case))
    address = reply_to(app, last_mail(session, customer))
    verdict = "mx.nimbus.example; spf=fail smtp.mailfrom=example.com; dkim=none; dmarc=fail header.from=example.com"
    raw = reply(customer.email, address, "Please send the refund to my new account.", Authentication_Results=verdict)
    assert "refused: spoofed" in receive(app, raw)
    assert len(messages(session, case)) == before and bounces(session, customer.email) == []
    passed = "mx.nimbus.example; spf=pass smtp.mailfrom=example.com; dkim=pass; dmarc=pass header.from=example.com"
    raw = reply(customer.email, address, "The refund arrived, thank you.", Authentication_Results=passed)
    assert "posted" in receive(app, raw)

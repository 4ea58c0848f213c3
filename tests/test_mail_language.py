"""E-mail speaks its recipient's language, whoever caused it and whatever language the sender reads."""

from __future__ import annotations

from pathlib import Path

from babel.messages.pofile import read_po
from sqlalchemy import select

from app.notifications.models import EmailMessage
from tests.factories import make_answer, make_board, make_question, make_user

TRANSLATIONS = Path(__file__).resolve().parent.parent / "app" / "translations"


def catalogue(lang: str):
    with (TRANSLATIONS / lang / "LC_MESSAGES" / "messages.po").open("rb") as po:
        return read_po(po, locale=lang)


def translated(lang: str, msgid: str) -> str:
    message = catalogue(lang).get(msgid)
    assert message is not None and message.string, f"{msgid!r} is not translated into {lang}"
    return message.string


def test_a_greek_member_gets_greek_mail_from_an_english_speaker(app, session):
    board = make_board(session, "laptops", "Laptops")
    asker = make_user(session, "eleni", locale="el")
    helper = make_user(session, "sam", locale="en")
    question = make_question(session, asker, board, title="Fan noise after the update")
    with app.test_request_context(headers={"Accept-Language": "en"}):  # the sender's request, in English
        make_answer(session, helper, question)
    mail = session.scalar(select(EmailMessage).where(EmailMessage.to_address == asker.email))
    sentence = translated("el", "%(actor)s answered “%(title)s”.") % {
        "actor": helper.name,
        "title": "Fan noise after the update",
    }
    assert sentence in mail.subject and sentence in mail.body
    assert "answered" not in mail.body
    assert mail.unsubscribe_url and mail.unsubscribe_url in mail.body  # the header takes it from the row


def test_an_english_member_gets_english_mail_from_a_polish_speaker(app, session):
    board = make_board(session, "laptops", "Laptops")
    asker = make_user(session, "asker", locale="en")
    helper = make_user(session, "marta", locale="pl")
    question = make_question(session, asker, board)
    with app.test_request_context(headers={"Accept-Language": "pl"}):
        make_answer(session, helper, question)
    mail = session.scalar(select(EmailMessage).where(EmailMessage.to_address == asker.email))
    assert mail.subject.startswith("Nimbus Community: ") and "answered" in mail.body
    assert "Unsubscribe with one click: " in mail.body


def test_the_daily_digest_is_in_the_members_language(app, session):
    board = make_board(session, "laptops", "Laptops")
    asker = make_user(session, "eleni", locale="el", email_pref="daily")
    helper = make_user(session, "sam")
    question = make_question(session, asker, board)
    make_answer(session, helper, question)
    make_answer(session, helper, question, body="And check the fan settings in the BIOS too.")
    assert app.test_cli_runner().invoke(args=["mail", "send-digests"]).exit_code == 0
    digest = session.scalar(select(EmailMessage).where(EmailMessage.kind == "digest"))
    plural = catalogue("el").get("Nimbus Community: %(num)d update for you")
    if plural is not None and plural.string[1]:  # until the catalogues have it, only the body is checked
        assert digest.subject == plural.string[1] % {"num": 2}
    assert "answered" not in digest.body
    answered = translated("el", "%(actor)s answered “%(title)s”.")
    assert answered % {"actor": "sam", "title": question.title} in digest.body

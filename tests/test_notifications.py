"""Who hears about what: delivery rules, grouping, e-mail, digests, unsubscribe links, feeds."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest
from sqlalchemy import select

from app.db import db
from app.escalation import service as escalation
from app.forum import service as forum
from app.moderation import service as moderation
from app.notifications import links
from app.notifications import service as notifications
from app.notifications.models import EmailMessage, Notification
from app.reputation import service as reputation
from tests.conftest import make_app
from tests.factories import make_answer, make_board, make_question, make_user


@pytest.fixture
def cast(session):
    board = make_board(session, "laptops", "Laptops")
    asker, helper, bystander = (
        make_user(session, "asker"),
        make_user(session, "helper"),
        make_user(session, "bystander"),
    )
    return board, asker, helper, bystander


def kinds(session, user) -> list[str]:
    return list(
        session.scalars(select(Notification.kind).where(Notification.user_id == user.id).order_by(Notification.id))
    )


def test_answers_reach_the_asker_and_followers_but_never_the_author(session, cast):
    board, asker, helper, bystander = cast
    question = make_question(session, asker, board)
    make_answer(session, helper, question)
    assert kinds(session, asker) == ["new_answer"]
    # Their own answer tells them nothing; the badges it earned do (first answer, welcomer).
    assert kinds(session, helper) == ["badge", "badge"]
    make_answer(session, bystander, question, body="Me too, and the BIOS update fixed it.")
    assert kinds(session, asker) == ["new_answer", "new_answer"]
    assert "new_answer" in kinds(session, helper)  # answerers follow the thread automatically
    make_answer(session, asker, question, body="Thanks all, I will try that tonight.")
    assert kinds(session, asker).count("new_answer") == 2  # not for their own reply


def test_board_followers_hear_of_new_questions(session, cast):
    board, asker, _helper, bystander = cast
    notifications.follow(session, bystander, board_id=board.id)
    session.commit()
    make_question(session, asker, board, title="Keyboard repeats letters after the update")
    note = session.scalar(select(Notification).where(Notification.user_id == bystander.id))
    assert note.kind == "new_question" and "Keyboard repeats letters" in note.text
    notifications.unfollow(session, bystander, board_id=board.id)
    session.commit()
    make_question(session, asker, board, title="Another question that nobody follows")
    assert kinds(session, bystander) == ["new_question"]


def test_kudos_are_folded_into_one_notification(session, cast):
    board, asker, helper, _bystander = cast
    answer = make_answer(session, helper, make_question(session, asker, board))
    fans = [make_user(session) for _ in range(3)]
    for fan in fans:
        reputation.give_kudo(session, fan, "answer", answer.id)
        session.commit()
    kudos = session.scalars(
        select(Notification).where(Notification.user_id == helper.id, Notification.group_key.is_not(None))
    ).all()
    assert len(kudos) == 1 and kudos[0].count == 3 and kudos[0].text.startswith("3 people gave kudos")


def test_kudos_given_withdrawn_and_given_again_count_one_person(session, cast):
    """Regression: the same member's kudos, withdrawn and given again, read "2 people gave kudos"."""
    board, asker, helper, _bystander = cast
    answer = make_answer(session, helper, make_question(session, asker, board))
    fan, other = make_user(session, "fan"), make_user(session, "other")
    for step in (reputation.give_kudo, reputation.withdraw_kudo, reputation.give_kudo):
        step(session, fan, "answer", answer.id)
        session.commit()
    mine = Notification.user_id == helper.id
    note = session.scalar(select(Notification).where(mine, Notification.kind.like("kudo%")))
    assert note.count == 1 and note.text.startswith("fan gave kudos")
    reputation.give_kudo(session, other, "answer", answer.id)
    session.commit()
    for step in (reputation.withdraw_kudo, reputation.give_kudo):
        step(session, fan, "answer", answer.id)
        session.commit()
    session.refresh(note)
    assert note.count == 2 and note.text.startswith("2 people gave kudos")


def test_accepted_mentions_badges_ranks_and_hidden_posts(session, cast):
    board, asker, helper, bystander = cast
    question = make_question(session, asker, board)
    answer = forum.post_answer(session, helper, question.id, forum.AnswerDraft("Ask @bystander, they had it too."))
    session.commit()
    assert "mention" in kinds(session, bystander)
    reputation.accept_answer(session, asker, question.id, answer.id)
    session.commit()
    # first answer, welcomer, first solution
    assert "accepted" in kinds(session, helper) and kinds(session, helper).count("badge") == 3
    reputation.record(session, helper.id, 300, "answer_accepted", "bulk:rank", answer_id=answer.id)
    session.commit()
    assert "rank" in kinds(session, helper)
    moderator = make_user(session, "mod", role="moderator")
    moderation.hide_post(session, moderator, "answer", answer.id, "Contains a private phone number")
    session.commit()
    hidden = session.scalar(
        select(Notification).where(Notification.user_id == helper.id, Notification.kind == "hidden")
    )
    assert "Contains a private phone number" in hidden.text


def test_private_case_events_reach_only_the_cases_people(session, cast):
    board, asker, helper, bystander = cast
    question = make_question(session, asker, board, title="Charged twice for the router rental")
    make_answer(session, helper, question)
    notifications.follow(session, bystander, question_id=question.id)
    moderator, staff = make_user(session, "mod", role="moderator"), make_user(session, "nina", role="staff")
    case = escalation.escalate(session, moderator, question.id, escalation.EscalationDraft("billing", withdraw=True))
    escalation.post_message(session, staff, case.id, "We found the double charge.")
    escalation.post_message(session, asker, case.id, "Thank you, that matches my statement.")
    session.commit()
    for outsider in (helper, bystander):
        texts = " ".join(session.scalars(select(Notification.text).where(Notification.user_id == outsider.id)))
        assert "case" not in texts and "router rental" not in texts  # the old title is forgotten too
    assert {"case_opened", "case_reply"} <= set(kinds(session, asker))


def test_immediate_email_digest_and_never(app, session, cast):
    board, asker, helper, bystander = cast
    bystander.email_pref, helper.email_pref = "daily", "never"
    session.commit()
    question = make_question(session, asker, board)
    make_answer(session, helper, question)
    make_answer(session, bystander, question)
    mails = session.scalars(select(EmailMessage).order_by(EmailMessage.id)).all()
    assert [m.to_address for m in mails] == ["asker@example.com", "asker@example.com"]  # immediately, per event
    assert "/unsubscribe/" in mails[0].body and "answered" in mails[0].body
    make_answer(session, asker, question, body="Follow-up from the asker with details.")  # bystander follows now
    result = app.test_cli_runner().invoke(args=["mail", "send-digests"])
    assert result.exit_code == 0 and "1 digest(s) queued" in result.output
    digest = session.scalar(select(EmailMessage).where(EmailMessage.kind == "digest"))
    assert digest.to_address == "bystander@example.com" and "answered" in digest.body and digest.status == "kept"
    assert "2 updates for you" in digest.subject  # the asker's follow-up, and their First Answer badge
    again = app.test_cli_runner().invoke(args=["mail", "send-digests"])
    assert "0 digest(s) queued" in again.output  # once a day at most
    assert session.scalar(select(EmailMessage).where(EmailMessage.to_address == "helper@example.com")) is None


def test_unsubscribe_link_works_and_tampered_links_are_refused(client, session, cast):
    asker = cast[1]
    with client.application.app_context():  # links are signed with the app's own key
        token = notifications.unsubscribe_token(asker.id)
        other = notifications.unsubscribe_token(cast[2].id)
    assert client.get(f"/unsubscribe/{token}").status_code == 200
    assert client.form_post(f"/unsubscribe/{token}").status_code == 200
    session.refresh(asker)
    assert asker.email_pref == "never"
    tampered = token[:-2] + ("AA" if not token.endswith("AA") else "BB")
    response = client.get(f"/unsubscribe/{tampered}")
    assert response.status_code == 400 and "not valid" in response.get_data(as_text=True)
    forged = other.split(".")[0] + "." + token.split(".")[-1]
    assert client.form_post(f"/unsubscribe/{forged}").status_code == 400
    session.refresh(cast[2])
    assert cast[2].email_pref == "immediately"


def test_each_app_signs_and_verifies_its_own_unsubscribe_links(tmp_path, postgres_schema):
    """Two apps made one after the other (as in a test run, or two sites in one process) keep their own keys."""
    apps = []
    for name in ("one", "two"):
        (tmp_path / name).mkdir()
        overrides = {"SECRET_KEY": f"secret-of-app-{name}-" * 3, "PUBLIC_URL": f"https://{name}.example/"}
        apps.append(make_app(tmp_path / name, postgres_schema, **overrides))
    first, second = apps
    with first.app_context(), db.scope() as setup:
        member = make_user(setup, "anna")
        token = notifications.unsubscribe_token(member.id)
        assert links.signer().base_url == "https://one.example"
    with second.app_context():
        assert links.signer().user_id(token) is None  # the first app's link means nothing to the second
        assert links.signer().user_id(notifications.unsubscribe_token(member.id)) == member.id
    assert first.test_client().get(f"/unsubscribe/{token}").status_code == 200  # the first still knows its own
    for app in apps:
        with app.app_context():
            db.engine.dispose()


def test_follow_routes_and_email_settings(client, session, cast, login_as):
    board, asker, helper, _bystander = cast
    question = make_question(session, asker, board)
    login_as(helper)
    assert client.form_post(f"/questions/{question.id}/follow").status_code == 302
    assert notifications.is_following(session, helper, question_id=question.id)
    assert client.form_post(f"/questions/{question.id}/unfollow").status_code == 302
    assert not notifications.is_following(session, helper, question_id=question.id)
    assert client.form_post("/questions/424242/follow").status_code == 404
    assert client.form_post(f"/boards/{board.id}/follow").status_code == 302
    assert client.form_post("/boards/999/follow").status_code == 404
    assert client.form_post("/settings/notifications", {"email_pref": "weekly"}).status_code == 422
    assert client.form_post("/settings/notifications", {"email_pref": "daily"}).status_code == 302
    session.refresh(helper)
    assert helper.email_pref == "daily"


def test_atom_feeds_list_public_questions_only(client, session, cast):
    board, asker, *_ = cast
    public = make_question(session, asker, board, title="Public question about the trackpad", tags=("trackpad",))
    secret = make_question(session, asker, board, title="Secret billing question", tags=("trackpad",))
    moderator = make_user(session, "mod", role="moderator")
    escalation.escalate(session, moderator, secret.id, escalation.EscalationDraft("billing", withdraw=True))
    session.commit()
    for url in ("/feeds/boards/laptops.atom", "/feeds/tags/trackpad.atom"):
        response = client.get(url)
        assert response.status_code == 200 and response.mimetype == "application/atom+xml"
        feed = ET.fromstring(response.get_data())
        titles = [e.text for e in feed.iter("{http://www.w3.org/2005/Atom}title")]
        assert public.title in titles and secret.title not in titles
    assert client.get("/feeds/boards/nope.atom").status_code == 404
    assert client.get("/feeds/tags/<script>.atom").status_code == 404


def test_opening_a_notification_is_a_post_that_marks_only_that_one_read(client, session, cast, login_as):
    board, asker, helper, bystander = cast
    question = make_question(session, asker, board)
    make_answer(session, helper, question)
    make_answer(session, bystander, question, body="Me too, and the BIOS update fixed it.")
    first, second = session.scalars(
        select(Notification).where(Notification.user_id == asker.id).order_by(Notification.id)
    ).all()
    login_as(asker)
    # An image in someone's post pointing at the page is only a GET: nothing is marked read.
    client.get("/notifications")
    session.refresh(asker)
    assert asker.unread_notifications == 2
    response = client.form_post(f"/notifications/{first.id}/open")
    assert response.status_code == 302 and response.headers["Location"] == first.link
    session.refresh(first), session.refresh(second), session.refresh(asker)
    assert first.read_at is not None and second.read_at is None and asker.unread_notifications == 1
    client.form_post(f"/notifications/{first.id}/open")  # opening it again counts nothing twice
    session.refresh(asker)
    assert asker.unread_notifications == 1


def test_nobody_opens_another_members_notification(client, session, cast, login_as):
    board, asker, helper, _bystander = cast
    make_answer(session, helper, make_question(session, asker, board))
    note = session.scalar(select(Notification).where(Notification.user_id == asker.id))
    login_as(helper)
    assert client.form_post(f"/notifications/{note.id}/open").status_code == 404
    assert client.get(f"/notifications/{note.id}/open").status_code == 405
    session.refresh(note)
    assert note.read_at is None

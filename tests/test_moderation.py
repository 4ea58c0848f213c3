"""Moderation: flags, the queue, thread actions, suspensions, the audit log and listening rules."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from sqlalchemy import select, update

from app.accounts.models import User
from app.db import utcnow
from app.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from app.forum.models import Answer, Board, Question, Revision
from app.moderation import service as moderation
from app.moderation.models import Flag, ModerationAction
from app.reputation.models import PointEvent
from tests.factories import make_answer, make_board, make_question, make_user


@pytest.fixture
def world(session):
    board = make_board(session, "laptops", "Laptops")
    asker, helper = make_user(session, "asker"), make_user(session, "helper")
    moderator = make_user(session, "mod", role="moderator")
    question = make_question(session, asker, board, title="Battery drains overnight in sleep")
    answer = make_answer(session, helper, question, body="Buy cheap pills at spam.example")
    return board, asker, helper, moderator, question, answer


def actions(session) -> list[str]:
    return list(session.scalars(select(ModerationAction.action).order_by(ModerationAction.id)))


# --- flags --------------------------------------------------------------------------------------


@pytest.mark.in_transaction
def test_flagging_twice_hidden_missing_and_own_posts_is_refused(session, world):
    _board, asker, helper, _mod, _question, answer = world
    moderation.flag_post(session, asker, "answer", answer.id, "spam")
    session.commit()
    with pytest.raises(Conflict, match="already flagged"):
        moderation.flag_post(session, asker, "answer", answer.id, "abusive")
    session.rollback()
    with pytest.raises(PermissionDenied, match="own post"):
        moderation.flag_post(session, helper, "answer", answer.id, "spam")
    with pytest.raises(NotFound):
        moderation.flag_post(session, asker, "answer", 424242, "spam")
    with pytest.raises(NotFound):
        moderation.flag_post(session, asker, "comment", answer.id, "spam")
    with pytest.raises(ValidationFailed):
        moderation.flag_post(session, make_user(session), "answer", answer.id, "because")
    with pytest.raises(ValidationFailed, match="what is wrong"):
        moderation.flag_post(session, make_user(session), "answer", answer.id, "other", "")
    session.execute(update(Answer).where(Answer.id == answer.id).values(is_hidden=True))
    session.commit()
    with pytest.raises(NotFound):
        moderation.flag_post(session, make_user(session), "answer", answer.id, "spam")


def test_flags_from_three_experienced_members_hide_the_post(session, world):
    _board, _asker, helper, _mod, question, answer = world
    newcomers = [make_user(session) for _ in range(3)]
    for member in newcomers:  # newcomers' flags raise priority but don't hide
        moderation.flag_post(session, member, "answer", answer.id, "spam")
    session.commit()
    session.refresh(answer)
    assert not answer.is_hidden
    helpers = [make_user(session, points=300) for _ in range(3)]  # Helper rank
    for member in helpers:
        moderation.flag_post(session, member, "answer", answer.id, "spam")
        session.commit()
    session.refresh(answer)
    session.refresh(question)
    assert answer.is_hidden and "experienced members" in answer.hidden_reason
    assert question.answer_count == 0
    entry = session.scalar(select(ModerationAction).where(ModerationAction.action == "post_hidden"))
    assert entry.actor_id is None  # the system did it
    # A moderator who disagrees dismisses the flags, which restores the post.
    moderation.dismiss_flags(session, world[3], "answer", answer.id, "Not spam: a real product tip")
    session.commit()
    session.refresh(answer)
    assert not answer.is_hidden
    session.refresh(helper)
    assert helper.points == 2  # the answer's points came back


def test_queue_groups_by_post_and_puts_urgent_first(session, world):
    _board, asker, helper, moderator, question, answer = world
    other_answer = make_answer(session, asker, make_question(session, helper, world[0]), body="Harmless tip here")
    moderation.flag_post(session, helper, "question", question.id, "off_topic")
    moderation.flag_post(session, asker, "answer", answer.id, "spam")
    moderation.flag_post(session, make_user(session), "answer", answer.id, "private_data")
    moderation.flag_post(session, helper, "answer", other_answer.id, "off_topic")
    session.commit()
    items = moderation.queue(session)
    assert next((item.kind, item.post.id, len(item.flags)) for item in items) == ("answer", answer.id, 2)
    assert {(item.kind, item.post.id) for item in items} == {
        ("answer", answer.id),
        ("question", question.id),
        ("answer", other_answer.id),
    }
    assert moderation.pending_count(session) == 3
    moderation.hide_post(session, moderator, "answer", answer.id, "Spam link")
    session.commit()
    assert moderation.pending_count(session) == 2
    assert set(session.scalars(select(Flag.status).where(Flag.answer_id == answer.id))) == {"actioned"}


@pytest.mark.in_transaction
def test_dismissing_without_pending_flags_is_a_conflict(session, world):
    with pytest.raises(Conflict):
        moderation.dismiss_flags(session, world[3], "answer", world[5].id)


# --- hiding -------------------------------------------------------------------------------------


def test_hide_and_restore_keep_counters_points_and_audit(session, world):
    board, _asker, helper, moderator, question, answer = world
    with pytest.raises(ValidationFailed):
        moderation.hide_post(session, moderator, "answer", answer.id, "   ")
    moderation.hide_post(session, moderator, "answer", answer.id, "Advertising")
    session.commit()
    with pytest.raises(Conflict):
        moderation.hide_post(session, moderator, "answer", answer.id, "again")
    session.rollback()
    session.refresh(question)
    session.refresh(helper)
    assert question.answer_count == 0 and helper.points == 0
    moderation.hide_post(session, moderator, "question", question.id, "Duplicate spam thread")
    session.commit()
    session.refresh(board)
    assert board.question_count == 0
    moderation.restore_post(session, moderator, "question", question.id)
    moderation.restore_post(session, moderator, "answer", answer.id, "Reviewed: fine")
    session.commit()
    with pytest.raises(Conflict):
        moderation.restore_post(session, moderator, "answer", answer.id)
    session.refresh(board)
    session.refresh(question)
    session.refresh(helper)
    assert (board.question_count, question.answer_count, helper.points) == (1, 1, 2)
    assert actions(session) == ["post_hidden", "post_hidden", "post_restored", "post_restored"]
    entry = session.scalar(select(ModerationAction).where(ModerationAction.action == "post_hidden"))
    assert entry.actor_id == moderator.id and entry.reason == "Advertising"
    assert json.loads(entry.before) == {"hidden": False} and json.loads(entry.after) == {"hidden": True}
    assert session.scalar(select(PointEvent).where(PointEvent.reason == "post_hidden")) is not None


@pytest.mark.in_transaction
def test_plain_members_cannot_moderate(session, world):
    _board, asker, _helper, _mod, question, answer = world
    calls = [
        lambda: moderation.hide_post(session, asker, "answer", answer.id, "mine now"),
        lambda: moderation.restore_post(session, asker, "answer", answer.id),
        lambda: moderation.dismiss_flags(session, asker, "answer", answer.id),
        lambda: moderation.set_thread_state(session, asker, question.id, "locked", True),
        lambda: moderation.move_question(session, asker, question.id, "laptops"),
        lambda: moderation.close_as_duplicate(session, asker, question.id, question.id),
        lambda: moderation.merge_answers(session, asker, question.id),
        lambda: moderation.suspend(session, asker, "helper", 7, "no"),
    ]
    for call in calls:
        with pytest.raises(PermissionDenied):
            call()
    assert actions(session) == []


# --- thread actions -----------------------------------------------------------------------------


@pytest.mark.in_transaction
def test_lock_pin_and_their_conflicts(session, world):
    _board, _asker, helper, moderator, question, _answer = world
    moderation.set_thread_state(session, moderator, question.id, "locked", True, "Resolved, closing")
    moderation.set_thread_state(session, moderator, question.id, "pinned", True)
    session.commit()
    with pytest.raises(Conflict):
        moderation.set_thread_state(session, moderator, question.id, "locked", True)
    with pytest.raises(NotFound):
        moderation.set_thread_state(session, moderator, 424242, "locked", True)
    session.rollback()
    from app.forum import service as forum

    with pytest.raises(PermissionDenied):
        forum.post_answer(session, helper, question.id, forum.AnswerDraft("A late answer to a locked thread."))
    session.rollback()
    forum.post_answer(session, moderator, question.id, forum.AnswerDraft("Moderators may still add a note."))
    session.commit()
    assert actions(session) == ["thread_locked", "thread_pinned"]


@pytest.mark.in_transaction
def test_move_to_a_missing_or_the_same_board_is_refused(session, world):
    board, _asker, _helper, moderator, question, _answer = world
    with pytest.raises(NotFound):
        moderation.move_question(session, moderator, question.id, "no-such-board")
    with pytest.raises(Conflict):
        moderation.move_question(session, moderator, question.id, "laptops")
    other = make_board(session, "broadband")
    moderation.move_question(session, moderator, question.id, "broadband", "Wrong board")
    session.commit()
    session.refresh(board)
    session.refresh(other)
    assert (board.question_count, other.question_count) == (0, 1)


@pytest.mark.in_transaction
def test_duplicates_refuse_self_missing_and_cycles(session, world):
    board, asker, _helper, moderator, question, _answer = world
    second = make_question(session, asker, board, title="Battery drains at night again")
    third = make_question(session, asker, board, title="Battery drains overnight third time")
    with pytest.raises(ValidationFailed, match="itself"):
        moderation.close_as_duplicate(session, moderator, question.id, question.id)
    with pytest.raises(NotFound):
        moderation.close_as_duplicate(session, moderator, question.id, 424242)
    moderation.close_as_duplicate(session, moderator, second.id, question.id)
    moderation.close_as_duplicate(session, moderator, third.id, second.id)
    session.commit()
    with pytest.raises(Conflict, match="circle"):
        moderation.close_as_duplicate(
            session, moderator, question.id, third.id
        )  # question -> third -> second -> question
    with pytest.raises(Conflict, match="circle"):
        moderation.close_as_duplicate(session, moderator, question.id, second.id)
    session.rollback()
    moderation.reopen(session, moderator, third.id)
    session.commit()
    with pytest.raises(Conflict):
        moderation.reopen(session, moderator, third.id)


def test_merging_moves_the_duplicates_answers_to_the_original(session, world):
    board, asker, helper, moderator, original, _first = world
    duplicate = make_question(session, asker, board, title="Laptop battery empty every morning")
    moved = make_answer(session, helper, duplicate, body="Disable wake timers in power options.")
    with pytest.raises(Conflict, match="duplicate first"):
        moderation.merge_answers(session, moderator, duplicate.id)
    moderation.close_as_duplicate(session, moderator, duplicate.id, original.id)
    moderation.merge_answers(session, moderator, duplicate.id)
    session.commit()
    session.refresh(moved)
    session.refresh(original)
    session.refresh(duplicate)
    assert moved.question_id == original.id
    assert (original.answer_count, duplicate.answer_count) == (2, 0)


# --- suspensions --------------------------------------------------------------------------------


@pytest.mark.in_transaction
def test_suspensions_and_who_may_suspend_whom(session, world):
    _board, _asker, helper, moderator, question, _answer = world
    admin = make_user(session, "root", role="admin")
    staff = make_user(session, "staffer", role="staff")
    with pytest.raises(PermissionDenied):
        moderation.suspend(session, moderator, "root", 7, "no")  # never an admin
    with pytest.raises(PermissionDenied):
        moderation.suspend(session, admin, "root", 7, "no")
    with pytest.raises(PermissionDenied):
        moderation.suspend(session, moderator, "staffer", 7, "no")  # not someone of higher rank
    with pytest.raises(NotFound):
        moderation.suspend(session, moderator, "ghost", 7, "no")
    with pytest.raises(ValidationFailed):
        moderation.suspend(session, moderator, "helper", 5, "an odd period")
    with pytest.raises(ValidationFailed):
        moderation.suspend(session, moderator, "helper", 7, "")
    moderation.suspend(session, staff, "mod", 1, "Staff may suspend moderators")
    moderation.suspend(session, moderator, "helper", 7, "Repeated advertising")
    session.commit()
    session.refresh(helper)
    assert helper.is_suspended() and helper.suspension_reason == "Repeated advertising"
    assert not helper.is_suspended(utcnow() + timedelta(days=8))  # it ends by itself

    from app.forum import service as forum
    from app.reputation import service as reputation

    with pytest.raises(PermissionDenied):
        forum.post_answer(session, helper, question.id, forum.AnswerDraft("Trying to post while suspended"))
    with pytest.raises(PermissionDenied):
        reputation.give_kudo(session, helper, "question", question.id)
    with pytest.raises(PermissionDenied):
        moderation.flag_post(session, helper, "question", question.id, "spam")
    session.rollback()
    moderation.unsuspend(session, staff, "helper", "Appeal accepted")
    session.commit()
    session.refresh(helper)
    assert not helper.is_suspended()
    assert actions(session)[-3:] == ["member_suspended", "member_suspended", "member_unsuspended"]


def test_indefinite_suspension(session, world):
    moderation.suspend(session, world[3], "helper", None, "Until we talk")
    session.commit()
    helper = session.get(User, world[2].id)
    assert helper.suspended_until is None and helper.is_suspended(utcnow() + timedelta(days=3650))


# --- listening rules and masking through the forum ----------------------------------------------


def test_private_data_is_masked_before_storing_and_flagged(session, world):
    from app.forum import service as forum

    board, asker, _helper, _mod, _question, _answer = world
    question = forum.ask_question(
        session,
        asker,
        forum.QuestionDraft(
            board.slug,
            "Charged twice on card 4111 1111 1111 1111",
            "Please call me on +44 20 7946 0958 or mail anna.k@example.com. IBAN DE89 3704 0044 0532 0130 00.\n"
            "My order number is 4000123456 and it happened on 2026-11-20.",
        ),
    )
    session.commit()
    stored = question.title + question.body_source + question.body_html
    for secret in ("4111 1111 1111 1111", "7946 0958", "anna.k@example.com", "DE89 3704"):
        assert secret not in stored
    assert "[card ending 1111]" in question.title
    assert "4000123456" in question.body_source and "2026-11-20" in question.body_source  # not private data
    revision_sources = " ".join(session.scalars(select(Revision.body_source)))
    assert "anna.k@example.com" not in revision_sources
    flag = session.scalar(select(Flag).where(Flag.question_id == question.id))
    assert flag.reason == "private_data" and flag.reporter_id is None and "card" in flag.note


def test_admin_rules_flag_mask_and_suggest(session, world):
    from app.forum import service as forum

    _board, asker, _helper, moderator, _question, _answer = world
    admin = make_user(session, "root", role="admin")
    with pytest.raises(PermissionDenied):
        moderation.add_rule(session, moderator, moderation.RuleDraft("x", "keyword", "lawsuit", "flag", "other"))
    with pytest.raises(ValidationFailed):
        moderation.add_rule(session, admin, moderation.RuleDraft("bad", "regex", "(a+)+$", "flag", "other"))
    moderation.add_rule(session, admin, moderation.RuleDraft("Legal", "keyword", "lawsuit", "flag", "other"))
    moderation.add_rule(session, admin, moderation.RuleDraft("Codes", "regex", r"NMB-\d{6}", "mask", "other"))
    moderation.add_rule(session, admin, moderation.RuleDraft("Router", "keyword", "router password", "suggest_private"))
    session.commit()
    answer = forum.post_answer(session, asker, world[4].id, forum.AnswerDraft("I will file a lawsuit. Ref NMB-123456."))
    session.commit()
    assert "NMB-123456" not in answer.body_source and "[hidden]" in answer.body_source
    assert session.scalar(select(Flag.reason).where(Flag.answer_id == answer.id)) == "other"
    assert forum.private_help_keywords(session, "I forgot my router password", "help") == ["router password"]
    enabled = moderation.toggle_builtin(session, admin, "email")
    session.commit()
    assert enabled is False
    answer = forum.post_answer(session, asker, world[4].id, forum.AnswerDraft("Write to help@example.com please"))
    assert "help@example.com" in answer.body_source  # the e-mail detector is off now
    assert "rule_added" in actions(session) and "builtin_rule_toggled" in actions(session)


# --- through HTTP -------------------------------------------------------------------------------


def test_flag_route_and_queue_page(client, session, world, login_as):
    _board, asker, _helper, moderator, _question, answer = world
    login_as(asker)
    assert client.get(f"/answers/{answer.id}/flag").status_code == 200
    response = client.form_post(f"/answers/{answer.id}/flag", {"reason": "other", "note": ""})
    assert response.status_code == 422 and "Tell the moderators what is wrong." in response.get_data(as_text=True)
    response = client.form_post(f"/answers/{answer.id}/flag", {"reason": "spam", "note": "<script>x()</script>"})
    assert response.status_code == 302
    response = client.form_post(f"/answers/{answer.id}/flag", {"reason": "spam"})
    assert response.status_code == 409
    assert client.get("/mod").status_code == 403
    login_as(moderator)
    page = client.get("/mod").get_data(as_text=True)
    assert "Buy cheap pills" in page and "&lt;script&gt;x()&lt;/script&gt;" in page
    assert 'class="count"' in client.get("/").get_data(as_text=True)  # the header shows waiting posts
    response = client.form_post(f"/mod/answers/{answer.id}/hide", {"reason": "Spam", "back": "queue"})
    assert response.status_code == 302 and response.headers["Location"].endswith("/mod")
    assert "Nothing to review" in client.get("/mod").get_data(as_text=True)


def test_hidden_posts_are_shown_only_to_their_author_and_moderators(client, session, world, login_as):
    _board, _asker, helper, moderator, question, answer = world
    moderation.hide_post(session, moderator, "answer", answer.id, "Advertising is not allowed")
    moderation.hide_post(session, moderator, "question", make_question(session, helper, world[0]).id, "Spam thread")
    session.commit()
    hidden_question = session.scalar(select(Question).where(Question.is_hidden.is_(True)))
    url = f"/questions/{question.id}/{question.slug}"
    assert "Buy cheap pills" not in client.get(url).get_data(as_text=True)
    assert client.get(f"/questions/{hidden_question.id}/{hidden_question.slug}").status_code == 404
    assert hidden_question.title not in client.get("/").get_data(as_text=True)
    login_as(helper)
    page = client.get(url).get_data(as_text=True)
    assert "Buy cheap pills" in page and "Advertising is not allowed" in page
    assert client.get(f"/questions/{hidden_question.id}/{hidden_question.slug}").status_code == 200
    login_as(make_user(session, "stranger"))
    assert "Buy cheap pills" not in client.get(url).get_data(as_text=True)


def test_thread_tools_forms_refuse_bad_input_with_422(client, session, world, login_as):
    _board, _asker, _helper, moderator, question, _answer = world
    login_as(moderator)
    assert client.get(f"/mod/questions/{question.id}").status_code == 200
    response = client.form_post(f"/mod/questions/{question.id}/duplicate", {"dup-original": "not a question"})
    assert response.status_code == 422 and "not a question" in response.get_data(as_text=True)
    response = client.form_post(f"/mod/questions/{question.id}/duplicate", {"dup-original": str(question.id)})
    assert response.status_code == 422 and "duplicate of itself" in response.get_data(as_text=True)
    response = client.form_post(f"/mod/questions/{question.id}/move", {"move-board": "nope"})
    assert response.status_code == 422
    for action, data, problem in (
        ("hide", {"reason": " "}, "Why is it hidden? Give a reason."),
        ("dismiss", {"reason": "x" * 501}, "Reason: Use at most 500 characters."),
    ):
        response = client.form_post(f"/mod/questions/{question.id}/{action}", data)
        assert response.status_code == 422 and problem in response.get_data(as_text=True), action
    response = client.form_post(f"/mod/questions/{question.id}/lock", {})
    assert response.status_code == 302
    page = client.get(f"/questions/{question.id}/{question.slug}").get_data(as_text=True)
    assert "This thread is locked" in page
    assert client.form_post(f"/mod/questions/{question.id}/lock", {}).status_code == 409
    assert client.form_post("/mod/questions/424242/lock", {}).status_code == 404


def test_suspended_member_sees_why_and_cannot_post(client, session, world, login_as):
    _board, _asker, helper, moderator, question, _answer = world
    login_as(moderator)
    response = client.form_post("/mod/users/helper", {"days": "7", "reason": "Spamming links"})
    assert response.status_code == 302
    response = client.form_post("/mod/users/mod", {"days": "7", "reason": "x"})
    assert response.status_code == 403  # nobody suspends themselves or their peers
    login_as(helper)
    page = client.get("/").get_data(as_text=True)
    assert "Your account is suspended until" in page and "Spamming links" in page
    response = client.form_post(f"/questions/{question.id}/answers", {"body": "Another spam link here"})
    assert response.status_code == 403
    response = client.form_post("/ask", {"board": "laptops", "title": "A spam question here", "body": "spam spam spam"})
    assert response.status_code == 403


def test_audit_log_page_filters(client, session, world, login_as):
    _board, _asker, _helper, moderator, question, answer = world
    moderation.hide_post(session, moderator, "answer", answer.id, "Spam")
    moderation.set_thread_state(session, moderator, question.id, "locked", True)
    session.commit()
    login_as(moderator)
    page = client.get("/mod/audit").get_data(as_text=True)
    assert "post_hidden" in page and "thread_locked" in page
    page = client.get("/mod/audit?action=thread_locked").get_data(as_text=True)
    assert "thread_locked" in page and "post_hidden</code>" not in page
    assert "No entries match" in client.get("/mod/audit?actor=nobody").get_data(as_text=True)


def test_ask_form_suggests_private_help_then_lets_the_member_post(client, session, world, login_as):
    _board, asker, *_ = world
    login_as(asker)
    data = {"board": "laptops", "title": "I was charged twice this month", "body": "Two payments for one bill."}
    response = client.form_post("/ask", data)
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "billing or account matter" in page and "Post publicly anyway" in page
    assert session.scalar(select(Question).where(Question.title == data["title"])) is None
    response = client.form_post("/ask", {**data, "public_confirmed": "Post publicly anyway"})
    assert response.status_code == 302
    check = client.form_post("/ask/check", {"title": "Faktura", "body": "Podwójnie obciążony za internet"})
    assert check.status_code == 200 and check.json["keywords"]


def test_admin_listening_page(client, session, world, login_as):
    login_as(world[3])
    assert client.get("/admin/listening").status_code == 403
    login_as(make_user(session, "root", role="admin"))
    assert "Payment card numbers" in client.get("/admin/listening").get_data(as_text=True)
    response = client.form_post(
        "/admin/listening",
        {"name": "Bad", "kind": "regex", "pattern": "(.*)*", "action": "flag", "flag_reason": "other"},
    )
    assert response.status_code == 422
    response = client.form_post(
        "/admin/listening",
        {"name": "Legal", "kind": "keyword", "pattern": "lawsuit", "action": "flag", "flag_reason": "other"},
    )
    assert response.status_code == 302
    assert client.form_post("/admin/listening/builtin/phone/toggle").status_code == 302
    assert client.form_post("/admin/listening/builtin/nonsense/toggle").status_code == 404
    assert session.scalar(select(Board).where(Board.slug == "laptops")) is not None

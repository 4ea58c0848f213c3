"""Privacy rights: a member downloads everything held about them, and deletes their account."""

from __future__ import annotations

import io
import json
import time
import zipfile
from datetime import timedelta

import pytest
from sqlalchemy import func, select
from whoosh import index as whoosh_index

from app.accounts.models import User, UserSession
from app.db import utcnow
from app.errors import Conflict
from app.escalation import service as escalation
from app.escalation.models import Case, CaseMessage
from app.forum.models import Answer, Question
from app.moderation.models import ModerationAction
from app.notifications import service as notifications
from app.notifications.models import EmailMessage, Notification, Subscription
from app.privacy import deletion, export
from app.privacy.models import DataExport
from app.reputation import service as reputation
from app.reputation.models import Kudo, PointEvent
from app.search import service as search
from tests.conftest import make_app
from tests.factories import PASSWORD, make_answer, make_board, make_question, make_user
from tests.test_privacy_canary import crawl

NOTE_CANARY = "qzvxprivacynote"
MESSAGE_CANARY = "qzvxprivacymessage"
BIO_CANARY = "qzvxprivacybio"
CASE = (NOTE_CANARY, MESSAGE_CANARY)


@pytest.fixture
def leaving(session, app):
    """A member with posts, kudos given and received, an accepted solution, a follow, notifications and a case."""
    board = make_board(session, "laptops", "Laptops")
    member = make_user(
        session, "leaving", email="leaving.person@example.com", display_name="Lea Ving", bio=f"About me {BIO_CANARY}"
    )
    other, staff = make_user(session, "other"), make_user(session, "nina", role="staff")
    answered = make_question(session, member, board, title="Why does my battery drain overnight?")
    lonely = make_question(session, member, board, title="Nobody answers this question about fans")
    reply = make_answer(session, other, answered, body="Switch off wake on LAN, @leaving.")
    theirs = make_question(session, other, board, title="Screen flickers after the update")
    solution = make_answer(session, member, theirs, body="Roll the graphics driver back one version.")
    reputation.give_kudo(session, member, "answer", reply.id)
    reputation.give_kudo(session, other, "answer", solution.id)
    reputation.accept_answer(session, other, theirs.id, solution.id)
    notifications.follow(session, member, question_id=theirs.id)
    case = escalation.request_private_help(
        session, member, answered.id, escalation.EscalationDraft("billing", message="I was charged twice.")
    )
    escalation.post_message(session, staff, case.id, f"Your refund reference is {MESSAGE_CANARY}.")
    escalation.post_message(session, staff, case.id, f"Internal: check {NOTE_CANARY}.", internal=True)
    session.commit()
    search.drain_app(app)
    return {
        "member": member, "other": other, "staff": staff, "answered": answered, "lonely": lonely,
        "solution": solution, "theirs": theirs, "case": case, "reply": reply,
    }


def _zip(response) -> dict[str, str]:
    archive = zipfile.ZipFile(io.BytesIO(response.data))
    return {name: archive.read(name).decode() for name in archive.namelist()}


def _download_link(client) -> str:
    page = client.get("/settings/privacy").get_data(as_text=True)
    start = page.index("/settings/privacy/exports/")
    return page[start : page.index('"', start)]


# --- export -------------------------------------------------------------------------------------


def test_a_member_downloads_everything_held_about_them_but_no_internal_note(client, login_as, session, leaving):
    login_as(leaving["member"])
    response = client.form_post("/settings/privacy/export")
    assert response.status_code == 302
    link = _download_link(client)
    files = _zip(client.get(link))
    assert set(files) >= {
        "index.html", "profile.json", "questions.json", "answers.json", "kudos_given.json", "kudos_received.json",
        "points.json", "badges.json", "follows.json", "notifications.json", "cases.json", "sign_ins.json",
    }
    profile = json.loads(files["profile.json"])
    assert (profile["username"], profile["email"]) == ("leaving", "leaving.person@example.com")
    questions = json.loads(files["questions.json"])
    assert {q["title"] for q in questions} == {leaving["answered"].title, leaving["lonely"].title}
    assert all(q["revisions"][0]["number"] == 1 for q in questions)
    answers = json.loads(files["answers.json"])
    assert [a["accepted"] for a in answers] == [True]
    assert len(json.loads(files["kudos_given.json"])) == 1 and len(json.loads(files["kudos_received.json"])) == 1
    assert sum(p["delta"] for p in json.loads(files["points.json"])) == profile["points"] > 0
    assert leaving["theirs"].id in {f["question_id"] for f in json.loads(files["follows.json"])}
    cases = json.loads(files["cases.json"])
    assert any(MESSAGE_CANARY in m["body"] for m in cases[0]["messages"])
    everything = "".join(files.values())
    assert NOTE_CANARY not in everything
    assert "Your data on the Nimbus Community" in files["index.html"]
    # The member is told, and the link is theirs alone.
    note = session.scalar(select(Notification).where(Notification.kind == "export_ready"))
    assert note.user_id == leaving["member"].id and note.link == link
    audited = session.scalars(select(ModerationAction.action).where(ModerationAction.target_id == leaving["member"].id))
    assert {"data_export_requested", "data_export_ready"} <= set(audited)


def test_the_summary_is_in_the_members_language(client, login_as, session, leaving):
    member = session.get(User, leaving["member"].id)
    member.locale = "el"
    session.commit()
    login_as(member)
    client.form_post("/settings/privacy/export")
    summary = _zip(client.get(_download_link(client)))["index.html"]
    assert 'lang="el"' in summary
    assert "Your data on the Nimbus Community" not in summary


def test_another_member_cannot_download_it_and_it_expires(client, login_as, session, leaving):
    login_as(leaving["member"])
    client.form_post("/settings/privacy/export")
    link = _download_link(client)
    login_as(leaving["other"])
    assert client.get(link).status_code == 404
    login_as(leaving["member"])
    ready = session.scalar(select(DataExport))
    ready.expires_at = utcnow() - timedelta(minutes=1)
    session.commit()
    assert client.get(link).status_code == 404
    with client.application.app_context():
        from app.db import db

        with db.scope() as purge:
            assert export.expire(purge) == 1
            purge.commit()
    assert session.scalar(select(DataExport.content)) is None


def test_asking_needs_a_csrf_token_and_one_export_at_a_time(client, login_as, session, leaving, app):
    login_as(leaving["member"])
    assert client.post("/settings/privacy/export").status_code == 400
    assert session.scalar(select(func.count()).select_from(DataExport)) == 0
    with app.app_context():
        from app.db import db

        with db.scope() as tx:
            member = tx.get(User, leaving["member"].id)
            export.request_export(tx, member)
            with pytest.raises(Conflict):
                export.request_export(tx, member)


def test_asking_is_rate_limited(tmp_path, postgres_schema):
    app = make_app(tmp_path, postgres_schema, RATELIMIT_ENABLED=True, EXPORT_RATE_LIMIT="1 per day")
    from tests.conftest import Client, sign_in

    app.test_client_class = Client
    client = app.test_client()
    with app.app_context():
        from app.db import db

        with db.scope() as setup:
            user = make_user(setup, "asker")
    sign_in(client, user)
    assert client.form_post("/settings/privacy/export").status_code == 302
    assert client.form_post("/settings/privacy/export").status_code == 429


def test_a_large_export_is_prepared_in_the_background(tmp_path, postgres_schema):
    app = make_app(tmp_path, postgres_schema, EXPORT_INLINE_MAX_ROWS=-1)
    from tests.conftest import Client, sign_in

    app.test_client_class = Client
    client = app.test_client()
    with app.app_context():
        from app.db import db

        with db.scope() as setup:
            user = make_user(setup, "large")
    sign_in(client, user)
    assert client.form_post("/settings/privacy/export").status_code == 302
    deadline = time.monotonic() + 30
    with app.app_context():
        from app.db import db

        while time.monotonic() < deadline:
            with db.scope(write=False) as check:
                if check.scalar(select(DataExport.status)) == "ready":
                    break
            time.sleep(0.1)
        with db.scope(write=False) as check:
            assert check.scalar(select(DataExport.status)) == "ready"
            assert check.scalar(select(Notification.link).where(Notification.kind == "export_ready"))
    assert client.get(_download_link(client)).status_code == 200


# --- deletion -----------------------------------------------------------------------------------


def _delete(client, password=PASSWORD, confirm=True):
    data = {"password": password}
    if confirm:
        data["confirm"] = "y"
    return client.form_post("/settings/privacy/delete", data)


def _count(session, model, *where) -> int:
    return session.scalar(select(func.count()).select_from(model).where(*where)) or 0


def test_deleting_an_account_erases_personal_data_and_keeps_posts_and_ledger(client, login_as, session, leaving, app):
    member = leaving["member"]
    uid = member.id
    points_before = member.points
    from app.accounts.models import AccountToken
    from app.accounts.service_mail import send_password_reset
    from app.api import tokens as api_tokens
    from app.api.models import ApiToken

    with app.test_request_context():
        _token, api_secret = api_tokens.create(session, member, "script", ["read"])
        send_password_reset(session, member)  # an outstanding reset link
    session.commit()
    login_as(member)
    response = _delete(client)
    assert response.status_code == 302
    # Signed out, and the old session is worthless.
    assert client.get("/settings/privacy").status_code == 302

    user = session.get(User, uid)
    session.refresh(user)
    assert user.deleted_at is not None
    assert "leaving" not in (user.username + user.email + user.display_name + user.bio)
    assert (user.username, user.email) == (f"deleted.{uid}", f"deleted.{uid}@invalid")
    assert (user.password_hash, user.bio, user.display_name) == ("", "", "")
    assert user.points == points_before
    for model, condition in (
        (UserSession, UserSession.user_id == uid),
        (Subscription, Subscription.user_id == uid),
        (Notification, Notification.user_id == uid),
        (EmailMessage, EmailMessage.user_id == uid),
        (DataExport, DataExport.user_id == uid),
        (ApiToken, ApiToken.user_id == uid),
        (AccountToken, AccountToken.user_id == uid),
    ):
        assert _count(session, model, condition) == 0, model
    assert client.get("/api/v1/tokens", headers={"Authorization": f"Bearer {api_secret}"}).status_code == 401
    # Posts, the solution, kudos and the ledger stay; the totals still equal the ledger.
    assert _count(session, Question, Question.author_id == uid) == 2
    assert session.get(Answer, leaving["solution"].id).is_accepted
    assert _count(session, Kudo, Kudo.giver_id == uid) == 1 and _count(session, Kudo, Kudo.receiver_id == uid) == 1
    assert _count(session, PointEvent, PointEvent.user_id == uid) > 0
    assert reputation.verify(session) == []
    # The case conversation is kept for the retention period.
    assert _count(session, Case, Case.customer_id == uid) == 1
    assert _count(session, CaseMessage, CaseMessage.case_id == leaving["case"].id) >= 2
    actions = set(session.scalars(select(ModerationAction.action).where(ModerationAction.target_id == uid)))
    assert {
        "account_deletion_started", "posts_reattributed", "personal_data_erased", "case_conversations_retained"
    } <= actions
    # Other members' notifications no longer name them.
    other_notes = session.scalars(select(Notification.text).where(Notification.user_id == leaving["other"].id))
    assert not any("Lea Ving" in text or "leaving" in text for text in other_notes)

    # The thread shows "Former member" and links to no profile.
    page = client.get(f"/questions/{leaving['answered'].id}", follow_redirects=True).get_data(as_text=True)
    assert "Former member" in page and "/users/deleted." not in page
    assert client.get("/users/leaving").status_code == 404

    # The search index holds neither the username nor the e-mail address.
    with app.app_context():
        backend = app.extensions["agora_search"]
        ix = whoosh_index.open_dir(str(backend.current))
    with ix.searcher() as searcher:
        # Live documents only: Whoosh drops a replaced document's terms from its files at the next segment merge.
        by_author = {name: len(list(searcher.documents(author=name))) for name in ("leaving", f"deleted.{uid}", "")}
        stored = json.dumps(list(searcher.all_stored_fields()), default=str)
    assert by_author["leaving"] == 0 and by_author[f"deleted.{uid}"] == 0
    assert "leaving.person@example.com" not in stored and "Lea Ving" not in stored
    assert search.search(session, backend, search.SearchQuery(text="battery")).questions  # the post is still found


@pytest.mark.parametrize("viewer", ["visitor", "other"])
def test_a_deleted_member_leaves_no_trace_a_crawl_can_find(client, login_as, session, leaving, viewer):
    """The privacy canary's crawl, after the deletion: neither the member's personal data nor their kept case
    conversation shows anywhere a visitor or another member can reach."""
    login_as(leaving["member"])
    assert _delete(client).status_code == 302
    if viewer == "other":
        login_as(leaving["other"])
    seeds = ["/", "/questions", "/boards/laptops", f"/questions/{leaving['answered'].id}",
             f"/questions/{leaving['theirs'].id}", f"/answers/{leaving['solution'].id}/history",
             "/leaderboard?period=all", "/superfans", "/badges", "/notifications", "/search?q=battery",
             "/feeds/boards/laptops.atom"]
    pages = crawl(client, seeds)
    assert len(pages) > 15
    leaks = {
        url: [c for c in ("leaving.person@example.com", "Lea Ving", BIO_CANARY, "/users/leaving", *CASE) if c in body]
        for url, body in pages.items()
    }
    assert {url: hits for url, hits in leaks.items() if hits} == {}


def test_the_wrong_password_or_no_confirmation_deletes_nothing(client, login_as, session, leaving):
    login_as(leaving["member"])
    response = _delete(client, password="not my password")
    assert response.status_code == 422
    assert "That is not your password." in response.get_data(as_text=True)
    response = _delete(client, confirm=False)
    assert response.status_code == 422
    assert "Tick the box" in response.get_data(as_text=True)
    assert session.get(User, leaving["member"].id).deleted_at is None
    assert _delete(client, password="x" * 5000).status_code == 422


def test_a_former_member_cannot_sign_in_or_be_notified(client, login_as, session, leaving):
    login_as(leaving["member"])
    _delete(client)
    for login in ("leaving", "leaving.person@example.com", f"deleted.{leaving['member'].id}"):
        response = client.form_post("/login", {"login": login, "password": PASSWORD})
        assert response.status_code == 422, login
    make_answer(session, leaving["other"], leaving["lonely"], body="Here is an answer nobody gets told about.")
    assert _count(session, Notification, Notification.user_id == leaving["member"].id) == 0
    assert _count(session, EmailMessage, EmailMessage.user_id == leaving["member"].id) == 0


def test_the_setting_removes_unanswered_questions(tmp_path, postgres_schema):
    app = make_app(tmp_path, postgres_schema, DELETED_MEMBER_QUESTIONS="remove_unanswered")
    with app.app_context():
        from app.db import db

        with db.scope() as tx:
            board = make_board(tx, "desktops")
            member, other = make_user(tx, "quitter"), make_user(tx, "stayer")
            lonely = make_question(tx, member, board, title="A question nobody ever answered")
            answered = make_question(tx, member, board, title="A question somebody did answer")
            make_answer(tx, other, answered)
            reputation.give_kudo(tx, other, "question", lonely.id)
            result = deletion.delete_account(
                tx, member, deletion.Confirmation(password=PASSWORD), question_policy="remove_unanswered"
            )
            db.commit(tx)
            assert result.questions_removed == [lonely.id]
            assert tx.get(Question, lonely.id) is None and tx.get(Question, answered.id) is not None
            assert reputation.verify(tx) == []


def test_case_conversations_are_purged_after_the_retention_period(client, login_as, session, leaving, app):
    login_as(leaving["member"])
    _delete(client)
    case_id = leaving["case"].id
    with app.app_context():
        from app.db import db

        with db.scope() as tx:
            assert deletion.purge_case_conversations(tx, 365, now=utcnow() + timedelta(days=364)) == []
            assert deletion.purge_case_conversations(tx, 365, now=utcnow() + timedelta(days=366)) == [case_id]
            db.commit(tx)
    assert _count(session, CaseMessage, CaseMessage.case_id == case_id) == 0
    assert session.get(Case, case_id) is not None
    assert _count(session, ModerationAction, ModerationAction.action == "case_conversation_purged") == 1
    runner = app.test_cli_runner()
    result = runner.invoke(args=["privacy", "purge"])
    assert result.exit_code == 0 and "0 case conversation(s) purged" in result.output


def test_an_account_without_a_password_confirms_with_a_fresh_sign_in(client, login_as, session, leaving):
    member = session.get(User, leaving["member"].id)
    member.password_hash = ""  # signs in only through the company's provider
    session.commit()
    login_as(member)
    assert _delete(client).status_code == 403
    with client.session_transaction() as cookie:
        cookie["signed_in_at"] = time.time() - 3600
    assert _delete(client).status_code == 403
    with client.session_transaction() as cookie:
        cookie["signed_in_at"] = time.time()
    assert _delete(client).status_code == 302
    session.expire_all()
    assert session.get(User, member.id).deleted_at is not None


def test_an_export_left_waiting_is_prepared_by_the_command(app, session, leaving):
    with app.app_context():
        from app.db import db

        with db.scope() as tx:
            export.request_export(tx, tx.get(User, leaving["member"].id))
            tx.commit()  # a plain commit: as if the server stopped before its after-commit work
    assert session.scalar(select(DataExport.status)) == "pending"
    result = app.test_cli_runner().invoke(args=["privacy", "exports"])
    assert result.exit_code == 0 and "1 export(s) prepared" in result.output
    assert session.scalar(select(DataExport.status)) == "ready"


def test_an_export_whose_preparer_was_stopped_is_prepared_by_the_next_sweep(app, session, leaving):
    """A job stopped at its time limit (or a worker killed by a deploy) leaves its export "preparing": after
    ABANDONED the sweep claims it again, instead of leaving it until the hour gives up on it."""
    with app.app_context():
        from app.db import db

        with db.scope() as tx:
            stopped = export.request_export(tx, tx.get(User, leaving["member"].id))
            stopped.status, stopped.requested_at = "preparing", utcnow() - export.ABANDONED / 2
            tx.commit()
            stopped_id = stopped.id
        assert export.prepare_pending(app) == 0  # perhaps still being prepared: left alone
        with db.scope() as tx:
            tx.get(DataExport, stopped_id).requested_at = utcnow() - export.ABANDONED - timedelta(minutes=1)
            tx.commit()
        assert export.prepare_pending(app) == 1
    assert session.scalar(select(DataExport.status).where(DataExport.id == stopped_id)) == "ready"


def test_an_export_cut_off_while_waiting_does_not_block_the_next(app, session, leaving):
    with app.app_context():
        from app.db import db

        with db.scope() as tx:
            member = tx.get(User, leaving["member"].id)
            stuck = export.request_export(tx, member)
            stuck.status, stuck.requested_at = "preparing", utcnow() - timedelta(hours=2)
            tx.flush()
            assert export.request_export(tx, member).id != stuck.id
            export.expire(tx)
            tx.flush()
            assert tx.get(DataExport, stuck.id).status == "failed"


def test_the_goodbye_is_in_the_members_language(client, login_as, session, leaving):
    member = session.get(User, leaving["member"].id)
    member.locale = "pl"
    session.commit()
    login_as(member)
    page = client.get("/settings/privacy/delete").get_data(as_text=True)
    assert 'lang="pl"' in page
    home = _delete(client)
    assert home.status_code == 302
    farewell = client.get(home.headers["Location"]).get_data(as_text=True)
    assert "Twoje konto zostało usunięte." in farewell

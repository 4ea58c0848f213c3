"""Every route declares who may use it, the declaration matches this table, and it is enforced."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from app.attachments import service as attachments
from app.db import utcnow
from app.escalation import service as escalation
from app.notifications.models import Notification
from app.privacy.models import DataExport
from app.search import service as search
from tests.factories import make_answer, make_board, make_question, make_user

# endpoint -> (least role, owner-checked). A new route must be added here or this file fails.
ACCESS = {
    "static": ("visitor", False),
    "ops.healthz": ("visitor", False),
    "ops.readyz": ("visitor", False),
    "ops.metrics": ("visitor", False),
    # The API (tests/test_api.py walks these with tokens; cookies never reach past its door).
    "api.create_token": ("visitor", False),
    "api.list_tokens": ("member", False),
    "api.revoke_token": ("member", True),
    "api.boards": ("visitor", False),
    "api.questions": ("visitor", False),
    "api.question": ("visitor", False),
    "api.member": ("visitor", False),
    "api.search": ("visitor", False),
    "api.ask": ("member", False),
    "api.edit_question": ("member", True),
    "api.answer": ("member", False),
    "api.edit_answer": ("member", True),
    "api.give_kudo": ("member", False),
    "api.withdraw_kudo": ("member", False),
    "api.accept": ("member", True),
    "api.clear_solution": ("member", True),
    "api.flag": ("member", False),
    "api.escalate": ("moderator", False),
    "api.cases": ("staff", False),
    "api.case": ("member", True),
    "api.case_messages": ("member", True),
    "api.post_case_message": ("member", True),
    "api.case_status": ("member", True),
    "api.assign": ("staff", False),
    "api_tokens.settings": ("member", True),
    "api_tokens.revoke": ("member", True),
    "webhooks.endpoints": ("admin", False),
    "webhooks.endpoint": ("admin", False),
    "webhooks.set_active": ("admin", False),
    "webhooks.delete": ("admin", False),
    "webhooks.redeliver": ("admin", False),
    "api.openapi": ("visitor", False),
    "api.docs": ("visitor", False),
    "forum.index": ("visitor", False),
    "forum.questions": ("visitor", False),
    "forum.board": ("visitor", False),
    "forum.question": ("visitor", False),
    "forum.question_history": ("visitor", False),
    "forum.answer_history": ("visitor", False),
    "forum.ask": ("member", False),
    "forum.answer": ("member", False),
    "forum.preview": ("member", False),
    "forum.edit_question": ("member", True),
    "forum.edit_answer": ("member", True),
    "forum.roll_back": ("member", True),
    "forum.keep_draft": ("member", False),
    "forum.discard_draft": ("member", False),
    "attachments.upload": ("member", False),
    "attachments.serve": ("visitor", False),
    "attachments.remove": ("moderator", False),
    "accounts.register": ("visitor", False),
    "accounts.login": ("visitor", False),
    "accounts.logout": ("member", False),
    "accounts.sign_out_everywhere": ("member", False),
    "accounts.profile": ("visitor", False),
    "accounts.settings": ("member", True),
    "accounts.set_language": ("visitor", False),
    "company.start": ("visitor", False),
    "company.callback": ("visitor", False),
    "company.finish": ("visitor", False),
    "company.create": ("visitor", False),
    "company.link": ("visitor", False),
    "accounts.forgot_password": ("visitor", False),
    "accounts.reset_password": ("visitor", False),
    "accounts.verify_email": ("visitor", False),
    "accounts.resend_verification": ("member", False),
    "accounts.change_password": ("member", False),
    "accounts.change_email": ("member", False),
    "forum.answer_link": ("visitor", False),
    "reputation.kudo_give": ("member", False),
    "reputation.kudo_withdraw": ("member", False),
    "reputation.accept": ("member", True),
    "reputation.clear": ("member", True),
    "reputation.leaderboard": ("visitor", False),
    "reputation.superfans": ("visitor", False),
    "reputation.badges": ("visitor", False),
    "reputation.points": ("visitor", False),
    "forum.ask_check": ("member", False),
    "moderation.flag": ("member", False),
    "moderation.queue": ("moderator", False),
    "moderation.dismiss": ("moderator", False),
    "moderation.hide": ("moderator", False),
    "moderation.restore": ("moderator", False),
    "moderation.thread": ("moderator", False),
    "moderation.thread_state": ("moderator", False),
    "moderation.move": ("moderator", False),
    "moderation.duplicate": ("moderator", False),
    "moderation.reopen": ("moderator", False),
    "moderation.merge": ("moderator", False),
    "moderation.member": ("moderator", False),
    "moderation.unsuspend": ("moderator", False),
    "moderation.audit": ("moderator", False),
    "moderation.listening_rules": ("admin", False),
    "moderation.listening_rule": ("admin", False),
    "moderation.listening_builtin": ("admin", False),
    "escalation.escalate": ("moderator", False),
    "escalation.private_help": ("member", True),
    "escalation.my_cases": ("member", False),
    "escalation.case": ("member", True),
    "escalation.reply": ("member", True),
    "escalation.note": ("moderator", False),
    "escalation.move": ("member", True),
    "escalation.assign": ("staff", False),
    "escalation.inbox": ("staff", False),
    "escalation.bulk_assign": ("staff", False),
    "notifications.notification_list": ("member", False),
    "notifications.follow": ("member", False),
    "notifications.email_settings": ("member", False),
    "notifications.mail_works": ("member", False),
    "notifications.unsubscribe": ("visitor", False),
    "notifications.board_feed": ("visitor", False),
    "notifications.tag_feed": ("visitor", False),
    "notifications.notifications_read": ("member", False),
    "notifications.open_notification": ("member", True),
    "search.search": ("visitor", False),
    "forum.tags": ("visitor", False),
    "moderation.describe_tag": ("moderator", False),
    "search.similar": ("visitor", False),
    "insights.dashboard": ("staff", False),
    "insights.export": ("staff", False),
    "insights.unanswered": ("staff", False),
    "admin.boards": ("admin", False),
    "admin.edit_board": ("admin", False),
    "admin.move_board": ("admin", False),
    "admin.archive_board": ("admin", False),
    "admin.members": ("admin", False),
    "admin.member": ("admin", False),
    "admin.member_role": ("admin", False),
    "admin.member_suspend": ("admin", False),
    "admin.member_unsuspend": ("admin", False),
    "admin.member_password_reset": ("admin", False),
    "admin.reputation_rules": ("admin", False),
    "privacy.page": ("member", False),
    "privacy.request_export": ("member", False),
    "privacy.download": ("member", True),
    "privacy.delete_account": ("member", False),
}
ROLES = ("visitor", "member", "moderator", "staff", "admin")
OFF_UNTIL_CONFIGURED = {"company.start", "company.callback", "company.finish", "company.create", "company.link"}
# Route arguments that differ from the shared ones for one endpoint.
OVERRIDES = {
    "forum.board": {"slug": "laptops"},
    "moderation.listening_rule": {"action": "toggle"},
    "admin.move_board": {"direction": "down"},
    "admin.archive_board": {"action": "archive"},
    "escalation.move": {"action": "start"},
    "notifications.follow": {"kind": "questions", "target_id": 1, "action": "follow"},
    "notifications.unsubscribe": {"token": "not-a-valid-token"},
    "notifications.board_feed": {"slug": "laptops"},
    "notifications.tag_feed": {"tag": "battery"},
    "moderation.describe_tag": {"name": "battery"},
    "attachments.serve": {"filename": "notes.txt"},
}


def test_every_route_is_in_the_access_table(app):
    endpoints = {rule.endpoint for rule in app.url_map.iter_rules()}
    assert endpoints == set(ACCESS), "add new routes to ACCESS (and an @access declaration)"
    for endpoint, (level, owner) in ACCESS.items():
        if endpoint == "static":
            continue
        view = app.view_functions[endpoint]
        assert getattr(view, "access_level", None) == level, endpoint
        assert getattr(view, "access_owner", None) == owner, endpoint


@pytest.fixture
def world(app, session):
    owner = make_user(session, "owner")
    board = make_board(session, "laptops")
    question = make_question(session, owner, board)
    answer = make_answer(session, owner, question)
    rules = attachments.UploadRules.from_config(app.config)
    storage = app.extensions["agora_attachments"]
    log = attachments.upload(session, storage, owner, [("notes.txt", b"Battery log")], rules)
    log[0].question_id = question.id
    escalator = make_user(session, "escalator", role="moderator")
    case = escalation.escalate(session, escalator, question.id, escalation.EscalationDraft(category="billing"))
    session.commit()
    notification = session.scalar(select(Notification.id).where(Notification.user_id == owner.id))
    ready = DataExport(
        user_id=owner.id, status="ready", size=4, content=b"PK\x05\x06", expires_at=utcnow() + timedelta(hours=1)
    )
    session.add(ready)
    session.commit()
    values = {
        "question_id": question.id,
        "answer_id": answer.id,
        "slug": question.slug,
        "username": "owner",
        "filename": "css/app.css",
        "kind": "answers",
        "post_id": answer.id,
        "action": "lock",
        "rule_id": 1,
        "key": "card",
        "case_id": case.id,
        "notification_id": notification,
        "token_id": 1,
        "endpoint_id": 1,
        "delivery_id": 1,
        "token": "not-a-valid-token",
        "board_id": board.id,
        "export_id": ready.id,
        "attachment_id": log[0].id,
        "number": 1,
    }
    return owner, values


def _requests(app, values):
    """Every route of the site, with its arguments filled in. The API is walked in tests/test_api.py with
    tokens: a browser's cookie never authorises it, so a walk signed in by cookie would only meet 401s."""
    for rule in app.url_map.iter_rules():
        if rule.endpoint.startswith("api.") and rule.endpoint not in ("api.openapi", "api.docs"):
            continue
        arguments = {**values, **OVERRIDES.get(rule.endpoint, {})}
        url = re.sub(r"<(?:[^<>]*:)?(\w+)>", lambda match, a=arguments: str(a[match.group(1)]), rule.rule)
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            yield rule.endpoint, method, url


def _call(client, method, url):
    return client.get(url) if method == "GET" else client.form_post(url, {})


def test_visitors_are_sent_to_sign_in_for_member_routes(app, client, world):
    _, values = world
    for endpoint, method, url in _requests(app, values):
        level, _owner = ACCESS[endpoint]
        response = _call(client, method, url)
        if level == "visitor":
            # Company sign-in answers 404 until an OpenID Connect provider is configured (OIDC_ISSUER).
            allowed = (200, 301, 302, 400, 422, *((404,) if endpoint in OFF_UNTIL_CONFIGURED else ()))
            assert response.status_code in allowed, (endpoint, method, response.status_code)
            assert response.status_code != 302 or "/login" not in response.headers.get("Location", ""), endpoint
        else:
            assert response.status_code == 302, (endpoint, method)
            assert "/login?next=" in response.headers["Location"], endpoint


def test_owner_routes_refuse_other_members_and_allow_the_owner(app, client, session, world, login_as):
    owner, values = world
    login_as(make_user(session, "stranger"))
    for endpoint, method, url in _requests(app, values):
        _level, owner_checked = ACCESS[endpoint]
        if owner_checked and endpoint not in ("accounts.settings", "api_tokens.settings"):
            # A private case is not even admitted to exist for someone else (ids are not secrets).
            private = endpoint in ("notifications.open_notification", "api_tokens.revoke", "privacy.download") or (
                endpoint.startswith("escalation.") and endpoint != "escalation.private_help"
            )
            assert _call(client, method, url).status_code == (404 if private else 403), (endpoint, method)
    login_as(owner)
    for endpoint, method, url in _requests(app, values):
        _level, owner_checked = ACCESS[endpoint]
        if owner_checked and method == "GET":
            assert _call(client, method, url).status_code == 200, endpoint


@pytest.mark.parametrize("role", ROLES)
def test_each_role_reaches_exactly_the_routes_its_level_allows(app, client, session, world, login_as, role):
    """Walk every route as `role`: below the route's level it is sent to sign in (visitors) or refused
    (403); at or above it, the gate lets it through (what happens next is the route's own business)."""
    _owner, values = world
    user = None if role == "visitor" else make_user(session, f"as_{role}", role=role if role != "visitor" else "member")
    for endpoint, method, url in _requests(app, values):
        if endpoint == "accounts.logout":
            continue  # it would end the session this walk depends on
        level, owner_checked = ACCESS[endpoint]
        if user is not None:
            login_as(user)
        response = _call(client, method, url)
        allowed = ROLES.index(role) >= ROLES.index(level)
        where = (endpoint, method, role, response.status_code)
        if allowed:
            to_login = response.status_code == 302 and "/login" in response.headers.get("Location", "")
            assert not to_login, where
            if not owner_checked:
                assert response.status_code != 403, where
        elif role == "visitor":
            assert response.status_code == 302 and "/login?next=" in response.headers["Location"], where
        else:
            assert response.status_code == 403, where


@pytest.fixture
def writes(app):
    """Every INSERT, UPDATE or DELETE the app's engine sends while the test runs."""
    from sqlalchemy import event

    with app.app_context():
        engine = app.extensions["agora_db"].engine
    seen: list[str] = []

    def record(_conn, _cursor, statement, _params, _context, _many):
        if statement.lstrip().split(None, 1)[0].upper() in ("INSERT", "UPDATE", "DELETE"):
            seen.append(statement.split("\n")[0][:120])

    event.listen(engine, "before_cursor_execute", record)
    yield seen
    event.remove(engine, "before_cursor_execute", record)


@pytest.mark.parametrize("role", ROLES)
def test_no_get_changes_anything(app, client, session, world, login_as, writes, role):
    """A GET can be sent by anyone's browser without asking (an image in a post, a prefetch): no GET
    handler may write to the database, whoever sends it."""
    owner, values = world
    user = None if role == "visitor" else owner if role == "member" else make_user(session, f"as_{role}", role=role)
    if user is not None:
        login_as(user)
    # The world was written straight to the database: apply its search outbox as the commit hook would have,
    # so the first search finds nothing to catch up on in the background while this walk counts writes.
    search.drain_app(app)
    client.get("/search?q=laptop")
    writes.clear()
    changed = []
    for endpoint, method, url in _requests(app, values):
        if method != "GET":
            continue
        response = client.get(url)
        assert response.status_code < 500, (endpoint, url, response.status_code)
        if writes:
            changed.append((endpoint, url, list(writes)))
            writes.clear()
    assert changed == []

"""The JSON API: tokens (and nothing else) authorise it, the same services and rules as the site do the work,
every refusal has one shape, and the OpenAPI description matches the routes."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from app.accounts import sessions
from app.api import tokens
from app.api.models import ApiToken
from app.db import utcnow
from app.escalation import service as escalation
from app.escalation.models import CaseMessage
from app.forum.models import Answer, Question
from app.moderation.models import Flag
from tests.conftest import make_app
from tests.factories import PASSWORD, make_answer, make_board, make_question, make_user

API = "/api/v1"


def bearer(raw: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {raw}"}


@pytest.fixture
def token_for(app, session):
    """A live token for `user` with `scopes` (its secret)."""

    def create(user, scopes=("read", "write"), days=30) -> str:
        with app.test_request_context():
            _token, raw = tokens.create(session, user, "tests", list(scopes), days)
        session.commit()
        return raw

    return create


@pytest.fixture
def forum_world(session):
    board = make_board(session, "laptops")
    asker, helper = make_user(session, "asker"), make_user(session, "helper")
    question = make_question(session, asker, board, title="Battery drains overnight on the Nimbus Book")
    answer = make_answer(session, helper, question, "Turn off wake on LAN in the BIOS; it fixed mine.")
    return board, asker, helper, question, answer


def assert_error(response, status: int, code: str) -> dict:
    assert response.status_code == status, response.get_data(as_text=True)
    body = response.json
    assert set(body) == {"error"} and set(body["error"]) == {"code", "message", "fields"}
    assert body["error"]["code"] == code and body["error"]["message"]
    return body["error"]


# --- tokens ------------------------------------------------------------------------------------------


def test_a_token_is_created_with_the_password_shown_once_and_stored_as_a_hash(client, session):
    make_user(session, "scripter")
    response = client.post(f"{API}/tokens", json={"username": "scripter", "password": PASSWORD, "name": "laptop"})
    assert response.status_code == 201
    raw = response.json["token"]
    assert raw.startswith("agora_") and response.json["scopes"] == ["read"]
    stored = session.scalar(select(ApiToken))
    assert stored.token_hash != raw and raw not in stored.token_hash
    me = client.get(f"{API}/tokens", headers=bearer(raw))
    assert me.status_code == 200 and [t["name"] for t in me.json["tokens"]] == ["laptop"]
    assert "token" not in me.json["tokens"][0]


def test_wrong_credentials_unknown_fields_and_scopes_beyond_the_role_are_refused(client, session):
    make_user(session, "scripter")
    wrong = client.post(f"{API}/tokens", json={"username": "scripter", "password": "nope-nope-nope", "name": "x"})
    assert_error(wrong, 401, "unauthorized")
    assert wrong.headers["WWW-Authenticate"].startswith("Bearer")
    extra = client.post(f"{API}/tokens", json={"username": "scripter", "password": PASSWORD, "name": "x", "admin": 1})
    assert "admin" in assert_error(extra, 422, "invalid")["fields"]
    beyond = client.post(
        f"{API}/tokens", json={"username": "scripter", "password": PASSWORD, "name": "x", "scopes": ["staff"]}
    )
    assert assert_error(beyond, 422, "invalid")["fields"] == {"scopes": beyond.json["error"]["message"]}
    assert session.scalar(select(ApiToken)) is None


def test_a_browser_cookie_never_authorises_the_api_and_a_token_needs_no_csrf(client, session, login_as, token_for):
    member = make_user(session, "browser")
    login_as(member)
    assert_error(client.get(f"{API}/tokens"), 401, "unauthorized")
    board = make_board(session, "laptops")
    asked = client.post(
        f"{API}/questions",
        headers=bearer(token_for(member)),
        json={"board": board.slug, "title": "Fan is loud after the update", "body": "Since Tuesday the fan spins."},
    )
    assert asked.status_code == 201  # no CSRF token was sent


def test_tokens_die_with_the_accounts_sessions_and_when_revoked_or_expired(app, client, session, token_for):
    member = make_user(session, "holder")
    raw = token_for(member)
    assert client.get(f"{API}/tokens", headers=bearer(raw)).status_code == 200
    sessions.end_all(session, member)  # what a password change, a suspension or a new role do
    session.commit()
    assert_error(client.get(f"{API}/tokens", headers=bearer(raw)), 401, "unauthorized")

    second = token_for(member)
    own = client.get(f"{API}/tokens", headers=bearer(second)).json["tokens"][0]["id"]
    assert client.delete(f"{API}/tokens/{own}", headers=bearer(second)).status_code == 204
    assert_error(client.get(f"{API}/tokens", headers=bearer(second)), 401, "unauthorized")

    third = token_for(member)
    stored = session.scalar(select(ApiToken).where(ApiToken.revoked_at.is_(None)))
    stored.expires_at = utcnow() - timedelta(seconds=1)
    session.commit()
    assert_error(client.get(f"{API}/tokens", headers=bearer(third)), 401, "unauthorized")
    assert_error(client.get(f"{API}/tokens", headers=bearer("agora_made-up")), 401, "unauthorized")


def test_a_member_cannot_revoke_someone_elses_token(client, session, token_for):
    alice, bob = make_user(session, "alice"), make_user(session, "bob")
    token_for(alice)
    alices = session.scalar(select(ApiToken.id).where(ApiToken.user_id == alice.id))
    assert_error(client.delete(f"{API}/tokens/{alices}", headers=bearer(token_for(bob))), 404, "not_found")
    assert session.get(ApiToken, alices).revoked_at is None


# --- reading -----------------------------------------------------------------------------------------


def test_reading_boards_questions_a_question_and_a_member(client, session, forum_world):
    _board, _asker, helper, question, answer = forum_world
    boards = client.get(f"{API}/boards").json["boards"]
    assert [b["slug"] for b in boards] == ["laptops"]
    listed = client.get(f"{API}/questions", query_string={"board": "laptops"}).json
    assert [q["id"] for q in listed["questions"]] == [question.id] and listed["next"] is None
    detail = client.get(f"{API}/questions/{question.id}").json
    assert detail["title"] == question.title and detail["author"]["username"] == "asker"
    assert [a["id"] for a in detail["answers"]] == [answer.id]
    assert "wake on LAN" in detail["answers"][0]["body_markdown"]
    member = client.get(f"{API}/members/helper").json
    assert member["username"] == "helper" and member["points"] == helper.points and "email" not in member


def test_question_lists_page_with_next_links(client, session):
    board, author = make_board(session, "phones"), make_user(session, "many")
    ids = [make_question(session, author, board, title=f"Phone question number {n} here").id for n in range(5)]
    page = client.get(f"{API}/questions", query_string={"limit": 2}).json
    seen = [q["id"] for q in page["questions"]]
    while page["next"]:
        page = client.get(page["next"]).json
        seen += [q["id"] for q in page["questions"]]
    assert sorted(seen) == sorted(ids) and len(seen) == 5
    newest = client.get(f"{API}/questions", query_string={"sort": "newest", "limit": 2}).json
    assert [q["id"] for q in newest["questions"]] == sorted(ids, reverse=True)[:2] and "sort=newest" in newest["next"]
    assert client.get(f"{API}/questions", query_string={"language": "el"}).json["questions"] == []
    assert len(client.get(f"{API}/questions", query_string={"language": "en"}).json["questions"]) == 5
    waiting = client.get(f"{API}/questions", query_string={"sort": "unanswered", "limit": 5}).json
    assert [q["id"] for q in waiting["questions"]] == sorted(ids)  # the oldest waiting first
    assert_error(client.get(f"{API}/questions", query_string={"limit": 1000}), 422, "invalid")
    assert_error(client.get(f"{API}/questions", query_string={"cursor": "garbage!"}), 400, "bad_request")


def test_hidden_and_withdrawn_posts_are_not_served(client, session, forum_world):
    from app.moderation import service as moderation

    _board, _asker, _helper, question, answer = forum_world
    moderator = make_user(session, "mod", role="moderator")
    moderation.hide_post(session, moderator, "answer", answer.id, "spam")
    session.commit()
    assert client.get(f"{API}/questions/{question.id}").json["answers"] == []
    escalation.escalate(session, moderator, question.id, escalation.EscalationDraft(category="billing", withdraw=True))
    session.commit()
    assert_error(client.get(f"{API}/questions/{question.id}"), 404, "not_found")
    assert question.id not in [q["id"] for q in client.get(f"{API}/questions").json["questions"]]


# --- writing -----------------------------------------------------------------------------------------


def test_ask_answer_kudos_accept_and_flag_through_the_api(client, session, token_for):
    make_board(session, "laptops")
    asker, helper = make_user(session, "asker"), make_user(session, "helper")
    asker_token, helper_token = token_for(asker), token_for(helper)
    asked = client.post(
        f"{API}/questions",
        headers=bearer(asker_token),
        json={"board": "laptops", "title": "Screen flickers at 60 Hz", "body": "Only on battery.", "tags": ["screen"]},
    )
    assert asked.status_code == 201 and asked.json["tags"] == ["screen"]
    question_id = asked.json["id"]
    answered = client.post(
        f"{API}/questions/{question_id}/answers",
        headers=bearer(helper_token),
        json={"body": "Disable panel self refresh."},
    )
    assert answered.status_code == 201
    answer_id = answered.json["id"]
    kudos = client.post(f"{API}/answers/{answer_id}/kudos", headers=bearer(asker_token))
    assert kudos.json == {"kudos_count": 1, "given": True}
    accepted = client.put(
        f"{API}/questions/{question_id}/solution", headers=bearer(asker_token), json={"answer_id": answer_id}
    )
    assert accepted.json == {"question_id": question_id, "accepted_answer_id": answer_id}
    assert session.get(Answer, answer_id).is_accepted
    # The same rules as the site: only the asker (or a moderator) accepts.
    assert_error(
        client.delete(f"{API}/questions/{question_id}/solution", headers=bearer(helper_token)), 403, "forbidden"
    )
    flagged = client.post(f"{API}/questions/{question_id}/flags", headers=bearer(helper_token), json={"reason": "spam"})
    assert flagged.status_code == 201
    assert session.scalar(select(Flag.reason).where(Flag.question_id == question_id)) == "spam"
    edited = client.patch(
        f"{API}/questions/{question_id}",
        headers=bearer(asker_token),
        json={"title": "Screen flickers at 60 Hz on battery"},
    )
    assert edited.json["title"] == "Screen flickers at 60 Hz on battery" and edited.json["tags"] == ["screen"]
    assert_error(
        client.patch(
            f"{API}/questions/{question_id}", headers=bearer(helper_token), json={"title": "Hijacked title here"}
        ),
        403,
        "forbidden",
    )


def test_bad_input_gets_the_error_shape_and_writes_nothing(client, session, token_for):
    make_board(session, "laptops")
    member = make_user(session, "typist")
    raw = token_for(member)
    short = client.post(f"{API}/questions", headers=bearer(raw), json={"board": "laptops", "title": "Hi", "body": "x"})
    assert "title" in assert_error(short, 422, "invalid")["fields"]
    broken = client.post(f"{API}/questions", headers=bearer(raw), data="{not json", content_type="application/json")
    assert_error(broken, 400, "bad_request")
    form = client.post(f"{API}/questions", headers=bearer(raw), data={"title": "x"})
    assert_error(form, 415, "unsupported_media_type")
    huge = client.post(
        f"{API}/questions", headers=bearer(raw), json={"board": "laptops", "title": "T" * 5000, "body": "b" * 10}
    )
    assert_error(huge, 422, "invalid")
    xss = client.post(
        f"{API}/questions",
        headers=bearer(raw),
        json={"board": "laptops", "title": "Script in the body here", "body": "<script>alert(1)</script> hello there"},
    )
    assert xss.status_code == 201 and "<script" not in xss.json["body_html"]
    assert_error(client.get(f"{API}/questions/99999999999"), 404, "not_found")
    assert_error(client.get(f"{API}/nothing-here"), 404, "not_found")
    assert_error(client.put(f"{API}/boards"), 405, "method_not_allowed")
    assert session.scalar(select(Question.id).where(Question.title == "Hi")) is None


def test_scopes_and_roles_limit_what_a_token_does(client, session, forum_world, token_for):
    _board, _asker, helper, question, _answer = forum_world
    read_only = token_for(helper, scopes=("read",))
    refused = client.post(
        f"{API}/questions/{question.id}/answers", headers=bearer(read_only), json={"body": "Try again."}
    )
    assert_error(refused, 403, "forbidden")
    assert_error(client.get(f"{API}/cases", headers=bearer(token_for(helper))), 403, "forbidden")
    staff = make_user(session, "agent", role="staff")
    assert client.get(f"{API}/cases", headers=bearer(token_for(staff, scopes=("read", "staff")))).status_code == 200
    assert_error(client.get(f"{API}/cases", headers=bearer(token_for(staff, scopes=("read",)))), 403, "forbidden")


def test_api_requests_are_rate_limited_per_token(tmp_path, postgres_schema):
    app = make_app(tmp_path, postgres_schema, RATELIMIT_ENABLED=True, API_RATE_LIMIT="3 per minute")
    from app.db import db

    with app.app_context(), db.scope() as session:
        member = make_user(session, "busy")
        with app.test_request_context():
            _token, raw = tokens.create(session, member, "busy", ["read"])
        session.commit()
    client = app.test_client()
    for _ in range(3):
        assert client.get(f"{API}/boards", headers=bearer(raw)).status_code == 200
    limited = client.get(f"{API}/boards", headers=bearer(raw))
    assert_error(limited, 429, "rate_limited")
    assert int(limited.headers["Retry-After"]) > 0
    # Another token is counted on its own.
    with app.app_context(), db.scope() as session:
        with app.test_request_context():
            _token, other = tokens.create(session, session.get(type(member), member.id), "other", ["read"])
        session.commit()
    assert client.get(f"{API}/boards", headers=bearer(other)).status_code == 200


# --- moderation and staff ----------------------------------------------------------------------------


def test_escalate_and_work_a_case_with_the_customer_over_the_api(client, session, forum_world, token_for):
    _board, asker, _helper, question, _answer = forum_world
    moderator = make_user(session, "mod", role="moderator")
    staff = make_user(session, "agent", role="staff")
    opened = client.post(
        f"{API}/questions/{question.id}/escalate",
        headers=bearer(token_for(moderator, scopes=("read", "moderate"))),
        json={"category": "billing", "priority": "high"},
    )
    assert opened.status_code == 201
    case_id = opened.json["id"]
    staff_token = token_for(staff, scopes=("read", "write", "staff"))
    inbox = client.get(f"{API}/cases", headers=bearer(staff_token), query_string={"category": "billing"}).json
    assert [c["id"] for c in inbox["cases"]] == [case_id]
    assign = client.post(f"{API}/cases/{case_id}/assignee", headers=bearer(staff_token), json={"assignee": "agent"})
    assert assign.json["assignee"]["username"] == "agent"
    note = client.post(
        f"{API}/cases/{case_id}/messages",
        headers=bearer(staff_token),
        json={"body": "Refund approved internally.", "internal": True},
    )
    assert note.status_code == 201
    reply = client.post(
        f"{API}/cases/{case_id}/messages", headers=bearer(staff_token), json={"body": "We refunded the charge."}
    )
    assert reply.status_code == 201
    customer = token_for(asker)
    seen = client.get(f"{API}/cases/{case_id}/messages", headers=bearer(customer)).json["messages"]
    assert [m["body_markdown"] for m in seen] == ["We refunded the charge."]  # never the internal note
    own_note = client.post(
        f"{API}/cases/{case_id}/messages", headers=bearer(customer), json={"body": "Sneaky note", "internal": True}
    )
    assert_error(own_note, 403, "forbidden")
    resolved = client.post(f"{API}/cases/{case_id}/status", headers=bearer(staff_token), json={"action": "resolve"})
    assert resolved.status_code == 200 and resolved.json["status"] == "resolved"
    bogus = client.post(f"{API}/cases/{case_id}/status", headers=bearer(staff_token), json={"action": "resolve"})
    assert_error(bogus, 409, "conflict")


def test_the_privacy_canary_through_the_api(client, session, forum_world, token_for):
    """A case's conversation: never for another member or a volunteer moderator, not even that it exists for the
    member; moderators see its status only."""
    _board, asker, helper, question, _answer = forum_world
    moderator = make_user(session, "mod", role="moderator")
    case = escalation.escalate(session, moderator, question.id, escalation.EscalationDraft(category="billing"))
    escalation.post_message(session, asker, case.id, "CANARY-4417 my card number ends 1234")
    session.commit()
    stranger = token_for(helper)
    assert_error(client.get(f"{API}/cases/{case.id}", headers=bearer(stranger)), 404, "not_found")
    assert_error(client.get(f"{API}/cases/{case.id}/messages", headers=bearer(stranger)), 404, "not_found")
    mod_token = token_for(moderator, scopes=("read", "write", "moderate"))
    assert client.get(f"{API}/cases/{case.id}", headers=bearer(mod_token)).status_code == 200
    refused = client.get(f"{API}/cases/{case.id}/messages", headers=bearer(mod_token))
    assert refused.status_code in (403, 404) and "CANARY-4417" not in refused.get_data(as_text=True)
    for path in ("/questions", f"/questions/{question.id}", "/search?q=CANARY"):
        assert "CANARY-4417" not in client.get(f"{API}{path}", headers=bearer(stranger)).get_data(as_text=True)
    assert session.scalar(select(CaseMessage.id).where(CaseMessage.body_source.contains("CANARY-4417")))


# --- the description ---------------------------------------------------------------------------------


def test_the_openapi_description_and_the_url_map_agree(app, client):
    described = client.get(f"{API}/openapi.json").json
    assert described["openapi"].startswith("3.1")
    documented = {(path, method.upper()) for path, operations in described["paths"].items() for method in operations}
    routed = set()
    for rule in app.url_map.iter_rules():
        if rule.endpoint.startswith("api.") and rule.endpoint not in ("api.openapi", "api.docs"):
            path = rule.rule
            for argument in rule.arguments:
                path = path.replace(f"<{argument}>", f"{{{argument}}}")
            import re

            path = re.sub(r"<[^:<>]+(?:\([^)]*\))?:(\w+)>", r"{\1}", path)
            routed |= {(path, method) for method in rule.methods - {"HEAD", "OPTIONS"}}
    assert documented == routed
    for operations in described["paths"].values():
        for operation in operations.values():
            for parameter in operation.get("parameters", []):
                assert parameter["schema"], parameter
            assert "422" in operation["responses"] or "200" in operation["responses"]


def test_the_docs_page_is_served_from_our_own_assets(client):
    page = client.get(f"{API}/docs")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "/api/v1/questions/{question_id}/answers" in html
    assert "cdn" not in html.lower() and "unpkg" not in html.lower()


ROLES = ("visitor", "member", "moderator", "staff", "admin")


@pytest.mark.parametrize("role", ROLES)
def test_each_role_reaches_exactly_the_api_routes_its_level_allows(app, client, session, forum_world, token_for, role):
    """Walk every API route with a token of each role (holding every scope the role allows): without a token a
    members' route answers 401, below its level 403; at or above it the gate lets the request through."""
    from tests.test_access import ACCESS

    _board, _asker, _helper, question, answer = forum_world
    moderator = make_user(session, "escalator", role="moderator")
    case = escalation.escalate(session, moderator, question.id, escalation.EscalationDraft(category="billing"))
    session.commit()
    headers = {}
    if role != "visitor":
        user = make_user(session, f"as_{role}", role=role)
        with app.test_request_context():
            scopes = tokens.scopes_for(user)
        headers = bearer(token_for(user, scopes=scopes))
    values = {
        "question_id": question.id,
        "answer_id": answer.id,
        "kind": "answers",
        "post_id": answer.id,
        "case_id": case.id,
        "token_id": 999999,
        "username": "asker",
    }
    import re

    for rule in app.url_map.iter_rules():
        if not rule.endpoint.startswith("api."):
            continue
        url = re.sub(r"<(?:[^<>]*:)?(\w+)>", lambda match: str(values[match.group(1)]), rule.rule)
        level, owner_checked = ACCESS[rule.endpoint]
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            response = client.open(url, method=method, headers=headers, json={} if method != "GET" else None)
            where = (rule.endpoint, method, role, response.status_code)
            allowed = ROLES.index(role) >= ROLES.index(level)
            if not allowed:
                assert response.status_code == (401 if role == "visitor" else 403), where
            else:
                assert response.status_code != 401, where
                if not owner_checked:
                    assert response.status_code != 403, where


def test_the_settings_page_creates_shows_once_and_revokes_tokens(client, session, login_as):
    member = make_user(session, "pager")
    login_as(member)
    page = client.form_post("/settings/tokens", {"name": "help desk", "scopes": ["read", "write"], "days": "30"})
    assert page.status_code == 200
    secret = next(word for word in page.get_data(as_text=True).replace('"', " ").split() if word.startswith("agora_"))
    assert client.get(f"{API}/tokens", headers=bearer(secret)).json["tokens"][0]["scopes"] == ["read", "write"]
    again = client.get("/settings/tokens").get_data(as_text=True)
    assert "help desk" in again and secret not in again  # shown once
    staff_scope = client.form_post("/settings/tokens", {"name": "sneaky", "scopes": ["staff"], "days": "30"})
    assert staff_scope.status_code == 422 and "sneaky" in staff_scope.get_data(as_text=True)  # what was typed stays
    token_id = session.scalar(select(ApiToken.id).where(ApiToken.user_id == member.id))
    login_as(make_user(session, "other"))
    assert client.form_post(f"/settings/tokens/{token_id}/revoke").status_code == 404
    login_as(member)
    assert client.form_post(f"/settings/tokens/{token_id}/revoke").status_code == 302
    assert_error(client.get(f"{API}/tokens", headers=bearer(secret)), 401, "unauthorized")

"""Sign-in with the company's account, against a real OpenID Connect provider on 127.0.0.1 (tests/oidc_provider.py):
real discovery, JWKS, signed ID tokens and single-use codes; the provider misbehaves on request, Agora must refuse."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from urllib.parse import parse_qs, urlencode, urlsplit, urlunsplit

import pytest
import requests
from flask import Flask
from sqlalchemy import func, select

from app.accounts.models import ExternalIdentity, User, UserSession
from app.auth.permissions import can
from app.db import db, utcnow
from tests.conftest import Client, make_app
from tests.factories import PASSWORD, make_user
from tests.oidc_provider import Provider

PUBLIC_URL = "http://localhost"
CSRF = re.compile(r'name="([\w-]*csrf_token)"[^>]*value="([^"]+)"')


@pytest.fixture(scope="module")
def running_provider() -> Iterator[Provider]:
    provider = Provider().start()
    provider.client.redirect_uris = [f"{PUBLIC_URL}/login/company/callback"]
    yield provider
    provider.stop()


@pytest.fixture
def provider(running_provider: Provider) -> Provider:
    """The module's provider, forgetting what the previous test did to it."""
    running_provider.codes.clear()
    running_provider.people.clear()
    running_provider.token_requests.clear()
    running_provider.authorization_requests.clear()
    running_provider.signed_in = None
    running_provider.tamper = None
    return running_provider


def company_app(tmp_path: Path, postgres_schema: str | None, provider: Provider, **overrides: object) -> Flask:
    app = make_app(
        tmp_path,
        postgres_schema,
        OIDC_ISSUER=provider.issuer,
        OIDC_CLIENT_ID=provider.client.client_id,
        OIDC_CLIENT_SECRET=provider.client.client_secret,
        PUBLIC_URL=PUBLIC_URL,
        **overrides,
    )
    app.test_client_class = Client
    return app


@pytest.fixture
def app(tmp_path: Path, postgres_schema: str | None, provider: Provider) -> Iterator[Flask]:
    app = company_app(tmp_path, postgres_schema, provider)
    yield app
    with app.app_context():
        db.engine.dispose()


def tokens(client: Client, path: str = "/login") -> dict[str, str]:
    page = client.get(path).get_data(as_text=True)
    return dict(CSRF.findall(page))


def to_provider(client: Client, next_page: str | None = None) -> str:
    """Press the company sign-in button; returns the provider's authorization URL Agora redirected to."""
    url = "/login/company" + (f"?{urlencode({'next': next_page})}" if next_page else "")
    response = client.post(url, data={"csrf_token": tokens(client)["csrf_token"]})
    assert response.status_code == 302, response.get_data(as_text=True)
    return response.headers["Location"]


def back_from_provider(authorization_url: str) -> str:
    """The browser at the provider (someone is signed in there): the path and query it is sent back to."""
    answer = requests.get(authorization_url, allow_redirects=False, timeout=10)
    assert answer.status_code == 302, answer.text
    parts = urlsplit(answer.headers["Location"])
    assert f"{parts.scheme}://{parts.netloc}" == PUBLIC_URL
    return urlunsplit(("", "", parts.path, parts.query, ""))


def company_sign_in(client: Client, next_page: str | None = None):
    return client.get(back_from_provider(to_provider(client, next_page)))


def count(session, model, *where) -> int:
    return session.scalar(select(func.count()).select_from(model).where(*where))


def signed_in_as(client: Client) -> str | None:
    with client.session_transaction() as sess:
        return sess.get("_user_id")


# --- the happy paths ---


def test_first_sign_in_creates_the_member_with_a_link_and_a_sign_in_session(client, session, provider):
    provider.signed_in = provider.person(
        "emp-1001", email="Maria.K@example.com", email_verified=True, preferred_username="maria_k", name="Maria K"
    )
    authorization_url = to_provider(client, next_page="/questions")
    request = parse_qs(urlsplit(authorization_url).query)
    # PKCE with S256, a nonce and a state, all on the way out.
    assert request["code_challenge_method"] == ["S256"] and request["code_challenge"][0]
    assert request["nonce"][0] and request["state"][0]
    assert request["redirect_uri"] == [f"{PUBLIC_URL}/login/company/callback"]

    response = client.get(back_from_provider(authorization_url))

    assert response.status_code == 302 and response.headers["Location"] == "/questions"
    user = session.scalar(select(User).where(User.username == "maria_k"))
    assert user is not None and user.email == "maria.k@example.com" and user.display_name == "Maria K"
    assert user.role == "member"
    link = session.scalar(select(ExternalIdentity).where(ExternalIdentity.user_id == user.id))
    assert (link.issuer, link.subject) == (provider.issuer, "emp-1001")
    assert count(session, UserSession, UserSession.user_id == user.id, UserSession.revoked_at.is_(None)) == 1
    assert signed_in_as(client).startswith(f"{user.id}:")
    assert provider.token_requests == ["issued"]
    # No password opens the new account.
    page = client.get("/").get_data(as_text=True)
    assert "maria_k" in page or "Maria K" in page


def test_the_second_sign_in_finds_the_same_member(app, session, provider):
    provider.signed_in = provider.person("emp-7", email="sam@example.com", preferred_username="sam_c")
    first, second = app.test_client(), app.test_client()
    assert company_sign_in(first).status_code == 302
    provider.person("emp-7", email="sam.new@example.com", preferred_username="someone_else")
    assert company_sign_in(second).status_code == 302
    assert count(session, User) == 1
    user = session.scalar(select(User))
    assert user.username == "sam_c"  # the link names the member, not the claims of the day
    assert count(session, UserSession, UserSession.user_id == user.id) == 2


def test_a_taken_username_asks_the_member_for_another(client, session, provider):
    make_user(session, "maria", email="someone.else@example.com")
    provider.signed_in = provider.person("emp-2", email="maria@company.example", preferred_username="maria")

    response = company_sign_in(client)

    assert response.status_code == 302 and response.headers["Location"] == "/login/company/finish"
    assert signed_in_as(client) is None and count(session, User) == 1
    page = client.get("/login/company/finish")
    text = page.get_data(as_text=True)
    assert page.status_code == 200 and "That username is taken." in text and 'value="maria"' in text

    token = tokens(client, "/login/company/finish")["new-csrf_token"]
    refused = client.post("/login/company/create", data={"new-csrf_token": token, "new-username": "Maria"})
    assert refused.status_code == 422 and 'value="Maria"' in refused.get_data(as_text=True)
    bad = client.post("/login/company/create", data={"new-csrf_token": token, "new-username": "<b>x</b>"})
    assert bad.status_code == 422 and "<b>x</b>" not in bad.get_data(as_text=True)
    assert count(session, User) == 1

    done = client.post("/login/company/create", data={"new-csrf_token": token, "new-username": "maria_c"})
    assert done.status_code == 302
    user = session.scalar(select(User).where(User.username == "maria_c"))
    assert user.email == "maria@company.example"
    assert count(session, ExternalIdentity, ExternalIdentity.user_id == user.id) == 1
    assert signed_in_as(client).startswith(f"{user.id}:")


def test_an_unusable_username_claim_and_a_hostile_name_are_handled(client, session, provider):
    provider.signed_in = provider.person(
        "emp-3", email="x@company.example", preferred_username="Jan Kowalski", name="<script>alert(1)</script>"
    )
    assert company_sign_in(client).headers["Location"] == "/login/company/finish"
    page = client.get("/login/company/finish").get_data(as_text=True)
    assert "<script>alert(1)</script>" not in page
    assert "Use only letters, digits, dashes and underscores in a username." in page


def test_an_existing_account_is_linked_only_after_its_password(client, session, provider):
    member = make_user(session, "piotr", email="piotr@example.com")
    provider.signed_in = provider.person(
        "emp-4", email="piotr@example.com", email_verified=True, preferred_username="p"
    )

    assert company_sign_in(client).headers["Location"] == "/login/company/finish"
    # Never by e-mail address alone: nobody is signed in, nothing is linked.
    assert signed_in_as(client) is None and count(session, ExternalIdentity) == 0
    page = client.get("/login/company/finish").get_data(as_text=True)
    assert 'name="new-username"' not in page  # that address already has an account: only linking is offered

    token = tokens(client, "/login/company/finish")["link-csrf_token"]
    wrong = client.post(
        "/login/company/link", data={"link-csrf_token": token, "link-login": "piotr", "link-password": "not it at all"}
    )
    assert wrong.status_code == 422 and 'value="piotr"' in wrong.get_data(as_text=True)
    assert count(session, ExternalIdentity) == 0 and signed_in_as(client) is None

    right = client.post(
        "/login/company/link", data={"link-csrf_token": token, "link-login": "piotr", "link-password": PASSWORD}
    )
    assert right.status_code == 302
    link = session.scalar(select(ExternalIdentity))
    assert (link.user_id, link.subject) == (member.id, "emp-4")
    assert signed_in_as(client).startswith(f"{member.id}:")


def test_finishing_needs_a_pending_company_sign_in(client):
    assert client.get("/login/company/finish").status_code == 403
    response = client.post("/login/company/create", data={"new-username": "nobody_here"})
    assert response.status_code in (400, 403)


# --- what must be refused ---


def test_a_forged_state_is_refused_before_the_code_is_used(client, session, provider):
    provider.signed_in = provider.person("emp-5", email="f@example.com", preferred_username="forged")
    back = back_from_provider(to_provider(client))
    parts = urlsplit(back)
    query = parse_qs(parts.query)
    query["state"] = ["a-state-we-never-issued"]
    forged = client.get(f"{parts.path}?{urlencode(query, doseq=True)}")
    assert forged.status_code == 400
    no_state = client.get(f"{parts.path}?code={query['code'][0]}")
    assert no_state.status_code == 400
    assert provider.token_requests == []  # the code never left Agora
    assert count(session, User) == 0 and count(session, UserSession) == 0


def test_a_state_from_another_browser_is_refused(app, session, provider):
    """Login CSRF: an attacker's own callback URL, opened in the victim's browser, signs nobody in."""
    provider.signed_in = provider.person("attacker", email="a@example.com", preferred_username="attacker")
    attacker, victim = app.test_client(), app.test_client()
    back = back_from_provider(to_provider(attacker))
    tokens(victim)
    assert victim.get(back).status_code == 400
    assert count(session, User) == 0 and provider.token_requests == []


def test_a_replayed_code_is_refused(client, session, provider):
    provider.signed_in = provider.person("emp-6", email="r@example.com", preferred_username="replayed")
    back = back_from_provider(to_provider(client))
    cookie = client.get_cookie("session").value  # the browser's session, state and PKCE verifier included
    assert client.get(back).status_code == 302
    assert count(session, UserSession) == 1

    # Someone who copied both the cookie and the callback URL tries the code again.
    thief = client.application.test_client()
    thief.set_cookie("session", cookie, domain="localhost")
    assert thief.get(back).status_code == 400
    assert provider.token_requests == ["issued", "invalid_grant"]
    assert count(session, UserSession) == 1


# What Authlib's refusal names, so each case fails for its own reason and not another check's.
REASONS = {"audience": "'aud'", "expired": "expired_token", "signature": "bad_signature", "nonce": "'nonce'"}


@pytest.mark.parametrize("tamper", sorted(REASONS))
def test_an_id_token_that_fails_its_checks_is_refused(client, session, provider, tamper, caplog):
    provider.signed_in = provider.person("emp-8", email="t@example.com", preferred_username="tampered")
    provider.tamper = tamper
    response = company_sign_in(client)
    assert response.status_code == 400
    refusals = [r.getMessage() for r in caplog.records if "company sign-in refused" in r.getMessage()]
    assert len(refusals) == 1 and REASONS[tamper] in refusals[0], refusals
    assert provider.token_requests == ["issued"]  # the provider answered; Agora refused what it said
    assert count(session, User) == 0 and count(session, UserSession) == 0
    assert signed_in_as(client) is None


def test_an_oversized_subject_is_refused(client, session, provider):
    provider.signed_in = provider.person("s" * 300, email="big@example.com", preferred_username="big")
    assert company_sign_in(client).status_code == 400
    assert count(session, User) == 0


def test_a_suspended_member_is_refused(client, session, provider):
    member = make_user(session, "suspended_one", email="susp@example.com")
    provider.signed_in = provider.person("emp-9", email="susp@example.com", preferred_username="suspended_one")
    session.add(ExternalIdentity(user_id=member.id, issuer=provider.issuer, subject="emp-9"))
    member.suspended_at = utcnow()
    member.suspended_until = utcnow() + timedelta(days=3)
    session.commit()

    response = company_sign_in(client)

    assert response.status_code == 403
    assert "suspended" in response.get_data(as_text=True)
    assert count(session, UserSession) == 0 and signed_in_as(client) is None


def test_a_suspended_member_cannot_link_either(client, session, provider):
    make_user(session, "held", email="held@example.com", suspended_at=utcnow())
    provider.signed_in = provider.person("emp-10", email="held@example.com", preferred_username="held")
    company_sign_in(client)
    token = tokens(client, "/login/company/finish")["link-csrf_token"]
    response = client.post(
        "/login/company/link", data={"link-csrf_token": token, "link-login": "held", "link-password": PASSWORD}
    )
    assert response.status_code == 403
    assert count(session, ExternalIdentity) == 0 and count(session, UserSession) == 0


def test_only_the_sign_in_page_may_send_a_form_on_to_the_provider(client, provider):
    """Browsers check CSP form-action against the redirect that answers the button, so the sign-in page names
    the provider; every other page keeps form-action 'self'."""
    policy = client.get("/login").headers["Content-Security-Policy"]
    assert f"form-action 'self' {provider.issuer}" in policy
    assert "form-action 'self';" in client.get("/").headers["Content-Security-Policy"] + ";"


def test_the_button_needs_a_csrf_token(client, provider):
    assert client.post("/login/company").status_code == 400
    assert provider.authorization_requests == []


# --- SSO-only mode ---


@pytest.fixture
def company_only_app(tmp_path: Path, postgres_schema: str | None, provider: Provider) -> Iterator[Flask]:
    app = company_app(tmp_path, postgres_schema, provider, OIDC_ONLY=True, OIDC_BUTTON_TEXT="Sign in with Nimbus ID")
    yield app
    with app.app_context():
        db.engine.dispose()


def test_company_only_mode_hides_passwords_from_members_and_keeps_the_admins_fallback(company_only_app, provider):
    app = company_only_app
    client = app.test_client()
    with app.app_context(), db.scope() as setup:
        setup.info["app"] = app
        member = make_user(setup, "member_m")
        admin = make_user(setup, "admin_a", role="admin")
        assert not can(member, "use_password") and can(admin, "use_password")

    page = client.get("/login").get_data(as_text=True)
    assert "Sign in with Nimbus ID" in page
    assert 'type="password"' not in page and "data-password-sign-in" not in page
    # "Join" leads to the sign-in page, which says that the first company sign-in creates the account.
    joined = client.get("/register", follow_redirects=True)
    assert joined.request.path == "/login" and "creates your account" in joined.get_data(as_text=True)

    # A member's right password opens nothing here...
    fallback = client.get("/login?local=1").get_data(as_text=True)
    assert 'type="password"' in fallback
    csrf = dict(CSRF.findall(fallback))["csrf_token"]
    refused = client.post("/login", data={"csrf_token": csrf, "login": "member_m", "password": PASSWORD})
    assert refused.status_code == 422 and signed_in_as(client) is None
    # ...an admin's does.
    allowed = client.post("/login", data={"csrf_token": csrf, "login": "admin_a", "password": PASSWORD})
    assert allowed.status_code == 302 and signed_in_as(client).startswith(f"{admin.id}:")

    # Members still come in through the company.
    provider.signed_in = provider.person("emp-11", email="new@example.com", preferred_username="newcomer")
    other = app.test_client()
    assert company_sign_in(other).status_code == 302


def test_without_an_issuer_there_is_no_company_sign_in(tmp_path, postgres_schema):
    app = make_app(tmp_path, postgres_schema)
    client = app.test_client()
    assert "data-company-sign-in" not in client.get("/login").get_data(as_text=True)
    assert client.post("/login/company", data={"csrf_token": tokens(client)["csrf_token"]}).status_code == 404
    assert client.get("/login/company/callback?code=x&state=y").status_code == 404
    with app.app_context():
        db.engine.dispose()


def test_company_sign_in_is_rate_limited(tmp_path, postgres_schema, provider):
    app = company_app(tmp_path, postgres_schema, provider, RATELIMIT_ENABLED=True, OIDC_RATE_LIMIT="2 per minute")
    client = app.test_client()
    csrf = tokens(client)["csrf_token"]
    statuses = [client.post("/login/company", data={"csrf_token": csrf}).status_code for _ in range(3)]
    assert statuses == [302, 302, 429]
    with app.app_context():
        db.engine.dispose()


def test_linking_counts_against_the_accounts_sign_in_limit(tmp_path, postgres_schema, provider):
    """Guessing an account's password through the link form is no way round the per-account sign-in limit."""
    app = company_app(
        tmp_path, postgres_schema, provider, RATELIMIT_ENABLED=True, LOGIN_ACCOUNT_RATE_LIMIT="2 per 15 minutes"
    )
    client = app.test_client()
    with app.app_context(), db.scope() as setup:
        setup.info["app"] = app
        make_user(setup, "target", email="target@example.com")
    provider.signed_in = provider.person("emp-12", email="target@example.com", preferred_username="target")
    company_sign_in(client)
    token = tokens(client, "/login/company/finish")["link-csrf_token"]
    guesses = [
        client.post(
            "/login/company/link",
            data={"link-csrf_token": token, "link-login": "target", "link-password": f"guess {n}"},
        ).status_code
        for n in range(3)
    ]
    assert guesses == [422, 422, 429]
    right = client.post(
        "/login/company/link", data={"link-csrf_token": token, "link-login": "target", "link-password": PASSWORD}
    )
    assert right.status_code == 429  # even the right password waits
    with app.app_context(), db.scope() as check:
        assert count(check, ExternalIdentity) == 0
        db.engine.dispose()


def test_an_unreachable_provider_is_a_clear_503_not_an_error_page(tmp_path, postgres_schema):
    import socket

    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        closed = probe.getsockname()[1]
    app = make_app(
        tmp_path, postgres_schema, OIDC_ISSUER=f"http://127.0.0.1:{closed}", OIDC_CLIENT_ID="x", OIDC_CLIENT_SECRET="y"
    )
    client = app.test_client()
    page = client.get("/login")
    assert page.status_code == 200 and "data-company-sign-in" in page.get_data(as_text=True)
    csrf = dict(CSRF.findall(page.get_data(as_text=True)))["csrf_token"]
    response = client.post("/login/company", data={"csrf_token": csrf})
    assert response.status_code == 503 and "data-company-sign-in-failed" in response.get_data(as_text=True)
    with app.app_context():
        db.engine.dispose()


def test_the_finish_page_is_accessible(client, session, provider):
    """Field purposes for password managers, errors tied to their field, no "None" attributes, no skipped heading."""
    from tests.test_accessibility import Page

    make_user(session, "taken", email="taken@example.com")
    provider.signed_in = provider.person("emp-13", email="new13@example.com", preferred_username="taken")
    company_sign_in(client)
    html = client.get("/login/company/finish").get_data(as_text=True)
    page = Page(html)
    assert page.by_id("new-username")["autocomplete"] == "username"
    assert page.by_id("new-username")["aria-invalid"] == "true"
    assert "new-username-error" in page.by_id("new-username")["aria-describedby"]
    assert page.by_id("link-login")["autocomplete"] == "username"
    assert page.by_id("link-password")["autocomplete"] == "current-password"
    assert page.headings[:3] == [1, 2, 2]
    assert '="None"' not in html

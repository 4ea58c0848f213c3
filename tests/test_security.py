"""Security defaults: headers on every response, cookies, production settings."""

from __future__ import annotations

import pytest

import app as agora
from app import create_app
from app.db import db
from tests.factories import make_board, make_question, make_user

EXPECTED_CSP = "default-src 'self'; script-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'"


def test_every_kind_of_response_carries_the_security_headers(client, session):
    board = make_board(session, "laptops")
    question = make_question(session, make_user(session), board)
    responses = [
        client.get("/"),
        client.get(f"/questions/{question.id}/{question.slug}"),
        client.get("/nowhere"),  # 404 page
        client.post("/register", data={}),  # CSRF failure page
        client.get("/static/css/app.css"),
        client.get(f"/questions/{question.id}"),  # redirect
    ]
    for response in responses:
        csp = response.headers["Content-Security-Policy"]
        assert csp.startswith(EXPECTED_CSP), response.request.path
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert response.headers["Referrer-Policy"] == "strict-origin-when-cross-origin"


def test_pages_need_no_inline_script_or_style(client, session, login_as):
    board = make_board(session, "laptops")
    question = make_question(session, make_user(session), board)
    login_as(make_user(session))
    for url in ("/", "/ask", f"/questions/{question.id}/{question.slug}", "/settings/profile", "/boards/laptops"):
        page = client.get(url).get_data(as_text=True)
        assert "<script>" not in page and " style=" not in page and "<style" not in page, url
        assert "http://" not in page.replace("http://www.w3.org", "") and "https://" not in page, url


@pytest.fixture
def no_search_catch_up(monkeypatch):
    """A production app built here has no migrated database, so the search catch-up its first request starts in
    a thread would fail and format a traceback there, while the test builds its next app. Both parse Python
    (the traceback's error marks and Werkzeug's URL rules call ast.parse), which CPython 3.11 does not make
    safe across threads: 'SystemError: AST constructor recursion depth mismatch' (python/cpython#106905)."""
    monkeypatch.setattr(agora, "_catch_up_once", lambda app: lambda: None)


def test_production_refuses_to_start_without_a_real_secret_key(monkeypatch):
    for value in (None, "", "dev-only-not-secret", "short"):
        if value is None:
            monkeypatch.delenv("SECRET_KEY", raising=False)
        else:
            monkeypatch.setenv("SECRET_KEY", value)
        with pytest.raises(RuntimeError, match="SECRET_KEY"):
            create_app("production")


def test_production_cookies_are_secure(monkeypatch, tmp_path, no_search_catch_up):
    monkeypatch.setenv("SECRET_KEY", "x" * 48)
    monkeypatch.setenv("DATABASE_URL", "sqlite://")
    monkeypatch.setenv("AGORA_INSTANCE_DIR", str(tmp_path))
    monkeypatch.delenv("SESSION_COOKIE_SECURE", raising=False)
    app = create_app("production")
    assert app.config["SESSION_COOKIE_SECURE"] and app.config["REMEMBER_COOKIE_SECURE"]
    assert app.config["SESSION_COOKIE_HTTPONLY"] and app.config["SESSION_COOKIE_SAMESITE"] == "Lax"
    response = app.test_client().get("/register")  # the form's CSRF token starts a session
    cookie = response.headers["Set-Cookie"]
    assert cookie.startswith("session=") and "; Secure" in cookie and "; HttpOnly" in cookie, cookie


def test_the_environment_is_read_when_the_app_is_built_not_when_config_is_imported(monkeypatch, tmp_path):
    import config

    assert config.settings_for  # imported long before the variables below are set
    url = f"sqlite:///{tmp_path / 'chosen.db'}"
    monkeypatch.setenv("DATABASE_URL", url)
    monkeypatch.setenv("AGORA_INSTANCE_DIR", str(tmp_path / "instance"))
    app = create_app("development")
    assert app.config["DATABASE_URL"] == url
    assert app.instance_path == str(tmp_path / "instance")
    assert app.config["SEARCH_INDEX_DIR"] == str(tmp_path / "instance" / "search-index")
    with app.app_context():
        assert db.engine.url.render_as_string() == url
        db.engine.dispose()


def test_private_pages_are_never_stored_by_a_cache(client, session, login_as):
    board = make_board(session, "laptops")
    question = make_question(session, make_user(session), board)
    public = client.get(f"/questions/{question.id}/{question.slug}")
    assert "no-store" not in public.headers.get("Cache-Control", "")  # a visitor's public page may be cached
    assert client.get("/notifications").headers["Cache-Control"] == "no-store"  # the sign-in redirect too
    assert client.get("/unsubscribe/some-signed-token").headers["Cache-Control"] == "no-store"
    login_as(make_user(session, "nina", role="staff"))
    for url in (
        "/notifications",
        "/settings/profile",
        "/settings/notifications",
        "/cases",
        "/staff",
        "/insights",
        f"/questions/{question.id}/{question.slug}",  # signed in, a page carries the member's own header
    ):
        response = client.get(url)
        assert response.status_code == 200, url
        assert response.headers["Cache-Control"] == "no-store", url


def test_production_asks_browsers_for_https_only(monkeypatch, tmp_path, no_search_catch_up):
    monkeypatch.setenv("SECRET_KEY", "x" * 48)
    monkeypatch.setenv("AGORA_INSTANCE_DIR", str(tmp_path))  # not the checkout's own instance folder
    app = create_app({"ENV_NAME": "production", "DATABASE_URL": "sqlite://"})
    hsts = app.test_client().get("/static/css/app.css").headers["Strict-Transport-Security"]
    assert int(hsts.removeprefix("max-age=")) >= 365 * 24 * 3600
    app = create_app({"ENV_NAME": "production", "DATABASE_URL": "sqlite://", "HSTS_MAX_AGE": 0})
    assert "Strict-Transport-Security" not in app.test_client().get("/static/css/app.css").headers
    assert "Strict-Transport-Security" not in create_app("testing").test_client().get("/static/css/app.css").headers


def test_oversized_request_bodies_are_refused(client, session, login_as):
    login_as(make_user(session))
    response = client.post("/ask", data={"body": "x" * (2 * 1024 * 1024)})
    assert response.status_code == 413
    assert "larger than we accept" in response.get_data(as_text=True)


def test_sign_in_is_rate_limited(tmp_path, postgres_schema):
    from tests.conftest import Client, make_app

    app = make_app(tmp_path, postgres_schema, RATELIMIT_ENABLED=True, LOGIN_RATE_LIMIT="3 per minute")
    app.test_client_class = Client
    client = app.test_client()
    token = client.csrf()
    statuses = [
        client.post("/login", data={"login": "x", "password": "wrong", "csrf_token": token}).status_code
        for _ in range(4)
    ]
    assert statuses == [422, 422, 422, 429]
    response = client.post("/login", data={"login": "x", "password": "wrong", "csrf_token": token})
    assert "too often" in response.get_data(as_text=True)


def test_posting_is_rate_limited_and_the_text_is_not_lost(tmp_path, postgres_schema):
    from tests.conftest import Client, make_app, sign_in

    app = make_app(
        tmp_path,
        postgres_schema,
        RATELIMIT_ENABLED=True,
        POST_RATE_LIMIT="9 per minute",
        NEW_ACCOUNT_POST_RATE_LIMIT="2 per minute",  # the author signed up today: the tighter limit applies
    )
    app.test_client_class = Client
    with app.app_context():
        setup = db.new_session()
        author = make_user(setup)
        question = make_question(setup, author, make_board(setup, "laptops"))
        setup.close()
    client = app.test_client()
    sign_in(client, author)
    url = f"/questions/{question.id}/answers"
    statuses = [
        client.form_post(url, {"body": f"Answer {n}: reinstall the Wi-Fi driver"}).status_code for n in range(2)
    ]
    assert statuses == [302, 302]
    response = client.form_post(url, {"body": "Answer 3: this one must not be lost to the limit"})
    assert response.status_code == 429
    page = response.get_data(as_text=True)
    assert "too often" in page and "Answer 3: this one must not be lost to the limit" in page


def test_error_pages_never_echo_passwords(client):
    response = client.post("/login", data={"login": "someone@example.com", "password": "my secret password 123"})
    assert response.status_code == 400  # no CSRF token
    assert "my secret password 123" not in response.get_data(as_text=True)

"""Sign-in sessions end on the server: old cookies replayed after sign-out, "sign out everywhere", a
password change, a suspension or a role change find nobody signed in; sign-in renews the session."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select, update

from app.accounts import service as accounts
from app.accounts import sessions
from app.accounts.models import UserSession
from app.db import utcnow
from app.errors import ValidationFailed
from app.moderation import service as moderation
from tests.conftest import CSRF_PATTERN
from tests.factories import PASSWORD, make_user

COOKIES = ("session", "remember_token")


def sign_in(client, login: str, password: str = PASSWORD) -> dict[str, str]:
    """Sign in through the form with "keep me signed in", and return the cookies a thief could save."""
    response = client.form_post("/login", {"login": login, "password": password, "remember": "y"})
    assert response.status_code == 302
    return saved_cookies(client)


def saved_cookies(client) -> dict[str, str]:
    return {name: client.get_cookie(name).value for name in COOKIES if client.get_cookie(name) is not None}


def replay(client, cookies: dict[str, str]) -> None:
    for name in COOKIES:
        client.delete_cookie(name)
    for name, value in cookies.items():
        client.set_cookie(name, value)


def signed_in(client) -> bool:
    response = client.get("/settings/profile")
    assert response.status_code in (200, 302)
    return response.status_code == 200


def each_cookie_alone(cookies: dict[str, str]) -> list[dict[str, str]]:
    """The session cookie alone, the remember-me cookie alone, and both together."""
    assert set(cookies) == set(COOKIES)
    return [{"session": cookies["session"]}, {"remember_token": cookies["remember_token"]}, cookies]


def assert_cookies_are_dead(client, cookies: dict[str, str]) -> None:
    for replayed in each_cookie_alone(cookies):
        replay(client, replayed)
        assert not signed_in(client), sorted(replayed)


def test_signing_out_ends_that_session_and_its_remember_cookie_but_not_other_devices(app, client, session):
    make_user(session, "lucy_h")
    laptop = client
    phone = app.test_client()
    cookies = sign_in(laptop, "lucy_h")
    sign_in(phone, "lucy_h")
    for replayed in each_cookie_alone(cookies):  # the saved cookies work while the session lives
        replay(laptop, replayed)
        assert signed_in(laptop), sorted(replayed)

    assert laptop.form_post("/logout").status_code == 302
    assert_cookies_are_dead(laptop, cookies)
    assert signed_in(phone)  # signing out on the laptop leaves the phone signed in
    ended = session.scalars(select(UserSession).where(UserSession.revoked_at.is_not(None))).all()
    assert len(ended) == 1


def test_sign_out_everywhere_ends_every_session_including_this_one(app, client, session):
    make_user(session, "lucy_h")
    phone = app.test_client()
    laptop_cookies = sign_in(client, "lucy_h")
    phone_cookies = sign_in(phone, "lucy_h")
    page = client.get("/settings/profile").get_data(as_text=True)
    assert 'action="/settings/sign-out-everywhere"' in page
    assert client.post("/settings/sign-out-everywhere").status_code == 400  # no CSRF token

    response = client.form_post("/settings/sign-out-everywhere")
    assert response.status_code == 302
    assert not signed_in(client)
    assert not signed_in(phone)
    assert_cookies_are_dead(client, laptop_cookies)
    assert_cookies_are_dead(phone, phone_cookies)
    sign_in(client, "lucy_h")  # and signing in again works
    assert signed_in(client)


def test_suspension_ends_every_session(app, client, session):
    make_user(session, "lucy_h")
    moderator = make_user(session, "mod_elena", role="moderator")
    cookies = sign_in(client, "lucy_h")
    moderation.suspend(session, moderator, "lucy_h", 7, "Spam links in every answer.")
    session.commit()
    assert_cookies_are_dead(client, cookies)


def test_role_change_ends_every_session(app, client, session):
    make_user(session, "lucy_h")
    cookies = sign_in(client, "lucy_h")
    accounts.set_role(session, "lucy_h", "moderator")
    session.commit()
    assert_cookies_are_dead(client, cookies)


def test_changing_the_password_checks_the_current_one_and_ends_every_session(app, client, session):
    user = make_user(session, "lucy_h")
    cookies = sign_in(client, "lucy_h")
    with pytest.raises(ValidationFailed):
        accounts.change_password(session, user, "not the password", "a brand new passphrase")
    with pytest.raises(ValidationFailed):
        accounts.change_password(session, user, PASSWORD, "short")
    session.rollback()
    assert signed_in(client)

    accounts.change_password(session, user, PASSWORD, "a brand new passphrase")
    session.commit()
    assert_cookies_are_dead(client, cookies)
    assert accounts.authenticate(session, "lucy_h", PASSWORD) is None
    replay(client, {})
    sign_in(client, "lucy_h", "a brand new passphrase")
    assert signed_in(client)


def test_a_session_ends_when_its_remember_me_cookie_would_have_expired(client, session):
    make_user(session, "lucy_h")
    cookies = sign_in(client, "lucy_h")
    month_ago = utcnow() - timedelta(days=31)
    session.execute(update(UserSession).values(created_at=month_ago, last_seen_at=month_ago))
    assert_cookies_are_dead(client, cookies)


def test_a_cookie_with_only_a_member_id_signs_nobody_in(client, session):
    """Cookies from before sign-in sessions existed (or forged without a session) are refused."""
    user = make_user(session, "lucy_h")
    with client.session_transaction() as sess:
        sess["_user_id"] = str(user.id)
    assert not signed_in(client)


def test_a_csrf_token_from_before_sign_in_is_refused_after_it(client, session):
    make_user(session, "lucy_h")
    page = client.get("/login").get_data(as_text=True)
    planted = CSRF_PATTERN.search(page).group(1)  # a visitor's token, or one an attacker planted
    response = client.post("/login", data={"login": "lucy_h", "password": PASSWORD, "csrf_token": planted})
    assert response.status_code == 302
    response = client.post(
        "/settings/profile", data={"display_name": "Pwned", "bio": "", "locale": "en", "csrf_token": planted}
    )
    assert response.status_code == 400
    assert client.form_post("/settings/profile", {"display_name": "Lucy", "bio": "", "locale": "en"}).status_code == 302


def test_sign_in_keeps_only_the_language_from_the_visitors_session(client, session):
    make_user(session, "lucy_h", locale="en")
    client.form_post("/language", {"locale": "pl"})
    with client.session_transaction() as sess:
        sess["planted"] = "by someone else"
    sign_in(client, "lucy_h")
    with client.session_transaction() as sess:
        assert "planted" not in sess
        assert sess["locale"] == "pl"


def test_client_summary_names_browser_and_system() -> None:
    firefox = "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0"
    edge = (
        "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
        "Chrome/120.0.0.0 Safari/537.36 Edg/120.0.0.0"
    )
    iphone = (
        "Mozilla/5.0 (iPhone; CPU iPhone OS 17_2 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
        "Version/17.2 Mobile/15E148 Safari/604.1"
    )
    assert sessions.client_summary(firefox) == "Firefox on Linux"
    assert sessions.client_summary(edge) == "Edge on Windows"
    assert sessions.client_summary(iphone) == "Safari on iOS"
    assert sessions.client_summary("") == "Unknown client"
    assert len(sessions.client_summary("x" * 1000)) <= sessions.CLIENT_MAX

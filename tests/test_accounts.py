"""Registering, signing in and out, profiles and languages, through HTTP with CSRF on."""

from __future__ import annotations

from sqlalchemy import select

from app.accounts.models import User
from app.notifications.models import EmailMessage
from tests.factories import PASSWORD, make_user


def register(client, **fields):
    data = {"username": "anna_k", "email": "anna@example.com", "password": PASSWORD, "confirm": PASSWORD}
    data.update(fields)
    return client.form_post("/register", data)


def test_register_hashes_with_argon2id_and_mails_a_link_to_confirm_the_address(client, session) -> None:
    response = register(client)
    assert response.status_code == 302 and response.headers["Location"].startswith("/login")
    user = session.scalar(select(User).where(User.username_key == "anna_k"))
    assert user is not None and user.role == "member" and user.email_verified_at is None
    assert user.password_hash.startswith("$argon2id$")
    assert PASSWORD not in user.password_hash
    mail = session.scalars(select(EmailMessage).where(EmailMessage.to_address == "anna@example.com")).one()
    assert mail.kind == "account" and "/verify-email/" in mail.body


def test_duplicate_username_is_refused_but_a_registered_address_gets_the_same_answer(client, session) -> None:
    owner = make_user(session, "Anna_K", email="Anna@Example.com")
    response = register(client, username="anna_k", email="other@example.com")
    assert response.status_code == 422
    assert "That username is taken." in response.get_data(as_text=True)
    fresh = register(client, username="newcomer", email="new@example.com")
    said_to_new = [(kind, text.replace("new@example.com", "ADDRESS")) for kind, text in _flashes(client)]
    taken = register(client, username="someone", email="ANNA@example.COM")
    said_to_taken = [(kind, text.replace("ANNA@example.COM", "ADDRESS")) for kind, text in _flashes(client)]
    # Same status, same place, same message: nothing says the address has an account.
    assert (taken.status_code, taken.headers["Location"]) == (fresh.status_code, fresh.headers["Location"])
    assert said_to_taken == said_to_new and "ADDRESS" in said_to_new[0][1]
    assert session.scalar(select(User).where(User.username_key == "someone")) is None
    warning = session.scalars(select(EmailMessage).where(EmailMessage.user_id == owner.id)).one()
    assert warning.to_address == "anna@example.com" and "/verify-email/" not in warning.body
    assert "no new account was made" in warning.body


def _flashes(client) -> list:
    """The messages waiting for the next page, taken (as that page would)."""
    with client.session_transaction() as sess:
        return list(sess.pop("_flashes", []))


def test_weak_or_malformed_registration_is_refused_with_reasons(client, session) -> None:
    cases = [
        ({"password": "short", "confirm": "short"}, "A password has 10 to 200 characters."),
        ({"password": "password123", "confirm": "password123"}, "This is a very common password."),
        ({"password": "anna_k2026!", "confirm": "anna_k2026!"}, "too easy to guess"),
        ({"username": "a b<script>"}, "letters, digits, dashes and underscores"),
        ({"username": "x" * 31}, "Use 3 to 30 characters."),
        ({"email": "not-an-email"}, "look like an e-mail address"),
        ({"confirm": "something else entirely"}, "The two passwords differ."),
    ]
    for fields, message in cases:
        response = register(client, **fields)
        assert response.status_code == 422, fields
        assert message in response.get_data(as_text=True), fields
    assert session.query(User).count() == 0


def test_sign_in_with_username_or_email_and_remember_me(client, session) -> None:
    make_user(session, "lucy_h", email="lucy@example.com")
    response = client.form_post("/login", {"login": "LUCY@example.com", "password": PASSWORD, "remember": "y"})
    assert response.status_code == 302
    cookies = response.headers.getlist("Set-Cookie")
    remember = [c for c in cookies if c.startswith("remember_token=")]
    assert remember and "HttpOnly" in remember[0] and "SameSite=Lax" in remember[0]
    session_cookie = [c for c in cookies if c.startswith("session=")]
    assert session_cookie and "HttpOnly" in session_cookie[0] and "SameSite=Lax" in session_cookie[0]


def test_wrong_password_is_refused_without_saying_which_part_was_wrong(client, session) -> None:
    make_user(session, "lucy_h")
    for login in ("lucy_h", "nobody"):
        response = client.form_post("/login", {"login": login, "password": "wrong password!"})
        assert response.status_code == 422
        page = response.get_data(as_text=True)
        assert "don&#39;t match an account" in page
        assert f'value="{login}"' in page


def test_sign_in_redirects_only_to_local_next(client, session) -> None:
    make_user(session, "lucy_h")
    credentials = {"login": "lucy_h", "password": PASSWORD}
    response = client.form_post("/login?next=/questions", credentials)
    assert response.headers["Location"] == "/questions"
    client.form_post("/logout")
    for evil in ("https://evil.example/", "//evil.example/", "/\\evil.example", "javascript:alert(1)"):
        response = client.form_post(f"/login?next={evil}", credentials)
        assert response.status_code == 302
        assert response.headers["Location"] == "/", evil
        client.form_post("/logout")


def test_sign_out_needs_post_with_csrf(client, session, login_as) -> None:
    login_as(make_user(session))
    assert client.get("/logout").status_code == 405
    assert client.post("/logout").status_code == 400  # no CSRF token
    assert client.form_post("/logout").status_code == 302
    assert "Sign in" in client.get("/").get_data(as_text=True)


def test_missing_or_wrong_csrf_token_is_refused_and_explained(client, session) -> None:
    response = client.post("/register", data={"username": "x", "csrf_token": "forged"})
    assert response.status_code == 400
    assert "Your form expired" in response.get_data(as_text=True)


def test_edit_own_profile_and_language_switches_direction(client, session, login_as) -> None:
    user = make_user(session, "noa")
    login_as(user)
    response = client.form_post(
        "/settings/profile", {"display_name": "Noa L.", "bio": "<b>Fibre</b> fan", "locale": "he"}
    )
    assert response.status_code == 302
    session.refresh(user)
    assert (user.display_name, user.bio, user.locale) == ("Noa L.", "<b>Fibre</b> fan", "he")
    page = client.get("/users/noa").get_data(as_text=True)
    assert 'dir="rtl"' in page and 'lang="he"' in page
    assert "&lt;b&gt;Fibre&lt;/b&gt; fan" in page  # shown as text, never as markup


def test_profile_edit_refuses_oversized_fields_and_keeps_input(client, session, login_as) -> None:
    login_as(make_user(session))
    response = client.form_post("/settings/profile", {"display_name": "N" * 61, "bio": "ok", "locale": "en"})
    assert response.status_code == 422
    assert "N" * 61 in response.get_data(as_text=True)
    response = client.form_post("/settings/profile", {"display_name": "N", "bio": "", "locale": "xx"})
    assert response.status_code == 422


def test_visitors_choose_a_language_for_their_session(client) -> None:
    client.form_post("/language", {"locale": "he", "next": "/questions"})
    assert 'dir="rtl"' in client.get("/").get_data(as_text=True)
    client.form_post("/language", {"locale": "pl"})
    page = client.get("/").get_data(as_text=True)
    assert 'dir="ltr"' in page and 'lang="pl"' in page


def test_profiles_are_public_and_unknown_ones_are_404(client, session) -> None:
    make_user(session, "sam", display_name="Sam O.")
    assert "Sam O." in client.get("/users/sam").get_data(as_text=True)
    response = client.get("/users/ghost")
    assert response.status_code == 404
    assert "No member has that name." in response.get_data(as_text=True)


def test_each_app_hashes_with_its_own_argon2_costs(tmp_path, postgres_schema) -> None:
    from app.accounts import service as accounts
    from app.db import db
    from tests.conftest import make_app

    for name in ("cheap", "dearer"):
        (tmp_path / name).mkdir()
    cheap = make_app(tmp_path / "cheap", postgres_schema, ARGON2_TIME_COST=1, ARGON2_MEMORY_COST=8 * 1024)
    dearer = make_app(tmp_path / "dearer", postgres_schema, ARGON2_TIME_COST=2, ARGON2_MEMORY_COST=16 * 1024)
    hashes = {}
    for name, app in (("cheap", cheap), ("dearer", dearer)):  # `dearer` was created last, and must not win
        with app.app_context(), db.scope() as session:
            user = accounts.register(session, accounts.Registration(f"{name}_one", f"{name}@example.com", PASSWORD))
            hashes[name] = user.password_hash
            assert accounts.authenticate(session, f"{name}_one", PASSWORD) is user
        with app.app_context():
            db.engine.dispose()
    assert "$m=8192,t=1," in hashes["cheap"] and "$m=16384,t=2," in hashes["dearer"]

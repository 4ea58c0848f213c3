"""Forgotten passwords, confirmed addresses and address changes, through HTTP with CSRF on and the mail read
from the outbox table, as a member would read it."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from flask_login import login_user
from sqlalchemy import select, update

from app.accounts import service as accounts
from app.accounts import service_mail
from app.accounts.models import AccountToken, User
from app.db import db, utcnow
from app.extensions import limit_for
from app.notifications import service as notifications
from app.notifications.models import EmailMessage, Notification
from tests.conftest import Client, make_app, sign_in
from tests.factories import PASSWORD, make_user

NEW_PASSWORD = "lantern harbour quietly"
LINK = re.compile(r"https?://[^/\s]+(/(?:reset-password|verify-email)/[\w.-]+)")


def mails_to(session, address: str) -> list[EmailMessage]:
    query = select(EmailMessage).where(EmailMessage.to_address == address).order_by(EmailMessage.id)
    return list(session.scalars(query))


def link_in(message: EmailMessage) -> str:
    match = LINK.search(message.body)
    assert match, message.body
    return match.group(1)


def forgot(client, login: str, address: str = "198.51.100.1"):
    data = {"login": login, "csrf_token": client.csrf()}
    return client.post("/forgot-password", data=data, environ_base={"REMOTE_ADDR": address})


def flashes(client) -> list:
    with client.session_transaction() as sess:
        return list(sess.pop("_flashes", []))


def signed_in(client) -> bool:
    response = client.get("/settings/profile")
    return response.status_code == 200


def second_device(app, user: User) -> Client:
    other = app.test_client()
    return sign_in(other, user)  # type: ignore[return-value]


# --- forgetting a password ------------------------------------------------------------------------


def test_the_sign_in_page_offers_a_reset(client) -> None:
    page = client.get("/login").get_data(as_text=True)
    assert 'href="/forgot-password"' in page


def test_a_reset_request_answers_the_same_whoever_asks_and_mails_only_the_member(client, session) -> None:
    make_user(session, "lucy_h", email="lucy@example.com")
    answers = []
    for login in ("lucy@example.com", "nobody@example.com", "LUCY_H", "<script>alert(1)</script>"):
        response = forgot(client, login)
        answers.append((response.status_code, response.headers.get("Location"), flashes(client)))
    assert all(answer == answers[0] for answer in answers)
    assert answers[0][:2] == (302, "/login")
    sent = list(session.scalars(select(EmailMessage)))
    assert [m.to_address for m in sent] == ["lucy@example.com", "lucy@example.com"]
    assert all(m.kind == "account" and "unsubscribe" not in m.body.lower() for m in sent)
    assert "/reset-password/" in sent[0].body and "lucy_h" in sent[0].body


def test_a_reset_request_refuses_malformed_input_and_keeps_it(client) -> None:
    response = forgot(client, "x" * 300)
    assert response.status_code == 422
    assert 'value="' + "x" * 300 + '"' in response.get_data(as_text=True)
    assert forgot(client, "").status_code == 422


def test_a_reset_link_sets_a_strong_password_once_and_ends_every_session(app, client, session) -> None:
    lucy = make_user(session, "lucy_h", email="lucy@example.com")
    elsewhere = second_device(app, lucy)
    forgot(client, "lucy_h")
    path = link_in(mails_to(session, "lucy@example.com")[0])
    # Only a hash is kept: the secret in the link is nowhere in the table.
    secret_part = path.rsplit("/", 1)[1]
    assert all(secret_part not in row.token_hash for row in session.scalars(select(AccountToken)))

    assert client.get(path).status_code == 200
    weak = client.form_post(path, {"password": "password123", "confirm": "password123"})
    page = weak.get_data(as_text=True)
    assert weak.status_code == 422 and "This is a very common password." in page
    assert "Nothing you wrote was lost" not in page and "type the password again" in page

    done = client.form_post(path, {"password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    assert done.status_code == 302 and done.headers["Location"] == "/login"
    with app.app_context():
        assert accounts.authenticate(db.session(), "lucy_h", NEW_PASSWORD) is not None
        assert accounts.authenticate(db.session(), "lucy_h", PASSWORD) is None
    assert not signed_in(elsewhere)
    # Used: the same link is refused, shown or posted.
    assert client.get(path).status_code == 400
    again = client.form_post(path, {"password": "another fine passphrase", "confirm": "another fine passphrase"})
    assert again.status_code == 400 and "expired or has already been used" in again.get_data(as_text=True)


def test_a_reset_link_expires_after_an_hour(client, session) -> None:
    make_user(session, "lucy_h", email="lucy@example.com")
    forgot(client, "lucy_h")
    path = link_in(mails_to(session, "lucy@example.com")[0])
    row = session.scalars(select(AccountToken)).one()
    assert timedelta(minutes=59) < row.expires_at - row.created_at <= timedelta(hours=1)
    session.execute(update(AccountToken).values(expires_at=utcnow() - timedelta(seconds=1)))
    assert client.get(path).status_code == 400
    response = client.form_post(path, {"password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    assert response.status_code == 400


def test_using_one_link_voids_the_others_and_so_does_changing_the_password(app, client, session, login_as) -> None:
    lucy = make_user(session, "lucy_h", email="lucy@example.com")
    forgot(client, "lucy_h")
    forgot(client, "lucy_h")
    first, second = (link_in(m) for m in mails_to(session, "lucy@example.com"))
    assert client.form_post(first, {"password": NEW_PASSWORD, "confirm": NEW_PASSWORD}).status_code == 302
    assert client.get(second).status_code == 400

    forgot(client, "lucy_h")
    third = link_in(mails_to(session, "lucy@example.com")[-1])
    login_as(lucy)
    changed = client.form_post(
        "/settings/password",
        {"current_password": NEW_PASSWORD, "password": "another fine passphrase", "confirm": "another fine passphrase"},
    )
    assert changed.status_code == 302
    assert client.get(third).status_code == 400


def test_forged_or_misused_links_are_refused(client, session) -> None:
    make_user(session, "lucy_h", email="lucy@example.com", verified=False)
    forgot(client, "lucy_h")
    path = link_in(mails_to(session, "lucy@example.com")[0])
    token = path.rsplit("/", 1)[1]
    for bad in (token[:-2] + ("AA" if not token.endswith("AA") else "BB"), "not-a-token", "x" * 500):
        assert client.get(f"/reset-password/{bad}").status_code == 400
    # A reset token is no address confirmation, and the other way round.
    assert client.form_post(f"/verify-email/{token}", {}).status_code == 400


def test_reset_requests_are_limited_per_account(tmp_path, postgres_schema) -> None:
    app = make_app(
        tmp_path, postgres_schema, RATELIMIT_ENABLED=True, PASSWORD_RESET_RATE_LIMIT="100 per hour",
        PASSWORD_RESET_ACCOUNT_RATE_LIMIT="2 per hour",
    )
    app.test_client_class = Client
    with app.app_context(), db.scope() as setup:
        make_user(setup, "lucy_h", email="lucy@example.com")
    client = app.test_client()
    statuses = [forgot(client, "lucy_h", address=f"203.0.113.{n}").status_code for n in range(4)]
    assert statuses == [302, 302, 302, 302]  # the same answer: the visitor can't tell that mail stopped
    with app.app_context(), db.scope() as check:
        assert len(mails_to(check, "lucy@example.com")) == 2
    db_dispose(app)


def test_reset_requests_are_limited_per_address(tmp_path, postgres_schema) -> None:
    app = make_app(tmp_path, postgres_schema, RATELIMIT_ENABLED=True, PASSWORD_RESET_RATE_LIMIT="2 per hour")
    app.test_client_class = Client
    client = app.test_client()
    statuses = [forgot(client, f"someone{n}@example.com").status_code for n in range(3)]
    assert statuses == [302, 302, 429]
    assert forgot(client, "someone@example.com", address="192.0.2.9").status_code == 302
    db_dispose(app)


def db_dispose(app) -> None:
    with app.app_context():
        db.engine.dispose()


def test_the_admin_pages_can_send_a_reset_link(app, client, session) -> None:
    lucy = make_user(session, "lucy_h", email="lucy@example.com")
    with app.app_context():
        service_mail.send_password_reset(session, lucy)
    session.commit()
    path = link_in(mails_to(session, "lucy@example.com")[0])
    assert client.form_post(path, {"password": NEW_PASSWORD, "confirm": NEW_PASSWORD}).status_code == 302


# --- confirming an address ------------------------------------------------------------------------


def register(client, **fields):
    data = {"username": "anna_k", "email": "anna@example.com", "password": PASSWORD, "confirm": PASSWORD}
    data.update(fields)
    return client.form_post("/register", data)


def test_sign_up_confirm_the_address_then_notifications_are_mailed(app, client, session) -> None:
    assert register(client).status_code == 302
    anna = session.scalar(select(User).where(User.username_key == "anna_k"))
    path = link_in(mails_to(session, "anna@example.com")[0])
    assert "/verify-email/" in path

    with app.app_context():
        notifications.notify(session, anna.id, "badge", {"badge": "Welcome"})
    session.commit()
    assert session.scalar(select(Notification).where(Notification.user_id == anna.id)) is not None
    assert len(mails_to(session, "anna@example.com")) == 1  # in the app, but not by mail: not confirmed yet

    page = client.get(path)
    assert page.status_code == 200 and session.get(User, anna.id).email_verified_at is None  # a GET changes nothing
    confirmed = client.form_post(path, {})
    assert confirmed.status_code == 302
    session.expire_all()
    assert session.get(User, anna.id).email_verified_at is not None
    assert client.form_post(path, {}).status_code == 400  # once

    with app.app_context():
        notifications.notify(session, anna.id, "badge", {"badge": "Welcome"})
    session.commit()
    assert [m.kind for m in mails_to(session, "anna@example.com")] == ["account", "immediate"]


def test_an_unconfirmed_address_gets_no_digest(app, session) -> None:
    unconfirmed = make_user(session, "anna_k", verified=False, email_pref="daily")
    confirmed = make_user(session, "lucy_h", email_pref="daily")
    with app.app_context():
        for user in (unconfirmed, confirmed):
            notifications.notify(session, user.id, "badge", {"badge": "Welcome"})
        assert notifications.send_digests(session) == 1
    session.commit()
    assert [m.user_id for m in session.scalars(select(EmailMessage))] == [confirmed.id]


def test_an_unconfirmed_member_stays_under_the_new_account_limits(app, session) -> None:
    old = utcnow() - timedelta(days=30)
    unconfirmed = make_user(session, "anna_k", verified=False, created_at=old)
    confirmed = make_user(session, "lucy_h", created_at=old)
    with app.test_request_context():
        login_user(unconfirmed)
        assert limit_for("POST_RATE_LIMIT") == app.config["NEW_ACCOUNT_POST_RATE_LIMIT"]
    with app.test_request_context():
        login_user(confirmed)
        assert limit_for("POST_RATE_LIMIT") == app.config["POST_RATE_LIMIT"]


def test_the_confirmation_link_can_be_sent_again(client, session, login_as) -> None:
    anna = make_user(session, "anna_k", verified=False)
    login_as(anna)
    assert "Send the confirmation link again" in client.get("/settings/profile").get_data(as_text=True)
    assert client.form_post("/settings/verify-email", {}).status_code == 302
    path = link_in(mails_to(session, anna.email)[-1])
    assert client.form_post(path, {}).status_code == 302
    assert client.form_post("/settings/verify-email", {}).status_code == 302
    assert len(mails_to(session, anna.email)) == 1  # confirmed now: nothing more to send


def test_a_registered_address_is_not_revealed_and_its_owner_is_told(client, session) -> None:
    make_user(session, "lucy_h", email="lucy@example.com")
    response = register(client, email="Lucy@Example.com")
    assert response.status_code == 302 and response.headers["Location"].startswith("/login")
    (warning,) = mails_to(session, "lucy@example.com")
    assert warning.kind == "account" and "/forgot-password" in warning.body and "/verify-email/" not in warning.body
    assert session.scalar(select(User).where(User.username_key == "anna_k")) is None


# --- changing the address and the password --------------------------------------------------------


def test_a_new_address_is_confirmed_before_it_counts_and_the_old_one_is_told(client, session, login_as) -> None:
    lucy = make_user(session, "lucy_h", email="lucy@example.com")
    make_user(session, "sam", email="sam@example.com")
    login_as(lucy)
    wrong = client.form_post("/settings/email", {"email": "lucy@new.example", "password": "not my password"})
    assert wrong.status_code == 422 and 'value="lucy@new.example"' in wrong.get_data(as_text=True)
    assert client.form_post("/settings/email", {"email": "<b>@x", "password": PASSWORD}).status_code == 422

    asked = client.form_post("/settings/email", {"email": "Lucy@New.example", "password": PASSWORD})
    assert asked.status_code == 302
    session.expire_all()
    assert session.get(User, lucy.id).email == "lucy@example.com"  # not until the link is followed
    path = link_in(mails_to(session, "lucy@new.example")[0])

    # Someone else's address gets the same answer; its owner hears of it, and no link goes anywhere.
    taken = client.form_post("/settings/email", {"email": "sam@example.com", "password": PASSWORD})
    assert taken.status_code == 302
    (told,) = mails_to(session, "sam@example.com")
    assert "/verify-email/" not in told.body

    assert client.form_post(path, {}).status_code == 302
    session.expire_all()
    moved = session.get(User, lucy.id)
    assert moved.email == "lucy@new.example" and moved.email_verified_at is not None
    (notice,) = mails_to(session, "lucy@example.com")
    assert "lucy@new.example" in notice.body


def test_changing_the_password_needs_the_current_one_and_signs_out_the_other_devices(app, client, session, login_as):
    lucy = make_user(session, "lucy_h")
    elsewhere = second_device(app, lucy)
    login_as(lucy)
    wrong = client.form_post(
        "/settings/password", {"current_password": "not it at all", "password": NEW_PASSWORD, "confirm": NEW_PASSWORD}
    )
    assert wrong.status_code == 422 and "That is not your current password." in wrong.get_data(as_text=True)
    weak = client.form_post(
        "/settings/password", {"current_password": PASSWORD, "password": "lucy_h12345", "confirm": "lucy_h12345"}
    )
    page = weak.get_data(as_text=True)
    assert weak.status_code == 422 and "too easy to guess" in page and "Nothing you wrote was lost" not in page
    assert signed_in(elsewhere)

    done = client.form_post(
        "/settings/password", {"current_password": PASSWORD, "password": NEW_PASSWORD, "confirm": NEW_PASSWORD}
    )
    assert done.status_code == 302
    assert signed_in(client) and not signed_in(elsewhere)


def test_settings_list_recent_sign_ins_with_their_device(client, session) -> None:
    make_user(session, "lucy_h")
    firefox = "Mozilla/5.0 (X11; Linux x86_64; rv:120.0) Gecko/20100101 Firefox/120.0"
    data = {"login": "lucy_h", "password": PASSWORD, "csrf_token": client.csrf()}
    assert client.post("/login", data=data, headers={"User-Agent": firefox}).status_code == 302
    page = client.get("/settings/profile").get_data(as_text=True)
    assert "Firefox on Linux" in page and "This device" in page


# --- small things ---------------------------------------------------------------------------------


def test_join_and_sign_in_keep_the_page_the_visitor_was_on(client) -> None:
    page = client.get("/questions").get_data(as_text=True)
    assert 'href="/login?next=/questions?"' in page and 'href="/register?next=/questions?"' in page
    login = client.get("/login?next=/questions").get_data(as_text=True)
    assert 'href="/register?next=/questions"' in login
    join = client.get("/register?next=/questions").get_data(as_text=True)
    assert 'href="/login?next=/questions"' in join
    offsite = client.get("/register?next=https://evil.example/").get_data(as_text=True)
    registered = register(client, username="anna_k")
    assert "evil.example" not in registered.headers["Location"]
    assert offsite  # the page renders; where it links is the sign-in page's safe_next's business


@pytest.mark.parametrize("path", ["/register", "/settings/password"])
def test_stock_messages_are_in_our_own_words(client, session, login_as, path) -> None:
    if path.startswith("/settings"):
        login_as(make_user(session, "lucy_h"))
    page = client.form_post(path, {}).get_data(as_text=True)
    assert "Please fill this in." in page or "Choose a password." in page
    assert "This field is required." not in page
    if path == "/register":
        long_name = client.form_post(path, {"username": "x" * 31}).get_data(as_text=True)
        assert "Use 3 to 30 characters." in long_name and "characters long" not in long_name


@pytest.mark.parametrize("lang", ["pl", "he"])
def test_the_strength_hint_is_in_the_members_language(tmp_path, postgres_schema, lang) -> None:
    from tests.pending_catalogues import catalogue, compile_into, forget_loaded_catalogues

    app = make_app(tmp_path, postgres_schema, BABEL_TRANSLATION_DIRECTORIES=compile_into(tmp_path / "translations"))
    with app.app_context():
        forget_loaded_catalogues(app)
    app.test_client_class = Client
    client = app.test_client()
    data = {"username": "anna_k", "email": "anna@example.com", "password": "password123", "confirm": "password123"}
    data["csrf_token"] = client.csrf()
    page = client.post("/register", data=data, headers={"Accept-Language": lang}).get_data(as_text=True)
    for english in ("This password is too easy to guess.", "This is a very common password."):
        translated = catalogue(lang).get(english).string
        assert translated and translated in page and english not in page
    with app.app_context():
        forget_loaded_catalogues(app)
    db_dispose(app)


def test_the_strength_check_counts_the_members_own_names_and_the_sites() -> None:
    from app.accounts import strength
    from app.errors import ValidationFailed

    strength.check("correct horse battery", "anna_k", "anna@example.com")
    for weak in ("password123", "qwertyuiop", "aaaaaaaaaaaa", "nimbus2026!", "annakowalska1", "1234567890"):
        with pytest.raises(ValidationFailed):
            strength.check(weak, "annakowalska", "anna.kowalska@example.com")
    with pytest.raises(ValidationFailed):
        strength.check("x" * 201)
    # Up to the 200 allowed, however long: zxcvbn itself refuses more than 72 characters.
    strength.check("lantern harbour quietly " * 8)
    with pytest.raises(ValidationFailed):
        strength.check("a" * 200)

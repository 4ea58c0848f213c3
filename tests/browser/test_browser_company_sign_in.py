"""The company sign-in journey in Chromium: the button on the sign-in page, the provider (tests/oidc_provider.py, on
127.0.0.1) and back, signed in; and a Polish reader whose username is taken choosing another. Elements are found by
their data attributes and form names, never by English words, so the Polish journey proves nothing by accident."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import expect
from sqlalchemy import select
from werkzeug.serving import make_server

from app.accounts.models import ExternalIdentity, User
from app.db import db
from tests import factories
from tests.browser.support import LiveServer, Pages, Screenshot
from tests.conftest import make_app
from tests.oidc_provider import Provider

pytestmark = pytest.mark.browser


@pytest.fixture
def provider() -> Iterator[Provider]:
    provider = Provider().start()
    yield provider
    provider.stop()


@pytest.fixture
def company_server(tmp_path: Path, postgres_schema: str | None, provider: Provider) -> Iterator[LiveServer]:
    app = make_app(
        tmp_path,
        postgres_schema,
        OIDC_ISSUER=provider.issuer,
        OIDC_CLIENT_ID=provider.client.client_id,
        OIDC_CLIENT_SECRET=provider.client.client_secret,
    )
    server = make_server("127.0.0.1", 0, app, threaded=True)
    base = f"http://127.0.0.1:{server.server_port}"
    app.config["PUBLIC_URL"] = base  # the provider sends the browser back here
    provider.client.redirect_uris = [f"{base}/login/company/callback"]
    thread = threading.Thread(target=server.serve_forever, name="agora-live-server", daemon=True)
    thread.start()
    try:
        yield LiveServer(app, base)
    finally:
        server.shutdown()
        thread.join(timeout=10)
        server.server_close()
        with app.app_context():
            db.engine.dispose()


def test_the_company_sign_in_button_signs_a_new_member_in(
    company_server: LiveServer, provider: Provider, pages: Pages, shoot: Screenshot
) -> None:
    base = company_server.url
    provider.signed_in = provider.person("emp-42", email="ada@example.com", preferred_username="ada_l", name="Ada L")
    page = pages.new()
    page.goto(f"{base}/login?next=/questions")
    button = page.locator("[data-company-sign-in] button")
    expect(button).to_have_text("Sign in with your company account")
    shoot(page, "company-01-sign-in-page")
    button.click()

    expect(page).to_have_url(f"{base}/questions")
    expect(page.locator("form[action$='/logout']")).to_have_count(1)
    expect(page.locator("nav.site-nav")).to_contain_text("Ada L")
    shoot(page, "company-02-signed-in")
    with company_server.session() as session:
        user = session.scalar(select(User).where(User.username == "ada_l"))
        assert user is not None
        assert session.scalar(select(ExternalIdentity.subject).where(ExternalIdentity.user_id == user.id)) == "emp-42"
    assert provider.authorization_requests[0]["code_challenge_method"] == "S256"


def test_a_polish_reader_whose_username_is_taken_chooses_another(
    company_server: LiveServer, provider: Provider, pages: Pages, shoot: Screenshot
) -> None:
    base = company_server.url
    with company_server.session() as session:
        factories.make_user(session, "piotr", email="piotr.other@example.com")
    provider.signed_in = provider.person("emp-43", email="piotr@company.example", preferred_username="piotr")
    page = pages.new(locale="pl-PL")
    page.goto(f"{base}/login")
    expect(page.locator("html")).to_have_attribute("lang", "pl")
    button = page.locator("[data-company-sign-in] button")
    expect(button).not_to_have_text("Sign in with your company account")  # the reader's language, not English
    button.click()

    expect(page).to_have_url(f"{base}/login/company/finish")
    username = page.locator("input[name='new-username']")
    expect(username).to_have_value("piotr")
    expect(username).to_have_attribute("aria-invalid", "true")  # taken: the field says so, in Polish
    shoot(page, "company-03-choose-username-pl")
    username.fill("piotr_n")
    page.locator("[data-company-create] button[type=submit]").click()

    expect(page.locator("form[action$='/logout']")).to_have_count(1)
    expect(page.locator("html")).to_have_attribute("lang", "pl")  # the new member keeps the language they read in
    shoot(page, "company-04-signed-in-pl")
    with company_server.session() as session:
        user = session.scalar(select(User).where(User.username == "piotr_n"))
        assert user is not None and user.locale == "pl" and user.email == "piotr@company.example"

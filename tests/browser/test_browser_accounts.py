"""Browser journeys of an account: join, confirm the address from the mail, forget the password and set a new one
from the mail. The mail is read from the outbox table, as the member would read it in their inbox."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import select

from app.notifications.models import EmailMessage
from tests import factories
from tests.browser.support import LiveServer, Pages, Screenshot, header_nav, sign_in

pytestmark = pytest.mark.browser

LINK = re.compile(r"https?://[^/\s]+(/(?:reset-password|verify-email)/[\w.-]+)")
PASSWORD = "a long enough passphrase"
NEW_PASSWORD = "lantern harbour quietly"


def latest_link(live_server: LiveServer, address: str) -> str:
    """The link in the newest mail to `address`, on the live server."""
    with live_server.session() as session:
        body = session.scalars(
            select(EmailMessage.body).where(EmailMessage.to_address == address).order_by(EmailMessage.id.desc())
        ).first()
    assert body is not None, f"no mail to {address}"
    match = LINK.search(body)
    assert match, body
    return f"{live_server.url}{match.group(1)}"


def expect_refusal(pages: Pages, page: Page, status: int, action) -> None:
    """Run `action`, which Agora answers with `status`: Chromium logs that as a console error, which is expected."""
    with page.expect_console_message(lambda m: str(status) in m.text) as logged:
        action()
    pages.problems.remove(f"console error: {logged.value.text} ({logged.value.location.get('url')})")


def test_join_confirm_forget_and_reset(live_server: LiveServer, pages: Pages, shoot: Screenshot) -> None:
    base = live_server.url
    with live_server.session() as session:
        factories.make_board(session, slug="laptops", name="Laptops")
    page = pages.new()

    # Join from the questions page: the link keeps where the visitor was.
    page.goto(f"{base}/questions")
    header_nav(page).get_by_role("link", name="Join").click()
    expect(page).to_have_url(re.compile(r"/register\?next=/questions"))
    page.get_by_label("Username").fill("newcomer")
    page.get_by_label("E-mail").fill("newcomer@example.com")
    page.get_by_label("Password", exact=True).fill("password123")
    page.get_by_label("Repeat the password").fill("password123")
    expect_refusal(pages, page, 422, page.get_by_role("button", name="Create my account").click)
    # Too easy to guess: the hint says why, and the summary does not promise the password was kept.
    summary = page.get_by_role("alert")
    expect(summary).to_contain_text("type the password again")
    expect(summary).not_to_contain_text("Nothing you wrote was lost")
    expect(page.locator("#password-error")).to_contain_text("This is a very common password.")
    expect(page.get_by_label("Username")).to_have_value("newcomer")
    shoot(page, "accounts-01-weak-password")

    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_label("Repeat the password").fill(PASSWORD)
    page.get_by_role("button", name="Create my account").click()
    expect(page).to_have_url(re.compile(r"/login\?next=/questions"))
    expect(page.get_by_role("status")).to_contain_text("newcomer@example.com")
    shoot(page, "accounts-02-check-your-mail")

    # The confirmation mail: its link shows a button, and the button confirms.
    page.goto(latest_link(live_server, "newcomer@example.com"))
    page.get_by_role("button", name="Confirm my address").click()
    expect(page.get_by_role("status")).to_contain_text("newcomer@example.com is confirmed")
    sign_in(page, base, "newcomer", PASSWORD)
    page.goto(f"{base}/settings/profile")
    expect(page.get_by_text("It is confirmed.")).to_be_visible()
    expect(page.get_by_role("cell", name="This device")).to_be_visible()
    shoot(page, "accounts-03-settings")
    header_nav(page).get_by_role("button", name="Sign out").click()

    # Forgotten: from the sign-in page, by e-mail address.
    page.goto(f"{base}/login")
    page.get_by_role("link", name="Forgot your password?").click()
    page.get_by_label("Username or e-mail").fill("newcomer@example.com")
    page.get_by_role("button", name="Send me a link").click()
    expect(page.get_by_role("status")).to_contain_text("The link works for an hour.")
    reset = latest_link(live_server, "newcomer@example.com")
    assert "/reset-password/" in reset

    page.goto(reset)
    page.get_by_label("New password").fill(NEW_PASSWORD)
    page.get_by_label("Repeat the password").fill(NEW_PASSWORD)
    shoot(page, "accounts-04-reset-form")
    page.get_by_role("button", name="Set the new password").click()
    expect(page.get_by_role("status")).to_contain_text("Your new password is set")
    sign_in(page, base, "newcomer@example.com", NEW_PASSWORD)

    # The link was for one use only.
    expect_refusal(pages, page, 400, lambda: page.goto(reset))
    expect(page.get_by_text("has expired or has already been used")).to_be_visible()
    shoot(page, "accounts-05-used-link")

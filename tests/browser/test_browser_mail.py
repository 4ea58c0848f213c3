"""Browser test for the e-mail settings page: a member whose address bounces sees the notice in their own
language on a phone, says their mailbox works again, and allows replies by e-mail. Nothing here reads English
words: the member reads Hebrew, and the page is found by its structure."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from app.accounts.models import User
from app.notifications.models import MailBounce
from tests import factories
from tests.browser.support import LiveServer, Pages, Screenshot, sign_in

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}


def test_a_bouncing_member_sees_the_notice_fixes_it_and_allows_replies(
    live_server: LiveServer, pages: Pages, shoot: Screenshot
) -> None:
    with live_server.session() as session:
        factories.make_user(session, "dana", locale="he", email="dana@mailbox.example")
        session.add(MailBounce(address="dana@mailbox.example", bounces=3, last_error="550 5.1.1 user unknown"))
        session.commit()
    page = pages.new(viewport=PHONE)
    sign_in(page, live_server.url, "dana")
    page.goto(f"{live_server.url}/settings/notifications")
    assert page.locator("html").get_attribute("dir") == "rtl"
    notice = page.get_by_role("alert")
    expect(notice).to_contain_text("dana@mailbox.example")
    expect(notice).to_contain_text("האימיילים שלנו")  # in Hebrew
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    shoot(page, "mail-bouncing-notice-he")
    notice.locator("form[action$='/settings/notifications/mail-works'] button").click()
    expect(page.get_by_role("alert")).to_have_count(0)
    with live_server.session() as session:
        assert session.scalar(select(MailBounce)) is None
    page.locator("input[name='reply_by_email']").check()
    page.locator("form.stack-form button[type='submit']").click()
    expect(page.locator("input[name='reply_by_email']")).to_be_checked()
    with live_server.session() as session:
        assert session.scalar(select(User.reply_by_email).where(User.username == "dana")) is True
    assert pages.problems == []

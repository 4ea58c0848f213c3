"""Browser journeys for privacy rights: download one's data, delete one's account."""

from __future__ import annotations

import io
import json
import zipfile

import pytest
from playwright.sync_api import expect

from tests import factories
from tests.browser.support import LiveServer, Pages, Screenshot, sign_in

pytestmark = pytest.mark.browser


def test_a_greek_member_downloads_their_data(live_server: LiveServer, pages: Pages, shoot: Screenshot) -> None:
    base = live_server.url
    with live_server.session() as session:
        board = factories.make_board(session, slug="laptops", name="Laptops")
        member = factories.make_user(session, "eleni", locale="el")
        factories.make_question(session, member, board, title="Η μπαταρία αδειάζει μέσα στη νύχτα")

    page = pages.new()
    sign_in(page, base, "eleni")
    page.goto(f"{base}/settings/privacy")
    # Greek page: found by what the controls are, not by English words.
    expect(page.locator("html")).to_have_attribute("lang", "el")
    page.locator("[data-test=request-export]").click()
    link = page.locator("[data-test=download-export]")
    expect(link).to_have_count(1)
    shoot(page, "privacy-01-export-ready")
    with page.expect_download() as info:
        link.click()
    archive = zipfile.ZipFile(io.BytesIO(open(info.value.path(), "rb").read()))
    assert json.loads(archive.read("profile.json"))["username"] == "eleni"
    assert any(q["title"].startswith("Η μπαταρία") for q in json.loads(archive.read("questions.json")))
    summary = archive.read("index.html").decode()
    assert 'lang="el"' in summary and "Your data on the Nimbus Community" not in summary


def test_a_member_deletes_their_account(live_server: LiveServer, pages: Pages, shoot: Screenshot) -> None:
    base = live_server.url
    with live_server.session() as session:
        board = factories.make_board(session, slug="laptops", name="Laptops")
        member = factories.make_user(session, "leaving", display_name="Lea Ving")
        question = factories.make_question(session, member, board, title="Why does my fan spin all the time?")
        question_id = question.id

    page = pages.new()
    sign_in(page, base, "leaving")
    page.goto(f"{base}/settings/profile")
    page.get_by_role("link", name="Your data and privacy").click()
    page.get_by_role("link", name="Delete my account…").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Delete your account")
    page.get_by_label("Your password").fill("not my password")
    page.get_by_role("checkbox").check()
    with page.expect_console_message(lambda m: "422" in m.text) as logged:
        page.get_by_role("button", name="Delete my account").click()
    pages.problems.remove(f"console error: {logged.value.text} ({logged.value.location.get('url')})")  # expected
    expect(page.get_by_text("That is not your password.").first).to_be_visible()
    shoot(page, "privacy-02-wrong-password")

    page.get_by_label("Your password").fill(factories.PASSWORD)
    page.get_by_role("checkbox").check()
    page.get_by_role("button", name="Delete my account").click()
    expect(page).to_have_url(f"{base}/")
    expect(page.get_by_role("status")).to_contain_text("Your account is deleted.")
    expect(page.locator("form[action$='/logout']")).to_have_count(0)

    page.goto(f"{base}/questions/{question_id}")
    expect(page.get_by_text("Former member").first).to_be_visible()
    expect(page.get_by_text("Lea Ving")).to_have_count(0)
    shoot(page, "privacy-03-former-member")

"""Browser tests: Playwright (sync API) drives Debian's Chromium against a live Agora server."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests import factories
from tests.browser.support import LiveServer, Pages, Screenshot, Seeded, header_nav, sign_in

pytestmark = pytest.mark.browser


# --- the tests --------------------------------------------------------------------------------


def test_register_sign_out_sign_in_ask_and_answer(live_server: LiveServer, pages: Pages, shoot: Screenshot) -> None:
    base = live_server.url
    with live_server.session() as session:
        factories.make_board(session, slug="laptops", name="Laptops")
        factories.make_user(session, "helper", display_name="Helpful Hanna")

    page = pages.new()
    response = page.goto(f"{base}/")
    assert response is not None
    assert "script-src 'self'" in response.headers["content-security-policy"]  # so "no CSP errors" means something
    header_nav(page).get_by_role("link", name="Join").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Join the community")
    page.get_by_label("Username").fill("newcomer")
    page.get_by_label("E-mail").fill("newcomer@example.com")
    page.get_by_label("Password", exact=True).fill("a long enough passphrase")
    page.get_by_label("Repeat the password").fill("a long enough passphrase")
    shoot(page, "01-register-form")
    page.get_by_role("button", name="Create my account").click()

    # Sign-up answers the same whether or not the address has an account: "check your mail", then sign in.
    expect(page).to_have_url(re.compile(re.escape(f"{base}/login")))
    expect(page.get_by_role("status")).to_contain_text("we sent a link to newcomer@example.com")
    expect(header_nav(page).get_by_role("link", name="Sign in")).to_be_visible()
    expect(header_nav(page).get_by_role("button", name="Sign out")).to_have_count(0)
    shoot(page, "02-registered")

    page.goto(f"{base}/login")
    page.get_by_label("Username or e-mail").fill("newcomer@example.com")
    page.get_by_label("Password", exact=True).fill("a long enough passphrase")
    shoot(page, "04-login-form")
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("status")).to_contain_text("Signed in. Welcome back, newcomer.")
    shoot(page, "05-signed-in")

    page.locator("header").get_by_role("link", name="Ask a question").click()
    expect(page).to_have_url(f"{base}/ask")
    page.get_by_label("Board").select_option(label="Laptops")
    title = "Battery stops charging at 80% on my Nimbus Book 14"
    page.get_by_label("Title").fill(title)
    script = '<script>alert("xss")</script>'
    page.get_by_label("Details").fill(
        f"Since the last update the battery **never charges past 80%**.\n\n{script}\n\nWhat should I check?"
    )
    page.get_by_label("Tags").fill("Battery, Nimbus Book 14")
    preview = page.locator("div[data-preview-body]")
    expect(preview.locator("strong")).to_have_text("never charges past 80%")
    expect(preview).to_contain_text(script)
    expect(preview.locator("script")).to_have_count(0)
    shoot(page, "06-ask-live-preview")
    page.get_by_role("button", name="Post your question").click()

    expect(page).to_have_url(
        re.compile(rf"^{re.escape(base)}/questions/\d+/battery-stops-charging-at-80-on-my-nimbus-book-14$")
    )
    question_url = page.url
    expect(page.get_by_role("heading", level=1)).to_have_text(title)
    question = page.locator("article.question")
    expect(question.get_by_role("list", name="Tags").get_by_role("listitem")).to_have_text(
        ["battery", "nimbus-book-14"]
    )
    body = question.locator(".post-body")
    expect(body.locator("strong")).to_have_text("never charges past 80%")
    expect(body).to_contain_text(script)
    expect(body.locator("script")).to_have_count(0)
    expect(page.get_by_role("heading", name="0 answers")).to_be_visible()
    shoot(page, "07-question-posted")

    helper_page = pages.new()
    sign_in(helper_page, base, "helper")
    helper_page.goto(question_url)
    answer_text = "Open Settings → Power and switch off Battery care; it caps the charge at 80%."
    helper_page.get_by_role("textbox", name="Your answer").fill(answer_text)
    expect(helper_page.locator("div[data-preview-body]")).to_contain_text("switch off Battery care")
    helper_page.get_by_role("button", name="Post your answer").click()

    expect(helper_page).to_have_url(re.compile(rf"^{re.escape(question_url)}#answer-\d+$"))
    expect(helper_page.get_by_role("heading", name="1 answer", exact=True)).to_be_visible()
    answer = helper_page.get_by_role("article", name="Answer by Helpful Hanna")
    expect(answer).to_contain_text(answer_text)
    expect(answer.get_by_role("link", name="Helpful Hanna")).to_be_visible()
    shoot(helper_page, "08-answered")

    page.reload()
    expect(page.get_by_role("heading", name="1 answer", exact=True)).to_be_visible()
    expect(page.get_by_role("article", name="Answer by Helpful Hanna")).to_contain_text(answer_text)


@pytest.mark.parametrize("signed_in", [False, True], ids=["visitor", "member"])
def test_no_horizontal_scrolling_at_360px(
    live_server: LiveServer, seeded: Seeded, pages: Pages, shoot: Screenshot, signed_in: bool
) -> None:
    base = live_server.url
    page = pages.new(viewport={"width": 360, "height": 740}, device_scale_factor=1, is_mobile=True, has_touch=True)
    if signed_in:
        sign_in(page, base, "asker")
    who = "member" if signed_in else "visitor"

    page.goto(f"{base}/")
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    shoot(page, f"10-mobile-360-home-{who}")

    page.goto(f"{base}/questions/{seeded.question.id}")
    expect(page.get_by_role("heading", level=1)).to_have_text(seeded.question.title)
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    shoot(page, f"11-mobile-360-question-{who}")


def test_hebrew_reader_gets_a_right_to_left_page(live_server: LiveServer, pages: Pages, shoot: Screenshot) -> None:
    base = live_server.url
    with live_server.session() as session:
        board = factories.make_board(session, slug="laptops", name="מחשבים ניידים")
        reader = factories.make_user(session, "dana", locale="he", display_name="דנה")
        question = factories.make_question(
            session,
            reader,
            board,
            title="המחשב הנייד לא נטען מעל 80% אחרי העדכון",
            body="מאז העדכון ה־**Nimbus Book 14** שלי מפסיק להיטען ב־80%. מה לבדוק?",
            tags=("battery", "nimbus-book-14"),
        )
        factories.make_answer(session, reader, question, body="נסו לכבות את *Battery care* בהגדרות.")

    page = pages.new(viewport={"width": 1024, "height": 768})
    sign_in(page, base, "dana")
    expect(page.locator("html")).to_have_attribute("dir", "rtl")
    expect(page.locator("html")).to_have_attribute("lang", "he")

    page.goto(f"{base}/questions/{question.id}")
    expect(page.get_by_role("heading", level=1)).to_have_text(question.title)
    expect(page.locator("html")).to_have_attribute("dir", "rtl")
    expect(page.locator("html")).to_have_attribute("lang", "he")
    # Mirrored: the brand sits at the right edge of the header with the search box to its left, the
    # navigation starts on the right, and paragraphs start on the right.
    brand = page.locator(".brand").bounding_box()
    search = page.locator(".header-search").bounding_box()
    first_link = header_nav(page).get_by_role("link").first.bounding_box()
    assert brand and search and first_link
    assert brand["x"] > search["x"] + search["width"] - 1
    assert first_link["x"] > 1024 / 2
    assert page.locator("article.question .post-body p").evaluate("p => getComputedStyle(p).direction") == "rtl"
    assert page.evaluate("document.documentElement.scrollWidth") <= 1024
    shoot(page, "20-rtl-question-he")


def test_ask_without_javascript_previews_on_the_server(
    live_server: LiveServer, seeded: Seeded, pages: Pages, shoot: Screenshot
) -> None:
    base = live_server.url
    page = pages.new(java_script_enabled=False)
    sign_in(page, base, "asker")

    page.goto(f"{base}/ask")
    page.get_by_label("Board").select_option(label="Laptops")
    title = "Fan is loud while the lid is closed"
    details = "The fan spins at **full speed** when the lid is closed and the laptop sleeps."
    page.get_by_label("Title").fill(title)
    page.get_by_label("Details").fill(details)
    page.get_by_label("Tags").fill("fan, sleep")
    page.get_by_role("button", name="Preview").click()

    preview = page.locator("section.preview")
    expect(preview.get_by_role("heading", name="Preview")).to_be_visible()
    expect(preview.locator("strong")).to_have_text("full speed")
    expect(page.locator("div.live-preview")).to_be_hidden()
    expect(page.get_by_label("Board")).to_have_value("laptops")
    expect(page.get_by_label("Title")).to_have_value(title)
    expect(page.get_by_label("Details")).to_have_value(details)
    expect(page.get_by_label("Tags")).to_have_value("fan, sleep")
    shoot(page, "30-nojs-server-preview")

    page.get_by_role("button", name="Post your question").click()
    expect(page).to_have_url(re.compile(rf"^{re.escape(base)}/questions/\d+/fan-is-loud-while-the-lid-is-closed$"))
    expect(page.get_by_role("heading", level=1)).to_have_text(title)
    expect(page.locator("article.question .post-body strong")).to_have_text("full speed")
    expect(page.locator("article.question").get_by_role("list", name="Tags").get_by_role("listitem")).to_have_text(
        ["fan", "sleep"]
    )
    shoot(page, "31-nojs-question-posted")


def test_skip_link_is_the_first_tab_stop_and_shows_when_focused(
    live_server: LiveServer, pages: Pages, shoot: Screenshot
) -> None:
    page = pages.new()
    page.goto(f"{live_server.url}/")
    skip = page.get_by_role("link", name="Skip to content")
    expect(skip).not_to_be_in_viewport()

    page.keyboard.press("Tab")
    expect(skip).to_be_focused()
    expect(skip).to_be_in_viewport()
    shoot(page, "40-skip-link-focused", full_page=False)

    page.keyboard.press("Enter")
    expect(page).to_have_url(f"{live_server.url}/#main")
    expect(page.locator("main#main")).to_be_focused()

"""In a real browser: attach a screenshot in the editor (and find its metadata gone from the served file), get a
draft back after leaving the page, and roll an edit back from the history."""

from __future__ import annotations

import io
import re
from pathlib import Path

from PIL import Image
from playwright.sync_api import expect

from app.attachments import service as attachments
from tests import factories
from tests.browser.support import LiveServer, Pages, Screenshot, Seeded, sign_in


def _phone_photo(path: Path) -> Path:
    """A JPEG as phones write them: lying on its side (EXIF orientation 6), with GPS position and camera serial."""
    image = Image.new("RGB", (1200, 800), (30, 120, 200))
    exif = image.getexif()
    exif[0x0112] = 6
    exif[0xA431] = "SERIAL-qzv-4242"
    exif.get_ifd(0x8825).update({1: "N", 2: (52.0, 13.0, 0.0)})
    image.save(path, "JPEG", exif=exif)
    return path


def test_attach_a_screenshot_to_an_answer(
    live_server: LiveServer, seeded: Seeded, pages: Pages, shoot: Screenshot, tmp_path: Path
) -> None:
    base = live_server.url
    page = pages.new()
    sign_in(page, base, "helper")
    page.goto(f"{base}/questions/{seeded.question.id}")
    form = page.locator("form[action$='/answers']")
    body = form.locator("textarea[name=body]")
    body.fill("This is what the power settings look like here:")
    form.locator("input[type=file][data-attach]").set_input_files(str(_phone_photo(tmp_path / "IMG_2041.jpg")))
    # The editor uploaded it at once and put its Markdown at the cursor; the live preview shows the image.
    expect(body).to_have_value(re.compile(r"here:\n\n!\[IMG_2041\.jpg\]\(/attachments/\d+/IMG_2041\.jpg\)\n"))
    expect(page.locator("[data-preview-body] img")).to_have_count(1)
    shoot(page, "60-answer-with-attached-screenshot")
    form.locator("[name=submit]").click()

    image = page.locator(".answer .post-body img[src^='/attachments/']")
    expect(image).to_have_count(1)
    assert page.evaluate("(img) => img.complete && img.naturalWidth", image.element_handle()) == 800  # upright
    served = page.request.get(base + image.get_attribute("src"))
    assert served.status == 200 and served.headers["content-type"] == "image/jpeg"
    assert served.headers["x-content-type-options"] == "nosniff"
    data = served.body()
    assert dict(Image.open(io.BytesIO(data)).getexif()) == {} and b"SERIAL-qzv-4242" not in data
    shoot(page, "61-answer-shows-the-screenshot")


def test_a_draft_answer_comes_back(live_server: LiveServer, seeded: Seeded, pages: Pages, shoot: Screenshot) -> None:
    base = live_server.url
    page = pages.new()
    sign_in(page, base, "helper")
    page.goto(f"{base}/questions/{seeded.question.id}")
    page.locator("form[action$='/answers'] textarea[name=body]").fill("Check the charge limit in the BIOS first")
    status = page.locator("[data-draft-status]")
    expect(status).not_to_be_empty(timeout=8000)  # saved by the script within a few seconds
    page.goto(f"{base}/")
    page.goto(f"{base}/questions/{seeded.question.id}")
    expect(page.locator("form[action$='/answers'] textarea[name=body]")).to_have_value(
        "Check the charge limit in the BIOS first"
    )
    shoot(page, "62-draft-answer-restored")
    page.locator("form[action$='/drafts/discard'] button").click()
    expect(page.locator("form[action$='/answers'] textarea[name=body]")).to_have_value("")


def test_roll_an_edit_back(live_server: LiveServer, seeded: Seeded, pages: Pages, shoot: Screenshot) -> None:
    base = live_server.url
    page = pages.new()
    sign_in(page, base, "asker")
    question = seeded.question
    page.goto(f"{base}/questions/{question.id}/edit")
    page.locator("textarea[name=body]").fill("Since the update my laptop stops charging at 60%. Fixed by a reboot?")
    page.locator("input[name=summary]").fill("wrong percentage")
    page.locator("button[name=submit]").click()
    page.goto(f"{base}/questions/{question.id}/history")
    expect(page.locator(".revision-summary")).to_contain_text("wrong percentage")
    expect(page.locator(".diff-words ins").first).to_be_visible()
    shoot(page, "63-history-with-summary-and-word-diff")
    page.locator("form[action$='/history/1/restore'] button").click()
    expect(page.locator(".revision").first.locator(".revision-summary").first).to_contain_text("1")  # back to 1
    page.goto(f"{base}/questions/{question.id}")
    expect(page.locator(".question .post-body strong").first).to_have_text("Nimbus Book 14")
    shoot(page, "64-question-after-rollback")


def test_a_moderator_removes_a_file_from_the_thread_tools(
    live_server: LiveServer, seeded: Seeded, pages: Pages, shoot: Screenshot
) -> None:
    base = live_server.url
    with live_server.session() as session:
        factories.make_user(session, "elena", role="moderator")
        rules = attachments.UploadRules.from_config(live_server.app.config)
        storage = live_server.app.extensions["agora_attachments"]
        [log] = attachments.upload(session, storage, seeded.helper, [("router.log", b"wan: link down\n")], rules)
        session.commit()
        factories.make_answer(session, seeded.helper, seeded.question, body=f"My log: {attachments.markdown_for(log)}")
        url = attachments.url_of(log)
    page = pages.new()
    sign_in(page, base, "elena")
    page.goto(f"{base}/mod/questions/{seeded.question.id}")
    item = page.locator(".attachment-list li")
    expect(item).to_have_count(1)
    item.locator("input[name=reason]").fill("Shows the customer's address")
    shoot(page, "65-thread-tools-attached-files")
    item.locator("button[type=submit]").click()
    expect(page.locator(".attachment-list li")).to_have_count(0)
    assert page.request.get(base + url).status == 404

"""Browser tests for any screen: no page scrolls sideways on a 390px phone, in English or in Hebrew (right to
left); the header folds into a Menu that opens without script; at 1280px a staff admin's header is one row."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from app.escalation import service as escalation
from app.forum.models import Answer
from app.moderation import service as moderation
from app.search import service as search
from tests import factories
from tests.browser.support import LiveServer, Pages, Screenshot, Seeded, header_nav, sign_in

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 800}
# Pages whose screenshots a person looks at (the rest are only measured).
PICTURED = {"home", "question", "inbox", "case", "audit", "insights"}


@dataclass
class Cast:
    case_id: int


def seed(live_server: LiveServer, seeded: Seeded) -> Cast:
    """Admins in English and in Hebrew, a flagged answer, a case, and a long unbroken word in public."""
    with live_server.session() as session:
        factories.make_user(session, "ada", role="admin", display_name="Ada Admin")
        factories.make_user(session, "hila", role="admin", display_name="הילה מנהלת", locale="he")
        mona = factories.make_user(session, "mona", role="moderator", display_name="Mona Mod")
        reporter = factories.make_user(session, "ivo")
        answer_id = session.scalar(select(Answer.id).where(Answer.question_id == seeded.question.id))
        moderation.flag_post(session, reporter, "answer", answer_id, "spam")
        asker = session.merge(seeded.asker)
        factories.make_answer(
            session, asker, seeded.question, body="See https://support.nimbus.example/" + "x" * 120 + " for more."
        )
        case = escalation.escalate(
            session, mona, seeded.question.id, escalation.EscalationDraft("billing", "high", "Looking into it.")
        )
        session.commit()
        cast = Cast(case.id)
    search.drain_app(live_server.app)
    return cast


def main_pages(base: str, seeded: Seeded, cast: Cast) -> dict[str, str]:
    question = seeded.question
    return {
        "home": f"{base}/",
        "board": f"{base}/boards/{seeded.board.slug}",
        "question": f"{base}/questions/{question.id}",
        "ask": f"{base}/ask",
        "search": f"{base}/search?q=battery",
        "profile": f"{base}/users/asker",
        "points": f"{base}/users/helper/points",
        "leaderboard": f"{base}/leaderboard",
        "notifications": f"{base}/notifications",
        "settings": f"{base}/settings/profile",
        "notification-settings": f"{base}/settings/notifications",
        "queue": f"{base}/mod",
        "audit": f"{base}/mod/audit",
        "listening": f"{base}/admin/listening",
        "admin-boards": f"{base}/admin/boards",
        "admin-board": f"{base}/admin/boards/{seeded.board.id}",
        "admin-members": f"{base}/admin/members",
        "admin-member": f"{base}/admin/members/asker",
        "admin-reputation": f"{base}/admin/reputation",
        "inbox": f"{base}/staff",
        "my-cases": f"{base}/cases",
        "case": f"{base}/cases/{cast.case_id}",
        "insights": f"{base}/insights",
    }


OVERFLOW = """() => {
  const width = window.innerWidth;
  const wide = [...document.querySelectorAll('body *')].filter(el => {
    const r = el.getBoundingClientRect();
    return r.width && (r.right > width + 1 || r.left < -1) && !el.closest('.table-scroll, pre, .visually-hidden');
  });
  const names = wide.slice(0, 5).map(el => el.tagName.toLowerCase() + '.' + [...el.classList].join('.'));
  return {scroll: document.documentElement.scrollWidth, inner: width, wide: names};
}"""


@pytest.mark.parametrize("language", ["en", "he"])
def test_no_page_scrolls_sideways_on_a_phone(
    live_server: LiveServer, seeded: Seeded, pages: Pages, shoot: Screenshot, language: str
) -> None:
    cast = seed(live_server, seeded)
    page = pages.new(viewport=PHONE)
    sign_in(page, live_server.url, "ada" if language == "en" else "hila")
    failures = {}
    for name, url in main_pages(live_server.url, seeded, cast).items():
        response = page.goto(url)
        assert response is not None and response.ok, (name, response and response.status)
        assert page.locator("html").get_attribute("lang") == language, name
        measured = page.evaluate(OVERFLOW)
        if measured["scroll"] > measured["inner"]:
            failures[name] = measured
        if name in PICTURED:
            shoot(page, f"screens-390-{language}-{name}")
    assert failures == {}, failures


def test_the_menu_opens_without_script_on_a_phone(
    live_server: LiveServer, seeded: Seeded, pages: Pages, shoot: Screenshot
) -> None:
    seed(live_server, seeded)
    page = pages.new(viewport=PHONE, java_script_enabled=False)
    sign_in(page, live_server.url, "ada")
    nav = header_nav(page)
    toggle = page.locator("summary.nav-toggle")
    expect(toggle).to_be_visible()
    expect(toggle).to_have_text("Menu")
    expect(nav.get_by_role("link", name="Questions")).to_be_hidden()
    shoot(page, "screens-390-menu-closed", full_page=False)
    toggle.click()
    for name in ("Questions", "Top helpers", "Moderation", "Staff inbox", "Insights", "My cases", "Notifications"):
        expect(nav.get_by_role("link", name=name)).to_be_visible()
    expect(nav.get_by_role("button", name="Sign out")).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    shoot(page, "screens-390-menu-open", full_page=False)
    toggle.click()
    expect(nav.get_by_role("link", name="Questions")).to_be_hidden()


@pytest.mark.parametrize("language", ["en", "he"])
def test_a_staff_admins_header_is_one_row_at_1280(
    live_server: LiveServer, seeded: Seeded, pages: Pages, shoot: Screenshot, language: str
) -> None:
    seed(live_server, seeded)
    page = pages.new(viewport=DESKTOP)
    sign_in(page, live_server.url, "ada" if language == "en" else "hila")
    page.goto(f"{live_server.url}/")
    expect(page.locator("summary.nav-toggle")).to_be_hidden()
    items = header_nav(page).locator(":scope > a, :scope > form")
    assert items.count() >= 10  # Questions .. Sign out, Admin included ("Ask a question" sits by the search)
    boxes = [items.nth(i).bounding_box() for i in range(items.count())]
    centres = [box["y"] + box["height"] / 2 for box in boxes if box]
    assert len(centres) == items.count(), "a header link is not shown"
    shoot(page, f"screens-1280-{language}-header", full_page=False)
    texts = [text.split("\n")[0] for text in items.all_inner_texts()]
    rows = [(text, round(box["x"]), round(box["y"])) for text, box in zip(texts, boxes, strict=True) if box]
    assert max(centres) - min(centres) <= 6, rows

"""axe-core on the main pages of every role (visitor, member, moderator, staff), in English and Hebrew, in the
light and the dark scheme: no violation of a WCAG 2.0/2.1/2.2 A or AA rule, whatever its impact. And the
screenshots a person looks at: the main pages in all five languages at 1280 px and at 390 px.

axe-core comes inside the axe-playwright-python package (nothing is downloaded); one browser, and one page
per role and scheme, reused from page to page."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Page, expect
from sqlalchemy import select

from app.accounts.models import User
from app.escalation import service as escalation
from app.forum.models import Answer
from app.moderation import service as moderation
from app.reputation import service as reputation
from app.search import service as search
from tests import factories
from tests.browser.support import LiveServer, Pages, Screenshot, Seeded, sign_in

pytestmark = pytest.mark.browser

WCAG_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]
AXE_OPTIONS = {"runOnly": {"type": "tag", "values": WCAG_AA}, "resultTypes": ["violations"]}
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 800}
LANGUAGES = ("en", "el", "pl", "sq", "he")


@dataclass
class Cast:
    question_id: int
    case_id: int


def seed(live_server: LiveServer, seeded: Seeded, language: str) -> Cast:
    """The seeded thread solved, its answer flagged, a case worked by staff; every account in `language`."""
    with live_server.session() as session:
        asker = session.merge(seeded.asker)
        mona = factories.make_user(session, "mona", role="moderator", display_name="Mona Mod")
        nina = factories.make_user(session, "nina", role="staff", display_name="Nina Staff")
        factories.make_user(session, "ada", role="admin", display_name="Ada Admin")
        answer_id = session.scalar(select(Answer.id).where(Answer.question_id == seeded.question.id))
        reputation.accept_answer(session, asker, seeded.question.id, answer_id)
        moderation.flag_post(session, factories.make_user(session, "ivo"), "answer", answer_id, "spam")
        billing = factories.make_question(
            session, asker, session.merge(seeded.board), title="Charged twice for my November bill"
        )
        case = escalation.escalate(
            session, mona, billing.id, escalation.EscalationDraft("billing", "high", "Our billing team is on it.")
        )
        session.commit()
        escalation.post_message(session, nina, case.id, "I can see the double charge; a refund is on its way.")
        escalation.assign(session, nina, case.id, "nina")
        escalation.post_message(session, nina, case.id, "Refund approved by finance.", internal=True)
        for user in session.scalars(select(User)):
            user.locale = language
        session.commit()
        cast = Cast(seeded.question.id, case.id)
    search.drain_app(live_server.app)
    return cast


def role_pages(base: str, cast: Cast) -> dict[str, dict[str, str]]:
    """role -> {page name: url}; the visitor's pages include an error page."""
    return {
        "visitor": {
            "home": f"{base}/",
            "board": f"{base}/boards/laptops",
            "question-with-solution": f"{base}/questions/{cast.question_id}",
            "search": f"{base}/search?q=battery",
            "profile": f"{base}/users/helper",
            "leaderboard": f"{base}/leaderboard",
            "error-404": f"{base}/questions/987654",
        },
        "asker": {
            "ask": f"{base}/ask",
            "notifications": f"{base}/notifications",
            "settings": f"{base}/settings/profile",
        },
        "mona": {"moderation-queue": f"{base}/mod", "audit-log": f"{base}/mod/audit"},
        "nina": {
            "staff-inbox": f"{base}/staff",
            "case": f"{base}/cases/{cast.case_id}",
            "insights": f"{base}/insights",
        },
    }


def show_suggestions(page: Page) -> None:
    """On the ask page: the billing suggestion and similar questions, as a member typing sees them."""
    title = page.locator("#title")
    title.fill("Refund for the invoice I paid twice")
    expect(page.locator("#private-help-suggestion")).to_be_visible()
    title.fill("Nimbus Book 14 won't charge past 80% refund")
    expect(page.locator("#similar-questions")).to_be_visible()
    expect(page.locator("#private-help-suggestion")).to_be_visible()


def violations(axe: Axe, page: Page) -> list[str]:
    results = axe.run(page, options=AXE_OPTIONS)
    found = []
    for violation in results.response["violations"]:
        targets = [" ".join(map(str, node["target"])) for node in violation["nodes"][:4]]
        found.append(f"{violation['id']} ({violation['impact']}): {violation['help']} at {targets}")
    return found


@pytest.mark.parametrize("language", ["en", "he"])
def test_axe_finds_no_wcag_violation_for_any_role_in_light_and_dark(
    live_server: LiveServer, seeded: Seeded, pages: Pages, shoot: Screenshot, language: str
) -> None:
    cast = seed(live_server, seeded, language)
    axe = Axe()
    report: dict[str, list[str]] = {}
    checked = 0
    for scheme in ("light", "dark"):
        for role, urls in role_pages(live_server.url, cast).items():
            if role == "visitor":  # a visitor's language comes from the browser
                page = pages.new(color_scheme=scheme, locale="he-IL" if language == "he" else "en-GB")
            else:
                page = pages.new(color_scheme=scheme)
                sign_in(page, live_server.url, role)
            for name, url in urls.items():
                page.goto(url)
                assert page.locator("html").get_attribute("lang") == language, (role, name)
                if name == "ask":
                    show_suggestions(page)
                found = violations(axe, page)
                checked += 1
                if found:
                    report[f"{scheme} {role} {name}"] = found
                    shoot(page, f"axe-{language}-{scheme}-{name}")
            page.context.close()
    # the error page's own 404 is what was asked for, not a problem
    pages.problems[:] = [line for line in pages.problems if "/questions/987654" not in line]
    assert checked >= 30
    assert report == {}, "\n".join(f"{key}:\n  " + "\n  ".join(lines) for key, lines in report.items())


def test_axe_does_find_what_it_is_there_to_find(live_server: LiveServer, seeded: Seeded, pages: Pages) -> None:
    """The check can fail: an unlabelled field, an image without text and grey-on-white text are reported."""
    page = pages.new()
    page.goto(f"{live_server.url}/questions/{seeded.question.id}")
    page.evaluate(
        """() => {
          const main = document.querySelector('main');
          main.insertAdjacentHTML('afterbegin',
            '<input type="text" name="x"><img src="/static/img/logo.svg"><p>faint</p>');
          const faint = main.querySelector('p');  // set through the CSSOM: the page's CSP refuses style attributes
          faint.style.color = '#bbb';
          faint.style.background = '#fff';
        }"""
    )
    found = " ".join(violations(Axe(), page))
    for rule in ("label", "image-alt", "color-contrast"):
        assert f"{rule} (" in found, found


SCREENSHOT_PAGES = ("home", "question", "ask", "search", "inbox", "case", "audit", "insights")


def screenshot_urls(base: str, cast: Cast) -> dict[str, str]:
    return {
        "home": f"{base}/",
        "question": f"{base}/questions/{cast.question_id}",
        "ask": f"{base}/ask",
        "search": f"{base}/search?q=battery",
        "inbox": f"{base}/staff",
        "case": f"{base}/cases/{cast.case_id}",
        "audit": f"{base}/mod/audit",
        "insights": f"{base}/insights",
    }


def assert_header_is_one_row(page: Page, language: str) -> None:
    """A staff admin's navigation, every item on one row (their vertical centres within a few pixels)."""
    items = page.locator("nav.site-nav").locator(":scope > a, :scope > form")
    assert items.count() >= 10
    boxes = [box for box in (items.nth(i).bounding_box() for i in range(items.count())) if box]
    assert len(boxes) == items.count(), "a header link is not shown"
    centres = [box["y"] + box["height"] / 2 for box in boxes]
    texts = [text.split("\n")[0] for text in items.all_inner_texts()]
    rows = [(text, round(box["x"]), round(box["y"])) for text, box in zip(texts, boxes, strict=True)]
    assert max(centres) - min(centres) <= 6, (language, rows)


def sign_in_by_fields(page: Page, base: str, login: str) -> None:
    """Sign in whatever language the page speaks: by the fields' names, not their labels."""
    page.goto(f"{base}/login")
    page.locator("input[name=login]").fill(login)
    page.locator("input[name=password]").fill(factories.PASSWORD)
    page.locator("form:has(input[name=password]) button[type=submit]").click()
    expect(page.locator("form[action$='/logout']")).to_have_count(1)


def test_screenshots_of_the_main_pages_in_five_languages(
    live_server: LiveServer, seeded: Seeded, pages: Pages, shoot: Screenshot
) -> None:
    """test-output/lang-<language>-<width>-<page>.png, for a person to look at (README shows two of them)."""
    cast = seed(live_server, seeded, "en")
    urls = screenshot_urls(live_server.url, cast)
    for language in LANGUAGES:
        # the browser in the reader's language too: it draws date fields (dd.mm.rrrr, ηη/μμ/εεεε) its own way
        desktop, phone = (pages.new(viewport=size, locale=language) for size in (DESKTOP, PHONE))
        for page in (desktop, phone):
            sign_in_by_fields(page, live_server.url, "ada")  # the sign-in page is in the browser's language
        with live_server.session() as session:
            session.scalar(select(User).where(User.username == "ada")).locale = language
            session.commit()
        for width, page in (("1280", desktop), ("390", phone)):
            if width == "1280":
                page.goto(urls["home"])
                assert_header_is_one_row(page, language)
            for name in SCREENSHOT_PAGES:
                page.goto(urls[name])
                assert page.locator("html").get_attribute("lang") == language
                assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"), (language, name)
                shoot(page, f"lang-{language}-{width}-{name}")
        desktop.context.close()
        phone.context.close()

"""Browser tests for the accessibility that axe can't see (WCAG 2.2 AA): the focus indicator on every tab stop,
forced colours included; contrast measured on rendered pixels; live regions; focus after a refused form; and the
moderation queue's Tab order against what is shown."""

from __future__ import annotations

from itertools import pairwise

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import select

from app.forum.models import Answer
from app.moderation import service as moderation
from app.search import service as search
from tests import factories
from tests.browser.a11y_support import FOCUS_PROBE, contrast, extremes, luminance, parse_colours, png_pixels
from tests.browser.support import LiveServer, Pages, Screenshot, Seeded, sign_in

pytestmark = pytest.mark.browser

MAX_TAB_STOPS = 250


def flag_the_answer(live_server: LiveServer, seeded: Seeded) -> None:
    """A moderator, and a flag on the seeded answer so the queue has an item with all its actions."""
    with live_server.session() as session:
        factories.make_user(session, "mona", role="moderator", display_name="Mona Mod")
        reporter = factories.make_user(session, "ivo")
        answer_id = session.scalar(select(Answer.id).where(Answer.question_id == seeded.question.id))
        moderation.flag_post(session, reporter, "answer", answer_id, "spam")
        session.commit()


def tab_through(page: Page) -> list[dict]:
    """Press Tab until focus comes round to a stop seen before (a page may start focused part-way down, and
    focus passes through the browser's own controls between the last stop and the first); what each stop's
    outline looked like."""
    stops: list[dict] = []
    seen: set[str] = set()
    outside = 0
    for _ in range(MAX_TAB_STOPS):
        page.keyboard.press("Tab")
        probe = page.evaluate(FOCUS_PROBE)
        if probe is None:
            outside += 1
            if outside > 3:
                break
            continue
        if probe["key"] in seen:
            break
        seen.add(probe["key"])
        stops.append(probe)
    assert len(stops) > 5, f"only {len(stops)} tab stops: is the page there?"
    assert any(stop["name"].startswith("a Skip to content") for stop in stops), "the walk missed the page's start"
    return stops


def focus_problems(stops: list[dict], forced: bool) -> tuple[list[str], float]:
    """Stops whose outline is missing, thinner than 2px or (in normal colours) under 3:1 against what is behind
    it; and the lowest contrast seen."""
    problems, lowest = [], 21.0
    for stop in stops:
        if stop["outlineStyle"] == "none" or stop["outlineWidth"] < 2:
            problems.append(f"{stop['name']!r}: outline {stop['outlineStyle']} {stop['outlineWidth']}px")
            continue
        if forced:
            continue  # the system colours are the user's choice
        (ring, _alpha), *_ = parse_colours(stop["outlineColor"])
        for colour, alpha in parse_colours(stop["behind"]):
            if alpha == 0:
                continue
            ratio = contrast(ring, colour)
            lowest = min(lowest, ratio)
            if ratio < 3:
                problems.append(f"{stop['name']!r}: outline {ring} on {colour} is {ratio:.2f}:1")
    return problems, lowest


@pytest.mark.parametrize("forced_colors", ["none", "active"])
def test_every_tab_stop_shows_a_focus_outline_of_enough_contrast(
    live_server: LiveServer, seeded: Seeded, pages: Pages, shoot: Screenshot, forced_colors: str
) -> None:
    base = live_server.url
    flag_the_answer(live_server, seeded)
    visitor = pages.new(forced_colors=forced_colors)
    moderator = pages.new(forced_colors=forced_colors)
    sign_in(moderator, base, "mona")
    question_url = f"{base}/questions/{seeded.question.id}"
    report = {}
    for page, url in [
        (visitor, f"{base}/login"),
        (moderator, f"{base}/"),
        (moderator, question_url),
        (moderator, f"{base}/ask"),
        (moderator, f"{base}/mod"),
    ]:
        page.goto(url)
        stops = tab_through(page)
        problems, lowest = focus_problems(stops, forced=forced_colors == "active")
        assert problems == [], f"{url}: {problems}"
        report[url] = (len(stops), round(lowest, 2))
    # A picture of the focus ring on the banner's button and in the header, for a person to look at.
    moderator.goto(f"{base}/")
    moderator.locator(".hero .button").focus()
    shoot(moderator, f"a11y-focus-banner-{forced_colors}", full_page=False)
    print("tab stops and lowest outline contrast per page:", report)


def test_focus_outline_has_enough_contrast_in_the_dark_scheme(
    live_server: LiveServer, seeded: Seeded, pages: Pages, shoot: Screenshot
) -> None:
    """With prefers-color-scheme: dark the outline changes colour, and keeps 3:1 against the dark surfaces."""
    base = live_server.url
    flag_the_answer(live_server, seeded)
    moderator = pages.new(color_scheme="dark")
    sign_in(moderator, base, "mona")
    report = {}
    light_ring = "rgb(11, 46, 111)"  # --focus-ring in the light scheme
    for url in (f"{base}/", f"{base}/questions/{seeded.question.id}", f"{base}/mod"):
        moderator.goto(url)
        stops = tab_through(moderator)
        problems, lowest = focus_problems(stops, forced=False)
        assert problems == [], f"{url}: {problems}"
        assert light_ring not in {stop["outlineColor"] for stop in stops}, "the outline kept its light-scheme colour"
        report[url] = (len(stops), round(lowest, 2))
    moderator.goto(f"{base}/questions/{seeded.question.id}")
    moderator.locator(".post-actions a, .post-actions button").first.focus()
    shoot(moderator, "a11y-focus-dark", full_page=False)
    print("dark scheme: tab stops and lowest outline contrast per page:", report)


# Runs in the page: the computed text colour and background of each element (the first opaque one up the tree).
TEXT_ON_BACKGROUND = r"""selectors => selectors.map(selector => {
  const el = document.querySelector(selector);
  if (!el) return null;
  let back = null;
  for (let node = el; node && !back; node = node.parentElement) {
    const colour = getComputedStyle(node).backgroundColor;
    if (!/rgba\(0, 0, 0, 0\)|transparent/.test(colour)) back = colour;
  }
  return {selector, ink: getComputedStyle(el).color, back};
})"""


def test_dark_scheme_text_has_enough_contrast(
    live_server: LiveServer, seeded: Seeded, pages: Pages, shoot: Screenshot
) -> None:
    page = pages.new(color_scheme="dark", viewport={"width": 1280, "height": 900})
    sign_in(page, live_server.url, "asker")
    page.goto(f"{live_server.url}/questions/{seeded.question.id}")
    shoot(page, "a11y-dark-question")
    selectors = ["body", ".post-body", ".post-meta", ".crumbs a", ".tag", ".site-footer", ".button", "#header-q"]
    measured = page.evaluate(TEXT_ON_BACKGROUND, selectors)
    body_ink, body_back = measured[0]["ink"], measured[0]["back"]
    assert luminance(parse_colours(body_back)[0][0]) < 0.05, f"the dark page's background is {body_back}"
    ratios = {}
    for found in measured:
        assert found is not None and found["back"], found
        ratio = contrast(parse_colours(found["ink"])[0][0], parse_colours(found["back"])[0][0])
        ratios[found["selector"]] = round(ratio, 2)
    print(f"dark scheme: body {body_ink} on {body_back}; contrast per element: {ratios}")
    assert all(ratio >= 4.5 for ratio in ratios.values()), ratios
    page.goto(f"{live_server.url}/")
    shoot(page, "a11y-dark-home")


def test_banner_text_has_enough_contrast_on_its_rendered_background(
    live_server: LiveServer, seeded: Seeded, pages: Pages, shoot: Screenshot
) -> None:
    page = pages.new(viewport={"width": 1280, "height": 800})
    page.goto(f"{live_server.url}/")
    shoot(page, "a11y-banner", full_page=False)
    for selector in (".hero h1", ".hero .lead"):
        text = page.locator(selector)
        (ink, _alpha), *_ = parse_colours(text.evaluate("el => getComputedStyle(el).color"))
        # The background behind the words: the same box, with the text made invisible.
        text.evaluate("el => { el.style.color = 'transparent'; }")
        lightest, darkest = extremes(png_pixels(text.screenshot()))
        text.evaluate("el => { el.style.color = ''; }")
        ratios = contrast(ink, lightest), contrast(ink, darkest)
        print(f"{selector}: text {ink} on {lightest}..{darkest}: {min(ratios):.2f} to {max(ratios):.2f}:1")
        assert min(ratios) >= 4.5, (selector, ink, lightest, darkest, ratios)


def test_chart_text_has_enough_contrast(live_server: LiveServer, pages: Pages, shoot: Screenshot) -> None:
    with live_server.session() as session:
        factories.make_user(session, "nina", role="staff")
    page = pages.new(viewport={"width": 1280, "height": 900})
    sign_in(page, live_server.url, "nina")
    page.goto(f"{live_server.url}/insights")
    chart = page.locator("svg.chart").first
    chart.scroll_into_view_if_needed()
    shoot(page, "a11y-insights-chart", full_page=True)
    texts = chart.locator("text")
    assert texts.count() > 0
    lowest = 21.0
    for i in range(texts.count()):
        text = texts.nth(i)
        (ink, _alpha), *_ = parse_colours(text.evaluate("el => getComputedStyle(el).fill"))
        text.evaluate("el => { el.style.fill = 'transparent'; }")
        lightest, darkest = extremes(png_pixels(text.screenshot()))
        text.evaluate("el => { el.style.fill = ''; }")
        ratio = min(contrast(ink, lightest), contrast(ink, darkest))
        lowest = min(lowest, ratio)
        assert ratio >= 4.5, (text.text_content(), ink, lightest, darkest, ratio)
    print(f"lowest chart text contrast: {lowest:.2f}:1")


LIVE_REGION = """el => {
  const region = el.parentElement && el.parentElement.closest('[aria-live]');
  return region && {live: region.getAttribute('aria-live'), role: region.getAttribute('role'),
                    shown: !region.hidden && getComputedStyle(region).display !== 'none'};
}"""


def test_suggestion_boxes_are_live_regions_before_they_fill(
    live_server: LiveServer, seeded: Seeded, pages: Pages, shoot: Screenshot
) -> None:
    search.drain_app(live_server.app)  # the seeded question is in the index, so it can be suggested
    page = pages.new()
    sign_in(page, live_server.url, "asker")
    page.goto(f"{live_server.url}/ask")
    billing, similar = page.locator("#private-help-suggestion"), page.locator("#similar-questions")
    for box in (billing, similar):
        expect(box).to_be_hidden()
        # The region is in the page, and shown, before the script puts anything in it.
        assert box.evaluate(LIVE_REGION) == {"live": "polite", "role": "status", "shown": True}
    page.get_by_label("Title").fill("Refund for the invoice I paid twice")
    expect(billing).to_be_visible()
    expect(billing.locator("[data-keywords]")).to_contain_text("refund")
    page.get_by_label("Title").fill("Nimbus Book 14 won't charge past 80%")
    expect(similar).to_be_visible()
    expect(similar.get_by_role("link")).to_contain_text(["Nimbus Book 14 won't charge past 80%"])
    expect(similar.get_by_role("link").first).to_have_attribute("lang", "en")
    shoot(page, "a11y-ask-suggestions")


def test_a_refused_form_focuses_its_error_summary_and_marks_its_fields(
    live_server: LiveServer, pages: Pages, shoot: Screenshot
) -> None:
    page = pages.new()
    page.goto(f"{live_server.url}/register")
    with page.expect_console_message(lambda m: "422" in m.text) as logged:
        page.get_by_role("button", name="Create my account").click()
    pages.problems.remove(f"console error: {logged.value.text} ({logged.value.location.get('url')})")  # expected
    summary = page.get_by_role("alert")
    expect(summary).to_be_focused()
    expect(summary).to_contain_text("Please correct the marked fields")
    username = page.get_by_label("Username")
    expect(username).to_have_attribute("aria-invalid", "true")
    described = username.get_attribute("aria-describedby") or ""
    errors = " ".join(page.locator(f"#{name}").inner_text() for name in described.split())
    assert "Choose a username." in errors
    assert page.locator("[autofocus]").count() == 0
    summary.get_by_role("link", name="Username: Choose a username.").click()
    expect(username).to_be_focused()
    shoot(page, "a11y-register-errors")


def test_moderation_queue_tab_order_follows_what_is_shown(
    live_server: LiveServer, seeded: Seeded, pages: Pages, shoot: Screenshot
) -> None:
    flag_the_answer(live_server, seeded)
    page = pages.new()
    sign_in(page, live_server.url, "mona")
    page.goto(f"{live_server.url}/mod")
    actions = page.locator(".queue-actions").first
    actions.scroll_into_view_if_needed()
    shoot(page, "a11y-mod-queue")
    page.locator(".queue-item .quoted-post").first.evaluate("el => el.closest('li').querySelector('a').focus()")
    boxes = []
    for _ in range(40):
        page.keyboard.press("Tab")
        inside = page.evaluate(
            """() => { const el = document.activeElement; if (!el.closest('.queue-actions')) return null;
                 const r = el.getBoundingClientRect();
                 return {name: (el.textContent || el.name || '').trim().slice(0, 30), top: r.top, bottom: r.bottom,
                         left: r.left}; }"""
        )
        if inside is None and boxes:
            break
        if inside is not None:
            boxes.append(inside)
    names = [box["name"] for box in boxes]
    assert len(boxes) >= 4, names
    for before, after in pairwise(boxes):
        later_line = after["top"] >= before["bottom"] - 2
        same_line_further = (
            after["top"] < before["bottom"] and after["bottom"] > before["top"] and (after["left"] > before["left"])
        )
        assert later_line or same_line_further, f"Tab goes from {before} back up/left to {after}: {names}"

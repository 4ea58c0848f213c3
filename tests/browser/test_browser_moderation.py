"""Browser test: members flag spam, and a moderator works the queue end to end — hide, thread tools, suspension,
the audit log — then the suspended spammer and a visitor see the result."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import timedelta

import pytest
from playwright.sync_api import Locator, Page, expect
from sqlalchemy import select

from app.accounts.models import User
from app.db import utcnow
from app.forum.models import Answer, Question
from app.moderation.models import Flag, ModerationAction
from tests import factories
from tests.browser.support import LiveServer, Pages, Screenshot, header_nav, sign_in

pytestmark = pytest.mark.browser

SPAM = "MEGA SALE!!! Nimbus chargers 90% off at cheap-chargers.example, use code SPAM90, hurry, limited stock!!!"
HIDE_REASON = "Advertising for an unrelated shop."
SUSPEND_REASON = "Posting advertisements in answers and questions."


@dataclass
class Cast:
    """Ids of what the test seeds (ids, not instances: every check reads the database afresh)."""

    question_id: int  # the asker's question
    spam_answer_id: int
    spam_question_id: int
    spammer_id: int
    moderator_id: int


def seed(live_server: LiveServer) -> Cast:
    with live_server.session() as session:
        board = factories.make_board(session, slug="laptops", name="Laptops")
        asker = factories.make_user(session, "asker", display_name="Alex Asker")
        spammer = factories.make_user(session, "spammer", display_name="Deal Dan")
        helper = factories.make_user(session, "hanna", display_name="Helpful Hanna")
        factories.make_user(session, "ivo", display_name="Ivo Reader")
        moderator = factories.make_user(session, "mona", role="moderator", display_name="Mona Mod")
        question = factories.make_question(
            session,
            asker,
            board,
            title="Nimbus Book 14 won't charge past 80% after the firmware update",
            body="Since the update my **Nimbus Book 14** stops charging at 80%. What should I check?",
            tags=("battery",),
        )
        factories.make_answer(session, helper, question, body="Turn off *Battery care* in Settings → Power.")
        spam_answer = factories.make_answer(session, spammer, question, body=SPAM)
        spam_question = factories.make_question(
            session,
            spammer,
            board,
            title="Why does my Nimbus Book 14 stop charging at 80 percent?",
            body=f"Asking for a friend. {SPAM}",
        )
        return Cast(question.id, spam_answer.id, spam_question.id, spammer.id, moderator.id)


def flashes(page: Page) -> Locator:
    """The flashed messages (a live region; the page may hold other role="status" notices too)."""
    return page.get_by_role("status").and_(page.locator(".flashes"))


def flag_spam_answer(page: Page, base: str, cast: Cast, choice: str, note: str = "") -> None:
    """On the question page, follow the spam answer's "Flag" link and send the flag form."""
    page.goto(f"{base}/questions/{cast.question_id}")
    answer = page.get_by_role("article", name="Answer by Deal Dan")
    expect(answer).to_contain_text("MEGA SALE")
    answer.get_by_role("link", name="Flag").click()
    expect(page).to_have_url(f"{base}/answers/{cast.spam_answer_id}/flag")
    expect(page.get_by_role("heading", level=1)).to_have_text("Flag this answer")
    expect(page.locator(".quoted-post")).to_contain_text("MEGA SALE")
    page.get_by_role("radio", name=choice).check()
    if note:
        page.get_by_label("Note for the moderators").fill(note)


def test_moderator_works_the_queue_end_to_end(
    live_server: LiveServer, pages: Pages, shoot: Screenshot
) -> None:
    base = live_server.url
    cast = seed(live_server)
    question_url = re.compile(rf"^{re.escape(base)}/questions/{cast.question_id}/[\w-]+")

    # 1. Two members flag the spam answer through the question page and the flag form.
    hanna = pages.new()
    sign_in(hanna, base, "hanna")
    flag_spam_answer(hanna, base, cast, "Spam or advertising")
    hanna.get_by_role("button", name="Send to the moderators").click()
    expect(hanna).to_have_url(re.compile(rf"{question_url.pattern}#answer-{cast.spam_answer_id}$"))
    expect(flashes(hanna)).to_have_text("Thanks. The moderators will take a look.")

    ivo = pages.new()
    sign_in(ivo, base, "ivo")
    note = "He posts this shop under every battery question."
    flag_spam_answer(ivo, base, cast, "Rude or abusive", note)
    shoot(ivo, "50-mod-flag-form")
    ivo.get_by_role("button", name="Send to the moderators").click()
    expect(flashes(ivo)).to_have_text("Thanks. The moderators will take a look.")

    with live_server.session() as session:
        flags = session.scalars(select(Flag).where(Flag.answer_id == cast.spam_answer_id).order_by(Flag.id)).all()
        assert [(f.reason, f.note, f.status) for f in flags] == [("spam", "", "pending"), ("abusive", note, "pending")]

    # 2. The moderator signs in: the header counts one post waiting; the queue shows it with both flags.
    mod = pages.new()
    sign_in(mod, base, "mona")
    moderation_link = header_nav(mod).get_by_role("link", name=re.compile(r"^Moderation"))
    expect(moderation_link).to_have_accessible_name("Moderation 1 post waiting")
    expect(moderation_link.locator(".count")).to_have_text("1")
    moderation_link.click()
    expect(mod).to_have_url(f"{base}/mod")
    expect(mod.get_by_role("heading", level=1)).to_have_text("Moderation queue")
    items = mod.locator("ol.queue > li")
    expect(items).to_have_count(1)
    item = mod.locator(f"#queue-answer-{cast.spam_answer_id}")
    expect(item.locator(".badge-urgent")).to_have_text("Priority 4")  # two flags, "abusive" counts 2 more
    expect(item.locator(".quoted-post")).to_contain_text("MEGA SALE")
    expect(item.locator(".flag-list > li")).to_have_count(2)
    expect(item.locator(".flag-reason")).to_have_text(["Abusive", "Spam"])  # newest first
    expect(item.locator(".flag-list > li").first).to_contain_text("from Ivo Reader")
    expect(item.locator(".flag-list > li").first.locator("q")).to_have_text(note)
    expect(item.locator(".flag-list > li").nth(1)).to_contain_text("from Helpful Hanna")
    suspend_link = item.get_by_role("link", name="Suspend the author")
    expect(suspend_link).to_have_attribute("href", "/mod/users/spammer")
    shoot(mod, "51-mod-queue")

    # 3. Hide the answer from the queue with a reason: flash, and the queue is empty.
    item.get_by_label("Reason for hiding (the author sees it)").fill(HIDE_REASON)
    item.get_by_role("button", name="Hide the post").click()
    expect(mod).to_have_url(f"{base}/mod")
    expect(flashes(mod)).to_have_text("The post is hidden. Its author sees your reason.")
    expect(mod.get_by_text("Nothing to review. Nice and quiet.")).to_be_visible()
    expect(items).to_have_count(0)
    expect(moderation_link).to_have_accessible_name("Moderation")  # no count badge left
    expect(moderation_link.locator(".count")).to_have_count(0)
    with live_server.session() as session:
        answer = session.get(Answer, cast.spam_answer_id)
        assert answer is not None and answer.is_hidden and answer.hidden_reason == HIDE_REASON
        statuses = session.scalars(select(Flag.status).where(Flag.answer_id == cast.spam_answer_id)).all()
        assert statuses == ["actioned", "actioned"]
        question = session.get(Question, cast.question_id)
        assert question is not None and question.answer_count == 1

    # 4. Thread tools on the spammer's question: lock it, then close it as a duplicate of the asker's question.
    mod.goto(f"{base}/questions/{cast.spam_question_id}")
    mod.locator("article.question").get_by_role("link", name="Moderate").click()
    expect(mod).to_have_url(f"{base}/mod/questions/{cast.spam_question_id}")
    expect(mod.get_by_role("heading", level=1)).to_have_text("Thread tools")
    mod.get_by_role("button", name="Lock the thread (no new answers)").click()
    expect(flashes(mod)).to_have_text("Thread locked.")
    expect(mod.get_by_text("This thread is locked: it takes no new answers.")).to_be_visible()

    mod.locator("article.question").get_by_role("link", name="Moderate").click()
    duplicate = mod.get_by_role("region", name="Duplicate")
    duplicate.get_by_label("Original question (its number or its address)").fill(str(cast.question_id))
    duplicate.get_by_label("Reason").fill("Same question, already answered.")
    duplicate.get_by_role("button", name="Close as a duplicate").click()
    expect(mod).to_have_url(re.compile(rf"^{re.escape(base)}/questions/{cast.spam_question_id}/[\w-]+$"))
    expect(flashes(mod)).to_have_text("Closed as a duplicate.")
    expect(mod.get_by_text("This thread is locked: it takes no new answers.")).to_be_visible()
    expect(mod.get_by_text("This question was closed as a duplicate.")).to_be_visible()
    original_link = mod.get_by_role("link", name="See the original question and its answers")
    expect(original_link).to_have_attribute("href", f"/questions/{cast.question_id}")
    shoot(mod, "52-mod-locked-duplicate")
    with live_server.session() as session:
        spam_question = session.get(Question, cast.spam_question_id)
        assert spam_question is not None
        assert spam_question.is_locked and spam_question.duplicate_of_id == cast.question_id

    # 5. Suspend the spammer for a week (the queue's "Suspend the author" address), then read the audit log.
    mod.goto(f"{base}/mod/users/spammer")
    mod.get_by_label("How long").select_option(label="1 week")
    mod.get_by_label("Reason").fill(SUSPEND_REASON)
    mod.get_by_role("button", name="Suspend", exact=True).click()
    expect(flashes(mod)).to_have_text("Deal Dan is suspended.")
    expect(mod.locator("p.notice-warn")).to_contain_text(SUSPEND_REASON)
    with live_server.session() as session:
        spammer = session.get(User, cast.spammer_id)
        assert spammer is not None and spammer.is_suspended()
        assert spammer.suspended_until is not None
        assert abs(spammer.suspended_until - (utcnow() + timedelta(days=7))) < timedelta(minutes=5)

    mod.goto(f"{base}/mod/audit")
    expect(mod.get_by_role("heading", level=1)).to_have_text("Audit log")
    rows = mod.locator("table.audit-table tbody tr")
    expected = [  # newest first, each as a sentence
        ("Mona Mod suspended Deal Dan until ", "member #", SUSPEND_REASON),
        (
            f"Mona Mod closed question #{cast.spam_question_id} as a duplicate of question #{cast.question_id}.",
            f"question #{cast.spam_question_id}",
            "Same question, already answered.",
        ),
        (f"Mona Mod locked question #{cast.spam_question_id}.", f"question #{cast.spam_question_id}", ""),
        ("Mona Mod hid an answer by Deal Dan.", f"answer #{cast.spam_answer_id}", HIDE_REASON),
    ]
    expect(rows).to_have_count(len(expected))
    for row, (sentence, target, reason) in zip(rows.all(), expected, strict=True):
        cells = row.locator("td")
        expect(cells.nth(1)).to_contain_text(sentence)
        expect(cells.nth(2)).to_contain_text(target)
        expect(cells.nth(3)).to_have_text(reason)
    shoot(mod, "53-mod-audit-log")
    with live_server.session() as session:
        logged = session.execute(
            select(ModerationAction.action, ModerationAction.actor_id, ModerationAction.target_id).order_by(
                ModerationAction.id
            )
        ).all()
        assert logged == [
            ("post_hidden", cast.moderator_id, cast.spam_answer_id),
            ("thread_locked", cast.moderator_id, cast.spam_question_id),
            ("closed_as_duplicate", cast.moderator_id, cast.spam_question_id),
            ("member_suspended", cast.moderator_id, cast.spammer_id),
        ]

    # 6. The spammer: the suspension banner with the reason, their hidden answer with the moderator's reason,
    #    no answer form, and posting a question is refused.
    dan = pages.new()
    dan.goto(f"{base}/login")
    dan.get_by_label("Username or e-mail").fill("spammer")
    dan.get_by_label("Password", exact=True).fill(factories.PASSWORD)
    dan.get_by_role("button", name="Sign in").click()
    expect(flashes(dan)).to_contain_text("Signed in. Welcome back")
    banner = dan.locator("main p.notice").filter(has_text="Your account is suspended until")
    expect(banner).to_contain_text("You can read, but not post, give kudos or flag.")
    expect(banner.locator("q")).to_have_text(SUSPEND_REASON)

    dan.goto(f"{base}/questions/{cast.question_id}")
    hidden = dan.get_by_role("article", name="Answer by Deal Dan")
    expect(hidden).to_contain_text("MEGA SALE")
    expect(hidden.locator(".notice-warn")).to_contain_text("Hidden from the community.")
    expect(hidden.locator(".notice-warn q")).to_have_text(HIDE_REASON)
    expect(dan.get_by_role("textbox", name="Your answer")).to_have_count(0)
    expect(dan.locator("section.answer-form")).to_contain_text("You can't answer here right now.")
    expect(dan.locator("main p.notice").filter(has_text="Your account is suspended until")).to_be_visible()
    shoot(dan, "54-mod-suspended-spammer-question")

    # The header offers no "Ask a question", and the ask page itself refuses with the reason.
    expect(dan.locator("header").get_by_role("link", name="Ask a question")).to_have_count(0)
    with (
        dan.expect_response(lambda r: r.url == f"{base}/ask") as refused,
        dan.expect_console_message(lambda m: m.type == "error" and "status of 403" in m.text) as logged,
    ):
        dan.goto(f"{base}/ask")
    assert refused.value.status == 403
    # Chromium logs every 4xx document as a console error; this one refusal is the point, so it is no problem.
    pages.problems.remove(f"console error: {logged.value.text} ({logged.value.location.get('url')})")
    expect(dan.get_by_role("heading", level=1)).to_have_text("You can't do that")
    expect(dan.locator("main")).to_contain_text("Your account is suspended")
    shoot(dan, "55-mod-suspended-ask-refused")
    with live_server.session() as session:
        assert session.scalar(select(Question.id).where(Question.title.like("Cheap Nimbus chargers%"))) is None

    # 7. A visitor sees the genuine answer, and nothing at all of the hidden one.
    visitor = pages.new()
    visitor.goto(f"{base}/questions/{cast.question_id}")
    expect(visitor.get_by_role("heading", name="1 answer", exact=True)).to_be_visible()
    expect(visitor.get_by_role("article", name="Answer by Helpful Hanna")).to_be_visible()
    expect(visitor.get_by_role("article", name="Answer by Deal Dan")).to_have_count(0)
    expect(visitor.locator("main")).not_to_contain_text("MEGA SALE")
    assert "MEGA SALE" not in visitor.content()
    assert HIDE_REASON not in visitor.content()


def test_member_flags_a_question_from_its_flag_link(live_server: LiveServer, pages: Pages) -> None:
    """The Flag link under a question opens the flag form (it used to redirect back to the question)."""
    base = live_server.url
    cast = seed(live_server)
    ivo = pages.new()
    sign_in(ivo, base, "ivo")
    ivo.goto(f"{base}/questions/{cast.spam_question_id}")
    ivo.locator("article.question").get_by_role("link", name="Flag").click()
    expect(ivo).to_have_url(f"{base}/questions/{cast.spam_question_id}/flag")
    expect(ivo.get_by_role("heading", level=1)).to_have_text("Flag this question")
    expect(ivo.locator("blockquote.quoted-post")).to_contain_text("Asking for a friend.")
    ivo.get_by_role("radio", name="Spam or advertising").check()
    ivo.get_by_role("button", name="Send to the moderators").click()
    expect(ivo).to_have_url(re.compile(rf"^{re.escape(base)}/questions/{cast.spam_question_id}/[\w-]+$"))
    expect(flashes(ivo)).to_have_text("Thanks. The moderators will take a look.")
    with live_server.session() as session:
        flags = session.scalars(select(Flag).where(Flag.question_id == cast.spam_question_id)).all()
        reporter = session.scalar(select(User).where(User.username == "ivo"))
        assert reporter is not None
        assert [(f.reporter_id, f.reason, f.status) for f in flags] == [(reporter.id, "spam", "pending")]

"""Browser tests: an admin runs boards and members from the browser — opens, renames, reorders and archives a
board, finds a member by e-mail, changes their role (which signs them out everywhere) and suspends them — and a
moderator reaches the member's history from the public profile. One admin reads the pages in Greek."""

from __future__ import annotations

import re
from dataclasses import dataclass

import pytest
from playwright.sync_api import Locator, Page, expect
from sqlalchemy import select

from app.accounts.models import User
from app.forum.models import Board
from app.moderation.models import ModerationAction
from tests import factories
from tests.browser.support import LiveServer, Pages, Screenshot, header_nav, sign_in
from tests.pending_catalogues import catalogue

pytestmark = pytest.mark.browser


@dataclass
class Cast:
    laptops_id: int
    broadband_id: int
    member_id: int


def seed(live_server: LiveServer) -> Cast:
    with live_server.session() as session:
        laptops = factories.make_board(session, "laptops", "Laptops")
        broadband = factories.make_board(session, "broadband", "Broadband")
        factories.make_user(session, "ada", role="admin", display_name="Ada Admin")
        factories.make_user(session, "eleni", role="admin", display_name="Ελένη", locale="el")
        factories.make_user(session, "mona", role="moderator", display_name="Mona Mod")
        member = factories.make_user(session, "sam", display_name="Sam Okafor", email="sam.okafor@example.com")
        for n in range(3):
            factories.make_user(session, f"samuel{n}")
        factories.make_question(session, member, laptops, title="Nimbus Book 14 fan is loud after the update")
        return Cast(laptops.id, broadband.id, member.id)


def flashes(page: Page) -> Locator:
    return page.get_by_role("status").and_(page.locator(".flashes"))


def board_names(page: Page) -> list[str]:
    return page.locator("table.board-table tbody tr td:first-child").all_inner_texts()


def test_an_admin_runs_the_boards(live_server: LiveServer, pages: Pages, shoot: Screenshot) -> None:
    base = live_server.url
    cast = seed(live_server)
    admin = pages.new()
    sign_in(admin, base, "ada")

    # The header's Admin link opens the boards page, with the admin pages' own navigation.
    header_nav(admin).get_by_role("link", name="Admin", exact=True).click()
    expect(admin).to_have_url(f"{base}/admin/boards")
    expect(admin.get_by_role("heading", level=1)).to_have_text("Boards")
    expect(admin.get_by_role("navigation", name="Admin pages").get_by_role("link")).to_have_count(4)
    assert board_names(admin) == ["Laptops", "Broadband"]

    # A board whose address is taken comes back with the error on the field and what was typed kept.
    admin.get_by_label("Name").fill("Billing and payments")
    admin.get_by_label("Address").fill("laptops")
    admin.get_by_label("Description").fill("Invoices, refunds and the billing portal.")
    with admin.expect_console_message(lambda m: "422" in m.text) as logged:
        admin.get_by_role("button", name="Open the board").click()
    pages.problems.remove(f"console error: {logged.value.text} ({logged.value.location.get('url')})")  # expected
    expect(admin.locator("#slug-error")).to_have_text("Another board already has that address.")
    expect(admin.get_by_label("Name")).to_have_value("Billing and payments")
    expect(admin.get_by_label("Description")).to_have_value("Invoices, refunds and the billing portal.")
    admin.get_by_label("Address").fill("billing")
    admin.get_by_role("button", name="Open the board").click()
    expect(flashes(admin)).to_have_text("The board “Billing and payments” is open.")
    assert board_names(admin) == ["Laptops", "Broadband", "Billing and payments"]

    # Reorder: Billing up twice puts it first, on the home page too.
    for _ in range(2):
        admin.get_by_role("button", name="Move up: Billing and payments").click()
        expect(admin).to_have_url(re.compile(r"/admin/boards#board-\d+$"))
    assert board_names(admin) == ["Billing and payments", "Laptops", "Broadband"]
    # The first board has no "up" button and the last no "down" one.
    expect(admin.get_by_role("button", name="Move up: Billing and payments")).to_have_count(0)
    expect(admin.get_by_role("button", name="Move down: Broadband")).to_have_count(0)
    shoot(admin, "60-admin-boards")
    admin.goto(f"{base}/")
    expect(admin.locator("ul.boards h3")).to_have_text(["Billing and payments", "Laptops", "Broadband"])

    # Rename Laptops, then archive it with a reason.
    admin.goto(f"{base}/admin/boards")
    admin.get_by_role("link", name="Laptops", exact=True).click()
    expect(admin).to_have_url(f"{base}/admin/boards/{cast.laptops_id}")
    admin.get_by_label("Name").fill("Laptops (2019–2023)")
    admin.get_by_role("button", name="Save").click()
    expect(flashes(admin)).to_have_text("Board saved.")
    admin.get_by_role("link", name="Laptops (2019–2023)").click()
    admin.get_by_label("Reason").fill("These models are no longer sold.")
    admin.get_by_role("button", name="Archive the board").click()
    expect(flashes(admin)).to_have_text("The board is archived: its questions stay readable.")
    expect(admin.get_by_role("button", name="Reopen the board")).to_be_visible()
    shoot(admin, "61-admin-board-archived")

    # A member still reads the archived board's question, but can't ask there.
    member = pages.new()
    sign_in(member, base, "sam")
    member.goto(f"{base}/boards/laptops")
    expect(member.locator("p.notice")).to_contain_text("This board is archived.")
    expect(member.get_by_role("link", name="Nimbus Book 14 fan is loud after the update")).to_be_visible()
    expect(member.locator(".head-actions a[href^='/ask']")).to_have_count(0)
    member.goto(f"{base}/ask?board=laptops")
    options = member.locator("select#board option")
    expect(options).to_have_count(2)
    expect(options).to_have_text(["Billing and payments", "Broadband"])

    with live_server.session() as session:
        board = session.get(Board, cast.laptops_id)
        assert board is not None and board.is_archived and board.name == "Laptops (2019–2023)"
        actions = session.scalars(select(ModerationAction.action).order_by(ModerationAction.id)).all()
        assert actions == ["board_created", "board_moved", "board_moved", "board_edited", "board_archived"]

    # The audit log tells the story in sentences.
    admin.goto(f"{base}/mod/audit?target_type=board")
    expect(admin.locator("table.audit-table tbody tr").first).to_contain_text(
        "Ada Admin archived the board “Laptops (2019–2023)”."
    )


def test_an_admin_changes_a_members_role_and_suspends_them(
    live_server: LiveServer, pages: Pages, shoot: Screenshot
) -> None:
    base = live_server.url
    cast = seed(live_server)
    member = pages.new()
    sign_in(member, base, "sam")  # Sam is signed in while the admin works on the account
    admin = pages.new()
    sign_in(admin, base, "ada")

    # Find Sam by the start of the e-mail address; the search keeps its words.
    admin.goto(f"{base}/admin/members")
    expect(admin.locator("table.members-table tbody tr")).to_have_count(7)
    admin.get_by_label("Username or e-mail address starts with").fill("sam.okafor@")
    admin.get_by_role("button", name="Find").click()
    expect(admin.get_by_label("Username or e-mail address starts with")).to_have_value("sam.okafor@")
    rows = admin.locator("table.members-table tbody tr")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("sam.okafor@example.com")
    rows.first.get_by_role("link", name="sam", exact=True).click()
    expect(admin).to_have_url(f"{base}/admin/members/sam")
    expect(admin.locator("[data-fact=role]")).to_have_text("Member")

    # Make Sam a moderator: the audit log has it, and Sam's open session is over.
    role = admin.get_by_role("region", name="Role")
    role.get_by_label("Role").select_option(label="Moderator")
    role.get_by_label("Reason").fill("Knows the laptops board best")
    role.get_by_role("button", name="Change the role").click()
    expect(flashes(admin)).to_have_text("Sam Okafor is now: Moderator.")
    expect(admin.locator("[data-fact=role]")).to_have_text("Moderator")
    member.reload()
    expect(member.locator("form[action$='/logout']")).to_have_count(0)
    expect(header_nav(member).locator("a[href^='/login']")).to_have_count(1)

    # Suspend for a week, from the same page; then lift it.
    suspension = admin.get_by_role("region", name="Suspension")
    suspension.get_by_label("How long").select_option(label="1 week")
    suspension.get_by_label("Reason").fill("Posted a customer's phone number twice.")
    suspension.get_by_role("button", name="Suspend", exact=True).click()
    expect(flashes(admin)).to_have_text("Sam Okafor is suspended.")
    expect(admin.locator("p.notice-warn")).to_contain_text("Posted a customer's phone number twice.")
    shoot(admin, "62-admin-member")
    admin.get_by_role("region", name="Suspension").get_by_role("button", name="Lift the suspension").click()
    expect(flashes(admin)).to_have_text("Sam Okafor can take part again.")

    with live_server.session() as session:
        sam = session.get(User, cast.member_id)
        assert sam is not None and sam.role == "moderator" and not sam.is_suspended()
        actions = session.scalars(select(ModerationAction.action).order_by(ModerationAction.id)).all()
        assert actions == ["role_changed", "member_suspended", "member_unsuspended"]

    # A moderator goes from Sam's public profile to the suspension and history page.
    mod = pages.new()
    sign_in(mod, base, "mona")
    mod.goto(f"{base}/users/sam")
    mod.get_by_role("link", name="Suspension and moderation history").click()
    expect(mod).to_have_url(f"{base}/mod/users/sam")
    history = mod.locator("ol.audit-history > li")
    expect(history).to_have_count(3)
    expect(history.first).to_contain_text("Ada Admin lifted the suspension of Sam Okafor.")
    expect(history.last).to_contain_text("Ada Admin changed the role of Sam Okafor from Member to Moderator.")
    expect(history.last.locator("q")).to_have_text("Knows the laptops board best")


def test_a_greek_admin_archives_a_board_in_greek(live_server: LiveServer, pages: Pages) -> None:
    """The same journey read in Greek: every check uses the page's structure or the Greek catalogue's words."""
    base = live_server.url
    cast = seed(live_server)
    greek = catalogue("el")
    page = pages.new()
    sign_in(page, base, "eleni")
    header_nav(page).locator("a.nav-admin").click()
    expect(page.locator("html")).to_have_attribute("lang", "el")
    expect(page.get_by_role("heading", level=1)).to_have_text(greek.get("Boards").string)
    page.goto(f"{base}/admin/boards/{cast.broadband_id}")
    page.locator("form[action$='/archive'] button[type=submit]").click()
    expect(flashes(page)).to_have_text(greek.get("The board is archived: its questions stay readable.").string)
    page.goto(f"{base}/admin/reputation")
    expect(page.get_by_role("heading", level=1)).to_have_text(greek.get("Points, ranks and badges").string)
    with live_server.session() as session:
        board = session.get(Board, cast.broadband_id)
        assert board is not None and board.is_archived

"""Admin pages: boards (create, edit, reorder, archive), members (search, record, role, suspension) and the
reputation rules; every change is in the audit log, and nobody below admin gets in."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import joinedload

from app.accounts.models import User, UserSession
from app.admin import service as admin
from app.admin.service.boards import _flush_unique as flush_unique
from app.errors import BadRequest, Conflict, PermissionDenied, ValidationFailed
from app.forum import service as forum
from app.forum.models import Board, Question
from app.moderation import service as moderation
from app.moderation.audit_text import audit_sentence
from app.moderation.models import ModerationAction
from app.reputation import rules
from tests.factories import make_answer, make_board, make_question, make_user


@pytest.fixture
def staff(session):
    """An admin, a moderator and a member, plus a board with one question."""
    board = make_board(session, "laptops", "Laptops")
    boss = make_user(session, "boss", role="admin", display_name="Bea Boss")
    mod = make_user(session, "mona", role="moderator")
    member = make_user(session, "sam", display_name="Sam Okafor", email="sam.okafor@example.com")
    question = make_question(session, member, board, title="Battery drains overnight in sleep")
    return board, boss, mod, member, question


def entries(session, action: str) -> list[ModerationAction]:
    query = (
        select(ModerationAction)
        .options(joinedload(ModerationAction.actor))
        .where(ModerationAction.action == action)
        .order_by(ModerationAction.id)
    )
    return list(session.scalars(query))


def board_slugs(session) -> list[str]:
    return list(session.scalars(select(Board.slug).order_by(Board.position, Board.id)))


# --- boards ------------------------------------------------------------------------------------


def test_an_admin_opens_a_board_and_the_audit_log_says_so(client, session, staff, login_as):
    _board, boss, *_ = staff
    login_as(boss)
    response = client.form_post(
        "/admin/boards", {"name": "Home broadband", "slug": "home-broadband", "description": "Routers and lines."}
    )
    assert response.status_code == 302 and response.headers["Location"].endswith("/admin/boards")
    board = session.scalar(select(Board).where(Board.slug == "home-broadband"))
    assert board.name == "Home broadband" and board.position > staff[0].position
    (entry,) = entries(session, "board_created")
    assert entry.actor_id == boss.id and entry.target_id == board.id
    with client.application.test_request_context():
        assert audit_sentence(entry, {}).striptags() == "Bea Boss created the board “Home broadband”."
    assert ">Home broadband</a>" in client.get("/").get_data(as_text=True)
    assert client.get("/boards/home-broadband").status_code == 200


@pytest.mark.parametrize(
    ("fields", "field", "status"),
    [
        ({"name": "Another laptops", "slug": "laptops"}, "slug", 422),  # taken
        ({"name": "Another laptops", "slug": "LAPTOPS"}, "slug", 422),  # taken, in capitals
        ({"name": "Bad address", "slug": "bad slug!"}, "slug", 422),
        ({"name": "Bad address", "slug": "-dash-"}, "slug", 422),
        ({"name": "Bad address", "slug": "x" * 61}, "slug", 422),
        ({"name": "", "slug": "no-name"}, "name", 422),
        ({"name": "N" * 81, "slug": "long-name"}, "name", 422),
        ({"name": "Long description", "slug": "long-text", "description": "d" * 501}, "description", 422),
    ],
)
def test_bad_boards_are_refused_on_their_field_keeping_what_was_typed(
    client, session, staff, login_as, fields, field, status
):
    login_as(staff[1])
    before = session.scalar(select(func.count()).select_from(Board))
    response = client.form_post("/admin/boards", {"description": "Kept text of the description.", **fields})
    page = response.get_data(as_text=True)
    assert response.status_code == status
    assert f'id="{field}-error"' in page
    assert (fields.get("description") or "Kept text of the description.") in page
    assert session.scalar(select(func.count()).select_from(Board)) == before
    assert entries(session, "board_created") == []


@pytest.mark.in_transaction
def test_the_unique_address_settles_a_race_with_409(session, staff):
    """Two admins giving the same address at once: the check passed for both, the unique index decides."""
    _board, boss, *_ = staff
    session.add(Board(slug="routers", name="Routers", position=9))
    session.flush()
    with pytest.raises(ValidationFailed):
        admin.create_board(session, boss, admin.BoardDraft("routers", "Routers again"))
    # Past the check (the other admin's row not yet visible when it ran): 409, not a server error.
    session.add(Board(slug="routers", name="Routers twice", position=10))
    with pytest.raises(Conflict):
        flush_unique(session)


def test_board_names_are_text_never_markup(client, session, staff, login_as):
    login_as(staff[1])
    client.form_post("/admin/boards", {"name": "<script>alert(1)</script>", "slug": "xss"})
    for url in ("/", "/admin/boards", "/boards/xss"):
        page = client.get(url).get_data(as_text=True)
        assert "<script>alert(1)</script>" not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page, url


def test_editing_a_board_is_audited_with_what_changed(client, session, staff, login_as):
    board, boss, *_ = staff
    other = make_board(session, "broadband", "Broadband")
    login_as(boss)
    url = f"/admin/boards/{board.id}"
    assert client.get(url).status_code == 200
    taken = client.form_post(url, {"name": "Laptops", "slug": other.slug})
    assert taken.status_code == 422 and 'id="slug-error"' in taken.get_data(as_text=True)
    response = client.form_post(url, {"name": "Laptops and tablets", "slug": "laptops", "description": "All of them."})
    assert response.status_code == 302
    session.refresh(board)
    assert (board.name, board.description) == ("Laptops and tablets", "All of them.")
    (entry,) = entries(session, "board_edited")
    assert json.loads(entry.before) == {"name": "Laptops", "description": "A board for tests."}
    assert json.loads(entry.after)["name"] == "Laptops and tablets"
    client.form_post(url, {"name": "Laptops and tablets", "slug": "laptops", "description": "All of them."})
    assert len(entries(session, "board_edited")) == 1  # nothing changed, nothing logged
    assert client.get("/admin/boards/424242").status_code == 404
    assert client.form_post("/admin/boards/424242", {"name": "Ghost", "slug": "ghost"}).status_code == 404


def test_reordering_moves_a_board_and_refuses_past_the_ends(client, session, staff, login_as):
    board, boss, *_ = staff
    second, third = make_board(session, "broadband", "Broadband"), make_board(session, "billing", "Billing")
    login_as(boss)
    assert board_slugs(session) == ["laptops", "broadband", "billing"]
    assert client.form_post(f"/admin/boards/{third.id}/up").status_code == 302
    assert board_slugs(session) == ["laptops", "billing", "broadband"]
    assert client.form_post(f"/admin/boards/{board.id}/down").status_code == 302
    assert board_slugs(session) == ["billing", "laptops", "broadband"]
    assert client.form_post(f"/admin/boards/{third.id}/up").status_code == 409  # already first
    assert client.form_post(f"/admin/boards/{second.id}/down").status_code == 409  # already last
    assert client.form_post(f"/admin/boards/{third.id}/sideways").status_code == 404
    assert client.post(f"/admin/boards/{board.id}/up").status_code == 400  # no CSRF token
    assert board_slugs(session) == ["billing", "laptops", "broadband"]
    assert [json.loads(e.after)["position"] for e in entries(session, "board_moved")] == [2, 2]
    home = client.get("/").get_data(as_text=True)
    assert home.index("Billing") < home.index("Laptops") < home.index("Broadband")


def test_an_archived_board_keeps_its_questions_readable_but_takes_no_new_ones(app, client, session, staff, login_as):
    board, boss, mod, member, question = staff
    open_board = make_board(session, "broadband", "Broadband")
    login_as(boss)
    assert client.form_post(f"/admin/boards/{board.id}/archive", {"reason": "Old product line"}).status_code == 302
    assert client.form_post(f"/admin/boards/{board.id}/archive").status_code == 409  # already archived
    (entry,) = entries(session, "board_archived")
    assert entry.reason == "Old product line"

    client.post("/logout", data={"csrf_token": client.csrf()})
    assert client.get(f"/questions/{question.id}").status_code in (200, 301)
    board_page = client.get("/boards/laptops")
    assert board_page.status_code == 200 and question.title in board_page.get_data(as_text=True)
    assert "Archived boards" in client.get("/").get_data(as_text=True)

    login_as(member)
    ask = client.get("/ask").get_data(as_text=True)
    assert 'value="laptops"' not in ask and 'value="broadband"' in ask
    refused = client.form_post(
        "/ask", {"board": "laptops", "title": "Can I still ask in an archived board?", "body": "Surely not, I hope."}
    )
    assert refused.status_code == 422 and "Surely not, I hope." in refused.get_data(as_text=True)
    assert session.scalar(select(func.count()).select_from(Question)) == 1
    session.expire_all()  # the board was archived by the app, not through this session
    with app.app_context(), pytest.raises(PermissionDenied):
        forum.ask_question(session, member, forum.QuestionDraft("laptops", "Straight to the service", "A body text."))
    session.rollback()
    # Answers still come: the thread is readable and open.
    make_answer(session, mod, question, body="Still answerable after the archive.")
    # Nobody moves a question into the archive, by editing it or with the moderators' tool.
    other = make_question(session, member, open_board, title="My router keeps rebooting at night")
    edit = client.form_post(
        f"/questions/{other.id}/edit", {"board": "laptops", "title": other.title, "body": other.body_source}
    )
    assert edit.status_code == 422
    with app.app_context(), pytest.raises(Conflict):
        moderation.move_question(session, mod, other.id, "laptops")
    session.rollback()
    # The question already there can still be edited where it is.
    kept = client.form_post(
        f"/questions/{question.id}/edit",
        {"board": "laptops", "title": question.title, "body": question.body_source + " Edited."},
    )
    assert kept.status_code == 302

    login_as(boss)
    assert client.form_post(f"/admin/boards/{board.id}/unarchive").status_code == 302
    assert entries(session, "board_unarchived")
    login_as(member)
    assert 'value="laptops"' in client.get("/ask").get_data(as_text=True)


def test_the_boards_list_pages_by_keyset(session, staff):
    for n in range(6):
        make_board(session, f"extra-{n}", f"Extra {n}")
    seen, after = [], None
    while True:
        page = admin.board_page(session, after, limit=3)
        seen += [board.slug for board in page.boards]
        if page.next_after is None:
            break
        after = page.next_after
    assert seen == board_slugs(session) and len(seen) == 7
    with pytest.raises(BadRequest):
        admin.board_page(session, "1 OR 1=1")


# --- members -----------------------------------------------------------------------------------


def test_member_search_finds_by_username_or_e_mail_prefix(session, staff):
    make_user(session, "sam_two", display_name="Another Sam")
    make_user(session, "percent", email="100%real@example.com")
    make_user(session, "under_score")
    names = lambda query, **kw: [u.username for u in admin.search_members(session, query, **kw).members]  # noqa: E731
    assert names("SAM") == ["sam", "sam_two"]
    assert names("sam.okafor@") == ["sam"]
    assert names("okafor") == [] and names("another") == []  # a prefix of username or e-mail, not a substring
    assert names("sam", role="member") == ["sam", "sam_two"] and names("sam", role="staff") == []
    assert names("100%") == ["percent"] and names("%") == []  # % and _ are taken literally
    assert names("under_") == ["under_score"] and names("_") == []
    assert names("", role="moderator") == ["mona"]
    with pytest.raises(BadRequest):
        admin.search_members(session, "", role="emperor")
    with pytest.raises(BadRequest):
        admin.search_members(session, "x" * 255)
    with pytest.raises(BadRequest):
        admin.search_members(session, "", after="x" * 31)


def test_member_pages_by_keyset_cover_everyone_once_in_order(session, staff):
    for n in range(11):
        make_user(session, f"zed{n:02d}")
    expected = sorted(session.scalars(select(User.username_key)))
    seen, after = [], None
    while True:
        page = admin.search_members(session, after=after, limit=4)
        seen += [user.username_key for user in page.members]
        assert len(page.members) <= 4
        if page.next_after is None:
            break
        after = page.next_after
    assert seen == expected
    # A new member who signs up between two pages appears on the later page, no one is shown twice.
    first = admin.search_members(session, "zed", limit=5)
    make_user(session, "zed05a")
    rest = admin.search_members(session, "zed", after=first.next_after, limit=50)
    both = [u.username for u in first.members + rest.members]
    assert len(both) == len(set(both)) == 12 and "zed05a" in both


def test_the_members_page_searches_and_pages_over_http(client, session, staff, login_as):
    for n in range(55):
        make_user(session, f"bulk{n:02d}")
    login_as(staff[1])
    first = client.get("/admin/members?q=bulk").get_data(as_text=True)
    assert "bulk00" in first and "bulk49" in first and "bulk50" not in first
    assert 'rel="next" href="/admin/members?q=bulk&amp;after=bulk49"' in first
    second = client.get("/admin/members?q=bulk&after=bulk49").get_data(as_text=True)
    assert ">bulk50</a>" in second and ">bulk54</a>" in second and ">bulk49</a>" not in second
    assert 'rel="next"' not in second
    assert client.get("/admin/members?role=overlord").status_code == 400
    assert client.get(f"/admin/members?after={'z' * 40}").status_code == 400
    assert client.get("/admin/members?q=%3Cscript%3E").status_code == 200


def test_the_member_record_shows_role_points_flags_and_suspension(client, session, staff, login_as):
    _board, boss, mod, _member, question = staff
    reporter = make_user(session, "reporter")
    moderation.flag_post(session, reporter, "question", question.id, "spam")
    session.commit()
    moderation.suspend(session, mod, "sam", 7, "Spamming the laptops board")
    session.commit()
    login_as(boss)
    page = client.get("/admin/members/sam").get_data(as_text=True).replace("<bdi>", "").replace("</bdi>", "")
    assert 'data-fact="role">Member<' in page
    assert 'data-fact="flags">1 (1 waiting)' in page
    assert "Spamming the laptops board" in page and "sam.okafor@example.com" in page
    assert "Lift the suspension" in page
    assert client.get("/admin/members/nobody-here").status_code == 404


def test_changing_a_role_ends_the_members_sessions_and_is_audited(client, session, staff, login_as):
    _board, boss, _mod, member, _question = staff
    login_as(member)  # the member's own sign-in session, which the new role must end
    login_as(boss)
    response = client.form_post("/admin/members/sam/role", {"role": "moderator", "reason": "Runs the laptops board"})
    assert response.status_code == 302
    session.refresh(member)
    assert member.role == "moderator"
    live = select(func.count()).where(UserSession.user_id == member.id, UserSession.revoked_at.is_(None))
    assert session.scalar(live) == 0
    (entry,) = entries(session, "role_changed")
    assert (json.loads(entry.before), json.loads(entry.after)) == ({"role": "member"}, {"role": "moderator"})
    with client.application.test_request_context():
        assert audit_sentence(entry, {("user", member.id): member.name}).striptags() == (
            "Bea Boss changed the role of Sam Okafor from Member to Moderator."
        )
    assert client.form_post("/admin/members/sam/role", {"role": "moderator"}).status_code == 409  # already
    assert client.form_post("/admin/members/boss/role", {"role": "member"}).status_code == 409  # own role
    bad = client.form_post("/admin/members/sam/role", {"role": "emperor", "reason": "Because I can, really."})
    assert bad.status_code == 422 and "Because I can, really." in bad.get_data(as_text=True)
    assert client.form_post("/admin/members/ghost/role", {"role": "staff"}).status_code == 404
    assert len(entries(session, "role_changed")) == 1


def test_below_admin_nobody_reaches_the_admin_pages(client, session, staff, login_as):
    board, _boss, mod, member, _question = staff
    for user in (member, mod, make_user(session, "stella", role="staff")):
        login_as(user)
        for url in ("/admin/boards", "/admin/members", "/admin/members/sam", "/admin/reputation"):
            assert client.get(url).status_code == 403, (user.role, url)
        assert client.form_post("/admin/boards", {"name": "Sneaky", "slug": "sneaky"}).status_code == 403
        assert client.form_post("/admin/members/sam/role", {"role": "admin"}).status_code == 403
        assert client.form_post(f"/admin/boards/{board.id}/archive").status_code == 403
    session.refresh(member)
    assert member.role == "member" and board_slugs(session) == ["laptops"]
    assert session.scalar(select(func.count()).select_from(ModerationAction)) == 0


def test_admins_suspend_and_lift_from_the_member_page(client, session, staff, login_as):
    _board, boss, _mod, member, _question = staff
    other_admin = make_user(session, "ada", role="admin")
    login_as(boss)
    empty = client.form_post("/admin/members/sam/suspend", {"suspend-days": "7", "suspend-reason": ""})
    assert empty.status_code == 422
    done = client.form_post("/admin/members/sam/suspend", {"suspend-days": "7", "suspend-reason": "Spam, again"})
    assert done.status_code == 302
    session.refresh(member)
    assert member.is_suspended()
    assert client.form_post("/admin/members/sam/unsuspend", {"reason": "Promised to stop"}).status_code == 302
    session.refresh(member)
    assert not member.is_suspended()
    assert client.form_post("/admin/members/sam/unsuspend").status_code == 409  # not suspended
    refused = client.form_post(
        f"/admin/members/{other_admin.username}/suspend", {"suspend-days": "1", "suspend-reason": "x"}
    )
    assert refused.status_code == 403
    assert [e.action for e in session.scalars(select(ModerationAction).order_by(ModerationAction.id))] == [
        "member_suspended",
        "member_unsuspended",
    ]


def test_moderators_reach_a_members_suspension_and_history_from_the_profile(client, session, staff, login_as):
    _board, boss, mod, _member, _question = staff
    admin.change_role(session, boss, "sam", "staff", "Joined the support team")
    session.commit()
    login_as(make_user(session, "nosy"))
    assert "/mod/users/sam" not in client.get("/users/sam").get_data(as_text=True)
    login_as(mod)
    profile = client.get("/users/sam").get_data(as_text=True)
    assert 'href="/mod/users/sam"' in profile and "/admin/members/sam" not in profile
    history = client.get("/mod/users/sam").get_data(as_text=True).replace("<bdi>", "").replace("</bdi>", "")
    assert "Bea Boss changed the role of Sam Okafor from Member to Staff." in history
    assert "Joined the support team" in history
    assert client.get("/mod/users/sam?before=abc").status_code == 400
    login_as(boss)
    assert 'href="/admin/members/sam"' in client.get("/users/sam").get_data(as_text=True)


def test_the_reputation_rules_page_shows_the_rules_in_force(client, session, staff, login_as):
    login_as(staff[1])
    page = client.get("/admin/reputation").get_data(as_text=True)
    assert "POINTS_KUDO_ON_ANSWER" in page and f'<td class="num">{rules.POINTS.kudo_on_answer}</td>' in page
    for rank in rules.RANKS:
        assert rank.name in page
    for badge in rules.BADGES:
        assert badge.name in page


def test_the_header_leads_admins_to_the_admin_pages(client, session, staff, login_as):
    _board, boss, mod, *_ = staff
    login_as(mod)
    assert 'href="/admin/boards"' not in client.get("/").get_data(as_text=True)
    login_as(boss)
    assert 'href="/admin/boards"' in client.get("/").get_data(as_text=True)


# --- hostile input -----------------------------------------------------------------------------

ADMIN_FIELDS = ("q", "role", "after", "before", "name", "slug", "description", "reason", "suspend-days",
                "suspend-reason")  # fmt: skip


def test_no_input_to_the_admin_pages_gives_a_server_error(app, client, session, staff, login_as):
    """Every admin route (and the moderators' member page), as an admin, with fuzzed path segments, queries
    and form fields (NULs, 100 KB values, broken escapes, odd Unicode): refused or served, never a 500."""
    from hypothesis import HealthCheck, Phase, given, settings
    from hypothesis import strategies as st

    from tests.test_fuzz import ARGUMENT, BODY_TEXT, URL_TEXT, _joined, encoded

    board, boss, *_ = staff
    known = {"board_id": board.id, "username": "sam", "direction": "up", "action": "archive"}
    routes = [
        (rule.endpoint, method, rule.rule)
        for rule in app.url_map.iter_rules()
        if rule.endpoint.startswith("admin.") or rule.endpoint == "moderation.member"
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"})
    ]
    app.config["PROPAGATE_EXCEPTIONS"] = False
    fields = st.lists(st.tuples(st.sampled_from(ADMIN_FIELDS), encoded(BODY_TEXT)), max_size=5)
    segments = st.fixed_dictionaries(
        {name: st.one_of(st.just(str(value)), encoded(URL_TEXT).filter(bool)) for name, value in known.items()}
    )

    @settings(max_examples=12, deadline=None, database=None, phases=[Phase.explicit, Phase.generate],
              suppress_health_check=list(HealthCheck))  # fmt: skip
    @given(segments=segments, query=st.lists(st.tuples(st.sampled_from(ADMIN_FIELDS), encoded(URL_TEXT)), max_size=3),
           form=fields)  # fmt: skip
    def every_route(segments, query, form):
        login_as(boss)
        token = client.csrf()
        query_string, body = _joined(query), _joined([*form, ("csrf_token", token)])
        failures = []
        for endpoint, method, rule in routes:
            url = ARGUMENT.sub(lambda match: segments[match.group(1)], rule)
            if method == "GET":
                response = client.get(f"{url}?{query_string}")
            else:
                response = client.post(
                    f"{url}?{query_string}", data=body.encode(), content_type="application/x-www-form-urlencoded"
                )
            if response.status_code >= 500:
                failures.append(f"{response.status_code} {method} {endpoint} {url[:200]} form={body[:200]!r}")
        assert not failures, "\n".join(failures)

    every_route()


def test_an_admin_sends_a_member_a_reset_link_that_works_and_is_audited(client, session, staff, login_as):
    import re

    from app.notifications.models import EmailMessage

    _board, boss, mod, member, _question = staff
    login_as(mod)
    assert client.form_post("/admin/members/sam/password-reset").status_code == 403
    assert session.scalar(select(func.count()).select_from(EmailMessage)) == 0
    login_as(boss)
    page = client.get("/admin/members/sam").get_data(as_text=True)
    assert "/admin/members/sam/password-reset" in page
    assert client.form_post("/admin/members/sam/password-reset").status_code == 302
    mail = session.scalar(select(EmailMessage).where(EmailMessage.to_address == "sam.okafor@example.com"))
    link = re.search(r"/reset-password/\S+", mail.body).group(0)
    with client.application.test_request_context():
        sentence = audit_sentence(
            entries(session, "password_reset_sent")[0], {("user", member.id): "Sam Okafor"}
        ).striptags()
    assert sentence == "Bea Boss sent Sam Okafor a link to choose a new password."
    assert client.application.test_client().get(link).status_code == 200
    assert client.form_post("/admin/members/nobody-here/password-reset").status_code == 404

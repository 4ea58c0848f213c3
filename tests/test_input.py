"""Bad input never gives a 5xx: ids out of range, control characters, huge bodies, unsafe `next`, the flag link."""

from __future__ import annotations

import io
import re

import pytest
from sqlalchemy import select

from app.escalation import service as escalation
from app.forum import service as forum
from app.ids import MAX_ID, _numbers_up_to, parse_id
from app.moderation.models import Flag
from app.web import safe_next
from tests.factories import PASSWORD, make_answer, make_board, make_question, make_user

# Past PostgreSQL's integer (2^31), past SQLite's and PostgreSQL's bigint (2^63), and far past both.
HUGE = (2**31, 2**63, 10**30)


@pytest.fixture
def world(session):
    owner = make_user(session, "owner")
    board = make_board(session, "laptops")
    question = make_question(session, owner, board)
    answer = make_answer(session, make_user(session, "helper"), question)
    escalator = make_user(session, "escalator", role="moderator")
    case = escalation.escalate(session, escalator, question.id, escalation.EscalationDraft(category="billing"))
    session.commit()
    return {"owner": owner, "question": question, "answer": answer, "case": case}


# --- 1. ids and cursors beyond the database's integer range -------------------------------------

# (role, method, url, form) -> the status the app owes; {n} is a huge number.
OUT_OF_RANGE = [
    ("visitor", "GET", "/questions/{n}", None, 404),
    ("visitor", "GET", "/questions/{n}/some-slug", None, 404),
    ("visitor", "GET", "/questions/{n}/history", None, 404),
    ("visitor", "GET", "/answers/{n}", None, 404),
    ("visitor", "GET", "/answers/{n}/history", None, 404),
    ("owner", "GET", "/cases/{n}", None, 404),
    ("member", "POST", "/questions/{n}/kudos", {}, 404),
    ("member", "POST", "/answers/{n}/kudos/withdraw", {}, 404),
    ("member", "GET", "/questions/{n}/flag", None, 404),
    ("member", "POST", "/questions/{n}/follow", {}, 404),
    ("member", "POST", "/boards/{n}/follow", {}, 404),
    ("member", "POST", "/questions/{n}/answers", {"body": "A long enough answer for the form."}, 404),
    ("owner", "POST", "/questions/{question}/solution", {"answer_id": "{n}"}, 404),
    ("visitor", "GET", "/users/owner/points?before={n}", None, 400),
    ("moderator", "GET", "/mod/audit?before={n}", None, 400),
    ("moderator", "GET", "/mod/questions/{n}", None, 404),
    ("moderator", "POST", "/mod/questions/{question}/duplicate", {"dup-original": "{n}"}, 422),
    ("staff", "POST", "/staff/assign", {"case_ids": "{n}", "assignee": "me"}, 422),
    ("admin", "POST", "/admin/listening/{n}/toggle", {}, 404),
]


@pytest.mark.parametrize("huge", HUGE)
@pytest.mark.parametrize(("role", "method", "url", "form", "expected"), OUT_OF_RANGE)
def test_ids_beyond_the_integer_range_are_refused_not_crashed(
    client, session, login_as, world, huge, role, method, url, form, expected
):
    if role == "owner":
        login_as(world["owner"])
    elif role != "visitor":
        login_as(make_user(session, f"as_{role}", role=role))
    url = url.format(n=huge, question=world["question"].id)
    if method == "GET":
        response = client.get(url)
    else:
        response = client.form_post(url, {key: value.format(n=huge) for key, value in form.items()})
    assert response.status_code == expected, (url, form, response.status_code)


def test_a_cursor_with_an_id_beyond_the_range_is_a_broken_link(client, world):
    cursor = forum.Cursor(world["question"].created_at, 2**63).encode()
    assert client.get(f"/questions?after={cursor}").status_code == 400


def test_odd_digits_in_a_page_number_or_case_list_are_refused(client, session, login_as, world):
    assert client.get("/search?q=battery&page=%C2%B2").status_code == 400  # "²" is a digit to str.isdigit()
    login_as(make_user(session, "staffer", role="staff"))
    response = client.form_post("/staff/assign", {"case_ids": "²", "assignee": "me"})
    assert response.status_code == 422


def test_ids_in_range_still_work(client, world):
    question = world["question"]
    assert client.get(f"/questions/{question.id}").status_code == 301
    assert client.get(f"/questions/{question.id}/{question.slug}").status_code == 200
    for wrong in ("0", "-1", f"0{question.id}", f"+{question.id}", "²", "１"):
        assert client.get(f"/questions/{wrong}").status_code == 404, wrong


@pytest.mark.parametrize("limit", [1, 9, 10, 347, 1000, MAX_ID])
def test_the_id_pattern_holds_exactly_the_numbers_up_to_its_limit(limit):
    pattern = re.compile(_numbers_up_to(limit))
    near = [*range(1200), limit - 1, limit, limit + 1, 10 * limit, *(n * limit // 7 for n in range(8))]
    for number in near:
        assert bool(pattern.fullmatch(str(number))) == (1 <= number <= limit), (limit, number)


def test_parse_id_takes_plain_digits_in_range_only():
    assert [parse_id(v) for v in ("1", "2147483647", "42")] == [1, MAX_ID, 42]
    for value in (None, "", "0", "01", "2147483648", "9" * 5000, " 1", "1 ", "+1", "-1", "1.0", "²", "١"):
        assert parse_id(value) is None, value


# --- 2. NUL and other control characters --------------------------------------------------------


@pytest.mark.parametrize(
    "url",
    [
        "/users/own%00er",
        "/boards/lap%00tops",
        "/feeds/boards/lap%00tops.atom",
        "/search?q=bat%00tery",
        "/questions?tag=a%00b",
        "/questions?filter=%01",
        "/users/owner/points?before=1%00",
        "/search?q%00=battery",
    ],
)
def test_control_characters_in_a_path_or_query_are_a_bad_request(client, world, url):
    assert client.get(url).status_code == 400


def test_a_nul_in_a_form_is_refused_and_what_they_wrote_is_kept_without_it(client, session, login_as, world):
    login_as(world["owner"])
    question = world["question"]
    body = "Reinstall the driver\x00 from the vendor's site, then reboot twice."
    response = client.form_post(f"/questions/{question.id}/answers", {"body": body})
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "Reinstall the driver from the vendor&#39;s site, then reboot twice." in page
    assert "\x00" not in page
    assert len(forum.answers_for(session, question, world["owner"])) == 1  # only the helper's: nothing saved


def test_other_c0_characters_in_a_form_are_refused_but_tabs_and_newlines_are_text(client, login_as, world):
    login_as(world["owner"])
    url = f"/questions/{world['question'].id}/answers"
    assert client.form_post(url, {"body": "Open the lid\x1b[2J and hold the power key."}).status_code == 400
    assert client.form_post(url, {"body": "Open the lid,\r\n\thold the power key for ten seconds."}).status_code == 302


def test_a_refused_form_never_echoes_a_password(client, world):
    secret = "my secret password 123"
    response = client.form_post("/login", {"login": "owner\x00 with a long enough name", "password": secret})
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert secret not in page
    assert "owner with a long enough name" in page


# --- 3. error pages repeat only a short excerpt ---------------------------------------------------


def test_a_huge_chunked_body_is_refused_without_echoing_it(client, login_as, world):
    login_as(world["owner"])
    body = b"title=" + b"x" * (20 * 1024 * 1024)
    response = client.post(
        "/ask",
        input_stream=io.BytesIO(body),
        content_type="application/x-www-form-urlencoded",
        headers={"Transfer-Encoding": "chunked"},
        environ_overrides={"wsgi.input_terminated": True},  # what a server that de-chunks the body sets
    )
    assert response.status_code == 413
    assert len(response.get_data()) < 20_000


def test_an_error_page_keeps_only_a_short_excerpt_of_each_field(client, world):
    fields = {f"field{n}": f"{n}" + "y" * 100_000 for n in range(10)}
    response = client.post("/ask", data={**fields, "title": "<b>not bold</b>" * 10})  # no CSRF token: 400
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert len(page) < 30_000
    assert "…" in page
    assert "<b>not bold</b>" not in page


# --- 4. `next` targets with control characters ------------------------------------------------------

UNSAFE_NEXT = [
    "/\r\nSet-Cookie: stolen=1",
    "/questions\nLocation: https://evil.example",
    "/\t/evil.example",
    "/\x0b/evil.example",
    "/\x00/evil.example",
    "\t//evil.example",
    "/%0d%0aSet-Cookie:%20stolen=1",
    "/%09/evil.example",
    "https://evil.example",
    "//evil.example",
    "/\\evil.example",
]


@pytest.mark.parametrize("target", UNSAFE_NEXT)
def test_safe_next_refuses_control_characters_and_other_sites(target):
    assert safe_next(target, "/home") == "/home"


def test_safe_next_keeps_a_path_on_this_site():
    assert safe_next("/questions/12/why?tab=new#answer-3", "/home") == "/questions/12/why?tab=new#answer-3"


@pytest.mark.parametrize("target", ["/\r\nSet-Cookie: stolen=1", "/x\ny", "/\t/evil.example"])
def test_every_route_that_takes_next_falls_back_on_an_unsafe_one(client, session, login_as, world, target):
    question = world["question"]
    # Sign in and register read `next` from the query; language and follow from the form.
    response = client.form_post("/login", {"login": "owner", "password": PASSWORD}, query_string={"next": target})
    assert (response.status_code, response.headers["Location"]) == (302, "/")
    client.form_post("/logout")
    response = client.form_post(
        "/register",
        {"username": "newcomer", "email": "new@example.com", "password": PASSWORD, "confirm": PASSWORD},
        query_string={"next": target},
    )
    # Signing up sends the newcomer to sign in (after confirming the address), without the unsafe `next`.
    assert (response.status_code, response.headers["Location"]) == (302, "/login")
    response = client.form_post("/language", {"locale": "en", "next": target})
    assert (response.status_code, response.headers["Location"]) == (302, "/")
    client.form_post("/login", {"login": "owner", "password": PASSWORD})
    response = client.form_post(f"/questions/{question.id}/follow", {"next": target})
    assert (response.status_code, response.headers["Location"]) == (302, f"/questions/{question.id}")


# --- 5. the Flag link on a question -------------------------------------------------------------------


def test_the_flag_link_on_a_question_shows_the_flag_form(client, session, login_as, world):
    question = world["question"]
    member = make_user(session, "reader")
    login_as(member)
    response = client.get(f"/questions/{question.id}/flag")
    assert response.status_code == 200
    assert "Flag this question" in response.get_data(as_text=True)
    response = client.form_post(f"/questions/{question.id}/flag", {"reason": "off_topic"})
    assert response.status_code == 302
    flags = session.scalars(select(Flag).where(Flag.question_id == question.id)).all()
    assert [(f.reporter_id, f.reason) for f in flags] == [(member.id, "off_topic")]
    assert client.get(f"/answers/{world['answer'].id}/flag").status_code == 200

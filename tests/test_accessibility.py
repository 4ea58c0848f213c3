"""Accessibility that shows in the HTML (WCAG 2.2 AA): input purposes, no "None" attributes, error messages tied
to their fields, unread notifications said in words, headings that never skip a level, and posts' languages."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from itertools import pairwise

import pytest
from sqlalchemy import select

from app.forum.models import Answer, Question
from tests.factories import make_answer, make_board, make_question, make_user


class Page(HTMLParser):
    """The tags of a page with their attributes, and its headings' levels in order."""

    def __init__(self, html: str) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.headings: list[int] = []
        self.feed(html)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))
        if re.fullmatch(r"h[1-6]", tag):
            self.headings.append(int(tag[1]))

    def by_id(self, element_id: str) -> dict[str, str | None]:
        return next(attrs for _tag, attrs in self.tags if attrs.get("id") == element_id)


@pytest.fixture
def board(session):
    return make_board(session, "laptops", "Laptops")


def test_account_fields_name_their_purpose(client, session, login_as):
    login = Page(client.get("/login").get_data(as_text=True))
    assert login.by_id("login")["autocomplete"] == "username"
    assert login.by_id("password")["autocomplete"] == "current-password"
    register = Page(client.get("/register").get_data(as_text=True))
    assert {name: register.by_id(name)["autocomplete"] for name in ("username", "email", "password", "confirm")} == {
        "username": "username",
        "email": "email",
        "password": "new-password",
        "confirm": "new-password",
    }
    login_as(make_user(session, "sam"))
    settings = Page(client.get("/settings/profile").get_data(as_text=True))
    assert settings.by_id("display_name")["autocomplete"] == "name"
    assert settings.by_id("bio")["autocomplete"] == "off"


@pytest.mark.parametrize(
    ("url", "data"),
    [
        ("/login", {"login": "", "password": ""}),
        ("/register", {"username": "x", "email": "nope", "password": "short", "confirm": "other"}),
        ("/settings/profile", {"display_name": "x" * 500, "locale": "en"}),
        ("/ask", {"board": "laptops", "title": "short", "body": "tiny"}),
    ],
)
def test_form_pages_never_write_none_into_an_attribute(client, session, board, login_as, url, data):
    if url != "/login" and url != "/register":
        login_as(make_user(session, "sam"))
    shown, refused = client.get(url), client.form_post(url, data)
    assert refused.status_code == 422
    for response in (shown, refused):
        html = response.get_data(as_text=True)
        assert not re.findall(r'[\w-]+="None"', html)
    page = Page(refused.get_data(as_text=True))
    invalid = [attrs for _tag, attrs in page.tags if attrs.get("aria-invalid")]
    assert invalid and all(attrs["aria-invalid"] == "true" for attrs in invalid)
    for attrs in invalid:  # each invalid field points at its error message, which is on the page
        assert f"{attrs['id']}-error" in (attrs.get("aria-describedby") or "").split()
        page.by_id(f"{attrs['id']}-error")
    summary = page.by_id("error-summary")
    assert summary["role"] == "alert" and summary["tabindex"] == "-1"
    assert not any("autofocus" in attrs for _tag, attrs in page.tags), "a refused form must not autofocus a field"


def test_unread_notifications_say_so_in_words(client, session, board, login_as):
    asker, helper = make_user(session, "asker"), make_user(session, "helper")
    make_answer(session, helper, make_question(session, asker, board))
    login_as(asker)
    html = client.get("/notifications").get_data(as_text=True)
    item = re.search(r'<li class="notification is-unread">.*?</li>', html, re.S)
    assert item and re.search(r'<span class="visually-hidden">Unread:\s*</span>', item.group(0))


def test_headings_never_skip_a_level(client, session, board):
    asker = make_user(session, "asker")
    question = make_question(session, asker, board)
    make_answer(session, make_user(session, "helper"), question)
    for url in ("/", "/questions", "/boards/laptops", f"/questions/{question.id}/{question.slug}"):
        levels = Page(client.get(url).get_data(as_text=True)).headings
        assert levels[0] == 1, (url, levels)
        jumps = [(a, b) for a, b in pairwise(levels) if b > a + 1]
        assert jumps == [], (url, levels)


def test_posts_carry_their_language(client, session, board, login_as):
    giorgos = make_user(session, "giorgos", locale="el")
    asker = make_user(session, "asker")
    greek = make_question(
        session, giorgos, board, title="Το Nimbus Book 14 δεν φορτίζει", body="Δεν φορτίζει πάνω από 80%."
    )
    assert greek.language == "el"  # by default, the author's interface language
    english = make_question(session, asker, board, title="Battery stops at 80 percent")
    assert english.language == "en"
    reply = make_answer(session, giorgos, english, body="Try the Battery care switch.")
    assert reply.language == "el"

    page = client.get(f"/questions/{greek.id}/{greek.slug}").get_data(as_text=True)
    assert re.search(r'<h1 id="question-title" dir="auto" lang="el">', page)
    assert re.search(r'<div class="post-body" dir="auto" lang="el">', page)
    listing = client.get("/").get_data(as_text=True)
    assert re.search(r'<h3 class="q-title" dir="auto" lang="el"><a [^>]*>Το Nimbus', listing)
    profile = client.get("/users/giorgos").get_data(as_text=True)
    assert 'dir="auto" lang="el">Το Nimbus' in profile

    # The ask and answer forms offer the author's language first and take another one.
    login_as(giorgos)
    ask_html = client.get("/ask").get_data(as_text=True)
    language_select = re.search(r'<select[^>]*id="language".*?</select>', ask_html, re.S)
    assert language_select and re.search(
        r'<option selected value="el">|<option value="el" selected>', language_select.group(0)
    )
    response = client.form_post(
        f"/questions/{english.id}/answers", {"body": "Switch Battery care off in Settings.", "language": "en"}
    )
    assert response.status_code == 302
    assert session.scalars(select(Answer.language).order_by(Answer.id.desc())).first() == "en"
    response = client.form_post(
        "/ask",
        {"board": "laptops", "title": "Another question in English", "body": BODY, "language": "xx"},
    )
    # "Choose one of the listed languages.", in Giorgos's own language.
    assert response.status_code == 422 and "Επιλέξτε μία από τις γλώσσες της λίστας." in response.get_data(as_text=True)
    response = client.form_post(f"/questions/{greek.id}/edit", {**_fields(greek), "language": "en", "submit": "1"})
    assert response.status_code == 302
    session.expire_all()
    assert session.get(Question, greek.id).language == "en"


BODY = "My Nimbus Book 14 shows an error when updating drivers. I tried a restart."


def _fields(question: Question) -> dict:
    return {"board": "laptops", "title": question.title, "body": question.body_source, "tags": ""}

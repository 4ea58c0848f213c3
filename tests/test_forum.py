"""Asking, answering, editing and listing, through HTTP as members and visitors would."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from app.forum.models import Answer, Board, Question, Revision, Tag
from tests.factories import make_answer, make_board, make_question, make_user

BODY = "My Nimbus Book 14 shows `Error 0x80070005` when updating drivers. I tried a restart."


@pytest.fixture
def board(session) -> Board:
    return make_board(session, "laptops", "Laptops")


@pytest.fixture
def member(session):
    return make_user(session, "sam")


def ask(client, board_slug="laptops", **fields):
    data = {"board": board_slug, "title": "Driver update fails with error 0x80070005", "body": BODY, "tags": ""}
    data.update(fields)
    return client.form_post("/ask", data)


def test_ask_creates_question_with_normalised_tags_and_first_revision(client, session, board, member, login_as):
    login_as(member)
    response = ask(client, tags="Drivers, Nimbus Book 14, drivers")
    assert response.status_code == 302
    question = session.scalar(select(Question))
    assert re.search(
        rf"/questions/{question.id}/driver-update-fails-with-error-0x80070005$", response.headers["Location"]
    )
    assert [t.name for t in session.scalars(select(Tag).order_by(Tag.name))] == ["drivers", "nimbus-book-14"]
    assert "<code>Error 0x80070005</code>" in question.body_html
    assert question.body_source == BODY
    revisions = session.scalars(select(Revision).where(Revision.question_id == question.id)).all()
    assert [(r.number, r.editor_id) for r in revisions] == [(1, member.id)]
    session.refresh(board)
    assert board.question_count == 1


def test_visitors_are_sent_to_sign_in_before_asking(client, board):
    response = client.get("/ask")
    assert response.status_code == 302 and "/login?next=" in response.headers["Location"]
    response = client.post("/ask", data={"title": "x"})
    assert response.status_code in (302, 400)


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"title": ""}, "Give your question a title."),
        ({"title": "Too short"}, "Use 10 to 150 characters."),
        ({"title": "T" * 151}, "Use 10 to 150 characters."),
        ({"body": ""}, "Describe your problem."),
        ({"body": "x" * 20_001}, "Use 10 to 20000 characters."),
        ({"tags": "a, b2, c3, d4, e5, f6"}, "Use at most 5 tags."),
        ({"tags": "ok, <script>"}, "is not a valid tag"),
        ({"tags": "x"}, "is not a valid tag"),
        ({"board": "no-such-board"}, "Choose one of the options offered."),
    ],
)
def test_bad_questions_are_refused_and_the_text_is_kept(client, session, board, member, login_as, fields, message):
    login_as(member)
    response = ask(client, **fields)
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert message in page
    if fields.get("body", BODY) == BODY:
        assert "Error 0x80070005" in page  # the body the member wrote is still in the form
    assert session.scalar(select(Question)) is None


def test_html_in_every_field_is_shown_as_text(client, session, board, member, login_as):
    login_as(member)
    ask(client, title='<img src=x onerror=alert(1)> broken "quotes"', body="<script>alert('x')</script> body text")
    question = session.scalar(select(Question))
    page = client.get(f"/questions/{question.id}/{question.slug}").get_data(as_text=True)
    assert "<script>alert" not in page and "<img src=x" not in page
    assert "&lt;img src=x onerror=alert(1)&gt;" in page
    assert "&lt;script&gt;alert" in page


def test_preview_button_renders_without_saving(client, session, board, member, login_as):
    login_as(member)
    response = ask(client, body="**Bold** claim about my battery", preview="Preview")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "<strong>Bold</strong>" in page and "**Bold** claim" in page
    assert session.scalar(select(Question)) is None


def test_live_preview_endpoint_needs_member_and_csrf(client, session, member, login_as):
    assert client.post("/preview", data={"body": "x"}).status_code in (302, 400)
    login_as(member)
    assert client.post("/preview", data={"body": "**x**"}).status_code == 400  # no token
    response = client.form_post("/preview", {"body": "**x** <script>bad()</script>"})
    assert response.status_code == 200
    assert response.json["html"] == "<p><strong>x</strong> &lt;script&gt;bad()&lt;/script&gt;</p>\n"


def test_answer_updates_counters_and_activity(client, session, board, member, login_as):
    question = make_question(session, member, board)
    helper = make_user(session, "lucy")
    login_as(helper)
    response = client.form_post(f"/questions/{question.id}/answers", {"body": "Update the BIOS to 1.10 first."})
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/questions/{question.id}/{question.slug}#answer-1")
    session.refresh(question)
    assert question.answer_count == 1
    assert question.first_answer_at is not None and question.last_activity_at >= question.created_at
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Update the BIOS to 1.10 first." in page and "<bdi>1</bdi> answer" in page  # the count isolated


def test_bad_answer_is_refused_and_kept(client, session, board, member, login_as):
    question = make_question(session, member, board)
    login_as(member)
    response = client.form_post(f"/questions/{question.id}/answers", {"body": "short"})
    assert response.status_code == 422
    assert "short</textarea>" in response.get_data(as_text=True)
    assert client.form_post("/questions/999/answers", {"body": "A long enough answer."}).status_code == 404
    assert session.scalar(select(Answer)) is None


def test_edit_own_question_keeps_history(client, session, board, member, login_as):
    question = make_question(session, member, board, title="Battery drains overnight", tags=("battery",))
    other_board = make_board(session, "broadband", "Broadband")
    login_as(member)
    response = client.form_post(
        f"/questions/{question.id}/edit",
        {
            "board": "broadband",
            "title": "Battery drains overnight in sleep",
            "body": question.body_source + "\nAlso: BIOS 1.08",
            "tags": "battery, sleep",
            "submit": "1",
        },
    )
    assert response.status_code == 302
    session.refresh(question)
    session.refresh(board)
    session.refresh(other_board)
    assert question.slug == "battery-drains-overnight-in-sleep" and question.edited_at is not None
    assert (board.question_count, other_board.question_count) == (0, 1)
    history = client.get(f"/questions/{question.id}/history").get_data(as_text=True)
    assert "Version 2" in history and "Version 1" in history
    assert "<del>Battery drains overnight</del>" in history
    assert "<ins>Also: BIOS 1.08</ins>" in history  # words of the rendered text, not Markdown lines
    assert "sam" in history


def test_unchanged_edit_adds_no_revision(client, session, board, member, login_as):
    question = make_question(session, member, board)
    login_as(member)
    response = client.form_post(
        f"/questions/{question.id}/edit",
        {"board": board.slug, "title": question.title, "body": question.body_source, "tags": "", "submit": "1"},
    )
    assert response.status_code == 302  # the edit went through: a refused form would add no revision either
    assert session.query(Revision).filter_by(question_id=question.id).count() == 1


def test_edit_answer_and_its_history(client, session, board, member, login_as):
    question = make_question(session, member, board)
    answer = make_answer(session, member, question, body="First version of the answer")
    login_as(member)
    response = client.form_post(f"/answers/{answer.id}/edit", {"body": "Second version of the answer", "submit": "1"})
    assert response.status_code == 302
    history = client.get(f"/answers/{answer.id}/history").get_data(as_text=True)
    assert "<del>First</del> <ins>Second</ins> <span>version of the answer</span>" in history


def test_someone_elses_post_cannot_be_edited(client, session, board, member, login_as):
    question = make_question(session, member, board)
    answer = make_answer(session, member, question)
    login_as(make_user(session, "mallory"))
    assert client.get(f"/questions/{question.id}/edit").status_code == 403
    data = {"board": board.slug, "title": "Hijacked title here", "body": "Hijacked body text", "submit": "1"}
    assert client.form_post(f"/questions/{question.id}/edit", data).status_code == 403
    assert client.form_post(f"/answers/{answer.id}/edit", {"body": "Hijacked body text"}).status_code == 403
    session.refresh(question)
    assert question.title != "Hijacked title here"
    page = client.get(f"/questions/{question.id}/{question.slug}").get_data(as_text=True)
    assert f"/questions/{question.id}/edit" not in page  # the template asks the policy too


def test_moderators_may_edit_any_post(client, session, board, member, login_as):
    question = make_question(session, member, board)
    answer = make_answer(session, member, question, body="The answer as its author wrote it")
    moderator = make_user(session, "mod", role="moderator")
    login_as(moderator)
    assert client.get(f"/questions/{question.id}/edit").status_code == 200
    data = {"board": board.slug, "title": "Title tidied by a moderator", "body": question.body_source, "submit": "1"}
    assert client.form_post(f"/questions/{question.id}/edit", data).status_code == 302
    tidied = {"body": "The answer, tidied by a moderator", "submit": "1"}
    assert client.form_post(f"/answers/{answer.id}/edit", tidied).status_code == 302
    session.refresh(question)
    session.refresh(answer)
    assert question.title == "Title tidied by a moderator" and answer.body_source == "The answer, tidied by a moderator"
    editors = session.scalars(select(Revision.editor_id).where(Revision.number == 2)).all()
    assert editors == [moderator.id, moderator.id]  # each edit is a new version, credited to the moderator


def test_missing_things_are_404_pages_that_look_like_the_site(client):
    for url in ("/questions/424242", "/questions/424242/slug", "/answers/1/edit", "/boards/nope", "/nowhere"):
        response = client.get(url)
        assert response.status_code in (404, 302), url
        if response.status_code == 404:
            page = response.get_data(as_text=True)
            assert "Nimbus" in page and "Go to the community home" in page


def test_wrong_slug_redirects_to_the_canonical_url(client, session, board, member):
    question = make_question(session, member, board, title="Hub 3 loses Wi-Fi every evening")
    for url in (f"/questions/{question.id}", f"/questions/{question.id}/old-title"):
        response = client.get(url)
        assert response.status_code == 301
        assert response.headers["Location"] == f"/questions/{question.id}/hub-3-loses-wi-fi-every-evening"


def _titles(page: str) -> list[str]:
    return re.findall(r'<h3 class="q-title"[^>]*><a href="[^"]+">([^<]+)</a>', page)


def test_board_filters(client, session, board, member):
    unanswered = make_question(session, member, board, title="Nobody answered this yet")
    answered = make_question(session, member, board, title="Somebody answered this one", tags=("battery",))
    make_answer(session, member, answered)
    solved = make_question(session, member, board, title="This one is solved already")
    solved.is_solved = True
    session.commit()
    make_question(session, member, make_board(session), title="Another board entirely")

    def titles(query: str) -> set[str]:
        return set(_titles(client.get(f"/boards/laptops{query}").get_data(as_text=True)))

    assert titles("") == {unanswered.title, answered.title, solved.title}
    assert titles("?filter=unanswered") == {unanswered.title, solved.title}
    assert titles("?filter=solved") == {solved.title}
    assert titles("?filter=unsolved") == {unanswered.title, answered.title}
    assert titles("?tag=Battery") == {answered.title}
    assert titles("?tag=unknown-tag") == set()
    assert client.get("/boards/laptops?filter=bogus").status_code == 400


def test_keyset_pagination_walks_every_question_once(app, client, session, board, member):
    app.config["PAGE_SIZE"] = 4
    for n in range(10):
        make_question(session, member, board, title=f"Numbered question {n:02d} here")
    # Make ties on last_activity_at so the id tie-breaker is exercised.
    questions = session.scalars(select(Question)).all()
    for q in questions:
        q.last_activity_at = questions[0].last_activity_at
    session.commit()
    seen, url = [], "/boards/laptops"
    for _ in range(5):
        page = client.get(url).get_data(as_text=True)
        seen += _titles(page)
        match = re.search(r'href="([^"]+)" rel="next"|rel="next" href="([^"]+)"', page)
        if not match:
            break
        url = (match.group(1) or match.group(2)).replace("&amp;", "&")
    assert len(seen) == 10 and len(set(seen)) == 10
    assert seen == sorted(seen, reverse=True)  # same activity time: newest id first


def test_broken_cursor_is_a_clear_400(client, board):
    for cursor in ("zzz", "bm90LWEtY3Vyc29y"):
        response = client.get(f"/boards/laptops?after={cursor}")
        assert response.status_code == 400
        assert "That page link is broken" in response.get_data(as_text=True)
    # A NUL is refused before the list is reached (any control character in a request is).
    assert client.get("/boards/laptops?after=%00").status_code == 400


def test_home_lists_boards_with_counts_and_latest_questions(client, session, board, member):
    make_question(session, member, board, title="Fresh question on the home page")
    page = client.get("/").get_data(as_text=True)
    assert "Laptops" in page and "<bdi>1</bdi> question" in page and "Fresh question on the home page" in page


def test_tag_lists_follow_activity_boards_and_tag_edits(client, session, board, member, login_as):
    older = make_question(session, member, board, title="Older question about batteries", tags=("battery",))
    newer = make_question(session, member, board, title="Newer question about batteries", tags=("battery",))

    def tagged(url: str) -> list[str]:
        return _titles(client.get(url).get_data(as_text=True))

    assert tagged("/questions?tag=battery") == [newer.title, older.title]
    make_answer(session, make_user(session), older)  # activity moves it to the top of the tag's list too
    assert tagged("/questions?tag=battery") == [older.title, newer.title]
    assert tagged("/boards/laptops?tag=battery") == [older.title, newer.title]

    make_board(session, "broadband", "Broadband")
    login_as(member)
    data = {"board": "broadband", "title": newer.title, "body": newer.body_source, "tags": "wifi", "submit": "1"}
    assert client.form_post(f"/questions/{newer.id}/edit", data).status_code == 302
    assert tagged("/boards/laptops?tag=battery") == [older.title]
    assert tagged("/boards/broadband?tag=wifi") == [newer.title]
    assert tagged("/questions?tag=wifi") == [newer.title]

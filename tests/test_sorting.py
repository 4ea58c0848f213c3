"""Sorting as issue 14 asks: answers by kudos (the solution first) or date; lists by activity, newest, most
kudos, and unanswered with the longest waiting first; keyset pages that hold in every order; bad input refused."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import update

from app.forum import service as forum
from app.forum.models import Answer, Question
from app.reputation import service as reputation
from tests.factories import make_answer, make_board, make_question, make_user


@pytest.fixture
def world(session):
    board = make_board(session, "laptops", "Laptops")
    asker, helper = make_user(session, "asker"), make_user(session, "helper")
    return board, asker, helper


def titles(page_html: str) -> list[str]:
    return re.findall(r'<h3 class="q-title"[^>]*><a href="[^"]+">([^<]+)</a>', page_html)


def test_answers_sort_by_kudos_with_the_solution_first_or_by_date(client, session, world):
    board, asker, helper = world
    question = make_question(session, asker, board)
    first = make_answer(session, helper, question, body="The first answer: update the BIOS.")
    second = make_answer(session, make_user(session, "bea"), question, body="The second answer: reset the SMC.")
    third = make_answer(session, make_user(session, "cai"), question, body="The third answer: try another charger.")
    for fan in (make_user(session, "fan1"), make_user(session, "fan2")):
        reputation.give_kudo(session, fan, "answer", third.id)
    reputation.give_kudo(session, make_user(session, "fan3"), "answer", second.id)
    reputation.accept_answer(session, asker, question.id, first.id)
    session.commit()
    url = f"/questions/{question.id}/{question.slug}"

    def order(page: str) -> list[int]:
        return [int(n) for n in re.findall(r'<article class="post answer[^"]*" id="answer-(\d+)"', page)]

    assert order(client.get(url).get_data(as_text=True)) == [first.id, third.id, second.id]
    session.execute(update(Answer).where(Answer.id == first.id).values(created_at=third.created_at + timedelta(1)))
    session.commit()
    by_date = client.get(url + "?answers=date").get_data(as_text=True)
    assert order(by_date) == [second.id, third.id, first.id]
    assert 'aria-current="true">Oldest first' in by_date
    assert client.get(url + "?answers=<script>").status_code == 400


def test_lists_sort_by_activity_newest_kudos_and_unanswered_oldest_first(client, session, world):
    board, asker, helper = world
    old = make_question(session, asker, board, title="An old question still waiting")
    answered = make_question(session, asker, board, title="An answered question with kudos")
    new = make_question(session, asker, board, title="A brand new question waiting")
    now = new.created_at
    for question, days in ((old, 30), (answered, 20), (new, 1)):
        session.execute(
            update(Question)
            .where(Question.id == question.id)
            .values(created_at=now - timedelta(days=days), last_activity_at=now - timedelta(days=days))
        )
    session.commit()
    make_answer(session, helper, answered)  # the latest activity now
    reputation.give_kudo(session, helper, "question", answered.id)
    reputation.give_kudo(session, make_user(session, "fan"), "question", old.id)
    reputation.give_kudo(session, make_user(session, "fan2"), "question", old.id)
    session.commit()
    for url in ("/questions", "/boards/laptops"):
        assert titles(client.get(url).get_data(as_text=True)) == [answered.title, new.title, old.title]
        assert titles(client.get(url + "?sort=newest").get_data(as_text=True)) == [new.title, answered.title, old.title]
        assert titles(client.get(url + "?sort=kudos").get_data(as_text=True)) == [old.title, answered.title, new.title]
        waiting = client.get(url + "?sort=unanswered").get_data(as_text=True)
        assert titles(waiting) == [old.title, new.title]
        assert 'aria-current="page">Unanswered, oldest first' in waiting
    assert client.get("/questions?sort=<script>").status_code == 400


@pytest.mark.parametrize("sort", ["activity", "newest", "kudos", "unanswered"])
def test_keyset_pages_walk_every_order_without_gaps_or_repeats(session, world, sort):
    board, asker, _helper = world
    made = [make_question(session, asker, board, title=f"Question number {n:02d} about the laptop") for n in range(7)]
    for n, question in enumerate(made):  # ties in the sort value: the id breaks them
        session.execute(update(Question).where(Question.id == question.id).values(kudos_count=n % 3))
    session.commit()
    seen, after = [], None
    while True:
        page = forum.list_questions(session, board=board, limit=3, sort=sort, after=after)
        seen += [q.id for q in page.questions]
        after = page.next_cursor
        if after is None:
            break
    assert sorted(seen) == sorted(q.id for q in made) and len(seen) == len(set(seen))


def test_a_cursor_from_another_order_is_refused_not_a_500(client, session, world):
    board, asker, _helper = world
    for n in range(3):
        make_question(session, asker, board, title=f"Question number {n} about the laptop")
    page = forum.list_questions(session, board=board, limit=1)  # a time cursor
    response = client.get(f"/boards/laptops?sort=kudos&after={page.next_cursor}")
    assert response.status_code == 400 and "That page link is broken" in response.get_data(as_text=True)
    kudos_page = forum.list_questions(session, board=board, limit=1, sort="kudos")
    assert client.get(f"/boards/laptops?after={kudos_page.next_cursor}").status_code == 400

"""Pages cost a fixed number of SQL queries, however many answers or questions they show."""

from __future__ import annotations

from app.db import db
from app.search import service as search
from tests.factories import make_board, make_question, make_user
from tests.querycount import count_queries

# Signed in: load the user; then the page's own queries. Measured numbers, asserted exactly so a
# change that adds a query (an N+1 above all) shows up here.
# question (+author, board), its tags, user, answers (+authors), own kudos, following?, related questions (their
# visibility re-checked: see app/search/related.py; none is sent when nothing is related)
QUESTION_PAGE_QUERIES = 7
BOARD_PAGE_QUERIES = 6  # board, questions (+authors, boards), their tags, pinned threads, user, following?


def _add_answers(session, question, authors, n):
    from app.forum import service as forum

    for i in range(n):
        forum.post_answer(
            session, authors[i % len(authors)], question.id, forum.AnswerDraft(f"Answer number {i} here.")
        )
    session.commit()


def _count(app, client, url: str) -> int:
    with app.app_context():
        engine = db.engine
    with count_queries(engine) as log:
        response = client.get(url)
    assert response.status_code == 200, url
    print(f"{url}: {log.count} queries\n{log}")
    return log.count


def test_question_page_query_count_does_not_grow_with_answers(app, client, session, login_as):
    board = make_board(session, "laptops")
    authors = [make_user(session) for _ in range(10)]
    small = make_question(session, authors[0], board, tags=("battery", "bios"))
    big = make_question(session, authors[0], board, tags=("battery", "bios"))
    _add_answers(session, small, authors, 2)
    _add_answers(session, big, authors, 50)
    search.drain_app(app)  # the two are related to each other: the list beside each is shown
    login_as(make_user(session, "reader"))  # not an author, so not already loaded with the page
    counts = [_count(app, client, f"/questions/{q.id}/{q.slug}") for q in (small, big)]
    assert counts == [QUESTION_PAGE_QUERIES, QUESTION_PAGE_QUERIES]
    page = client.get(f"/questions/{small.id}/{small.slug}").get_data(as_text=True)
    assert big.title in page.split('class="related"')[1]
    # The related picks now come from the cache: still one query to re-check them, none to ask the index.
    assert _count(app, client, f"/questions/{big.id}/{big.slug}") == QUESTION_PAGE_QUERIES


def test_board_page_query_count_does_not_grow_with_questions(app, client, session, login_as):
    authors = [make_user(session) for _ in range(10)]
    small, big = make_board(session, "small"), make_board(session, "big")
    make_question(session, authors[0], small, tags=("wifi",))
    for i in range(50):
        make_question(session, authors[i % 10], big, tags=("wifi", f"tag-{i % 7}"))
    login_as(make_user(session, "reader"))
    app.config["PAGE_SIZE"] = 50
    counts = [_count(app, client, f"/boards/{slug}") for slug in ("small", "big")]
    assert counts == [BOARD_PAGE_QUERIES, BOARD_PAGE_QUERIES]
    # A filtered page shows no pinned section, and a tag filter first looks the tag up (an unknown tag
    # then costs nothing more).
    assert _count(app, client, "/boards/big?filter=unanswered&tag=wifi") == BOARD_PAGE_QUERIES
    assert _count(app, client, "/boards/big?tag=no-such-tag") == 4  # board, tag, user, following?

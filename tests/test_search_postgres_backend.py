"""The PostgreSQL search backend on its own: ranking, query syntax, filters, highlighting, privacy, writing."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import text, update
from sqlalchemy.orm import Session

from app.forum.models import Question
from app.reputation import service as reputation
from app.search.backend import SearchQuery
from app.search.documents import all_documents, documents_for
from app.search.postgres_backend import WRITER_LOCK, PostgresBackend
from tests.conftest import POSTGRES_URL
from tests.factories import make_answer, make_board, make_question, make_user

pytestmark = pytest.mark.skipif(not POSTGRES_URL, reason="needs TEST_DATABASE_URL (PostgreSQL)")


@pytest.fixture
def backend(app) -> Iterator[PostgresBackend]:
    backend = PostgresBackend(POSTGRES_URL or "")
    yield backend
    backend.engine.dispose()  # the app fixture only disposes the app's own engine


def index(session: Session, backend: PostgresBackend, *questions: Question) -> None:
    assert backend.apply(documents_for(session, [q.id for q in questions]))


def ids(backend: PostgresBackend, text: str = "", **filters) -> list[int]:
    return [hit.id for hit in backend.search(SearchQuery(text=text, **filters)).hits]


@pytest.fixture
def data(session: Session, backend: PostgresBackend) -> dict:
    laptops, broadband = make_board(session, "laptops", "Laptops"), make_board(session, "broadband", "Broadband")
    asker, helper = make_user(session, "asker"), make_user(session, "helper")
    battery = make_question(
        session,
        asker,
        laptops,
        title="Battery drains overnight on the Nimbus Book",
        body="Sleep mode does not hold the charge.",
        tags=("battery",),
    )
    mention = make_question(
        session,
        asker,
        broadband,
        title="Router lights blink amber all evening",
        body="Unrelated, but my battery backup beeps too.",
        tags=("router",),
    )
    wifi = make_question(
        session,
        asker,
        broadband,
        title="Wi-Fi keeps dropping after the firmware update",
        body="The Hub 3 restarts every hour. I tried to update the router.",
        tags=("wifi", "router"),
    )
    answer = make_answer(session, helper, wifi, body="Roll back the firmware from the advanced settings page.")
    reputation.accept_answer(session, asker, wifi.id, answer.id)
    session.commit()
    index(session, backend, battery, mention, wifi)
    return {"battery": battery.id, "mention": mention.id, "wifi": wifi.id, "asker": asker, "laptops": laptops}


def test_a_title_match_ranks_above_a_body_mention(backend, data):
    assert ids(backend, "battery") == [data["battery"], data["mention"]]
    assert backend.search(SearchQuery(text="battery")).total == 2


def test_phrases_exclusion_and_or(backend, data):
    assert ids(backend, '"firmware update"') == [data["wifi"]]
    assert ids(backend, '"update firmware"') == []
    assert ids(backend, "battery -router") == [data["battery"]]
    assert set(ids(backend, "firmware OR overnight")) == {data["wifi"], data["battery"]}
    assert ids(backend, "battery firmware") == []  # words are all required, as in a web search box


def test_tag_and_board_syntax_in_the_text(backend, data):
    assert ids(backend, "tag:battery") == [data["battery"]]
    assert ids(backend, "battery board:broadband") == [data["mention"]]
    assert ids(backend, "router -tag:wifi") == [data["mention"]]
    assert ids(backend, "Board:LAPTOPS") == [data["battery"]]
    assert ids(backend, "battery -board:laptops") == [data["mention"]]
    assert ids(backend, "battery -board:nowhere -tag:nothing") == [data["battery"], data["mention"]]
    assert ids(backend, "tag:router", sort="newest") == [data["wifi"], data["mention"]]


def test_filters(session, backend, data):
    assert ids(backend, "battery", board="broadband") == [data["mention"]]
    assert ids(backend, "", tag="wifi") == [data["wifi"]]
    assert ids(backend, "", solved=True) == [data["wifi"]]
    assert ids(backend, "", solved=False) == [data["mention"], data["battery"]]
    assert ids(backend, "", unanswered=True) == [data["mention"], data["battery"]]
    old = datetime(2024, 3, 1, 12, tzinfo=UTC)
    session.execute(update(Question).where(Question.id == data["battery"]).values(created_at=old))
    assert ids(backend, "battery", date_to=old.date()) == [data["battery"]]
    assert ids(backend, "battery", date_from=old.date() + timedelta(days=1)) == [data["mention"]]
    assert ids(backend, "", date_from=old.date(), date_to=old.date()) == [data["battery"]]


def test_empty_text_lists_newest_first_with_pages(backend, data):
    assert ids(backend) == [data["wifi"], data["mention"], data["battery"]]
    second = backend.search(SearchQuery(text="", per_page=2, page=2))
    assert [hit.id for hit in second.hits] == [data["battery"]] and second.total == 3
    beyond = backend.search(SearchQuery(text="battery", per_page=2, page=5))
    assert beyond.hits == [] and beyond.total == 2


def test_highlights_title_body_and_best_answer(backend, data):
    (hit,) = backend.search(SearchQuery(text="firmware")).hits
    assert hit.title_html == "Wi-Fi keeps dropping after the <mark>firmware</mark> update"
    assert "Roll back the <mark>firmware</mark>" in hit.answer_html
    (hit,) = backend.search(SearchQuery(text="charge")).hits
    assert "<mark>charge</mark>" in hit.snippet_html


def test_html_in_posts_comes_back_escaped(session, backend):
    board, user = make_board(session), make_user(session)
    question = make_question(
        session,
        user,
        board,
        title="Why does <b>bold</b> & <i>co</i> show raw?",
        body="Pasting `<script>alert(1)</script>` and <img src=x onerror=alert(2)> into the editor shows it.",
    )
    index(session, backend, question)
    for query in ("script alert", "bold", ""):
        (hit,) = backend.search(SearchQuery(text=query)).hits
        html = hit.title_html + hit.snippet_html
        assert "<script" not in html and "<img" not in html and "<b>" not in html and "<i>" not in html
        assert "&lt;b&gt;" in hit.title_html and "&amp;" in hit.title_html
    (hit,) = backend.search(SearchQuery(text="alert")).hits
    assert "&lt;script&gt;<mark>alert</mark>(1)&lt;/script&gt;" in hit.snippet_html


def test_hidden_and_private_questions_never_come_back(session, backend, data):
    # The documents stay in the table (no outbox row applied): the join to questions still hides them.
    session.execute(update(Question).where(Question.id == data["battery"]).values(is_hidden=True))
    session.execute(update(Question).where(Question.id == data["wifi"]).values(is_private=True))
    assert ids(backend, "battery") == [data["mention"]]
    assert ids(backend, "firmware") == [] and ids(backend, "tag:wifi") == []
    assert ids(backend) == [data["mention"]]
    assert backend.count() == 1
    assert backend.similar("battery firmware router") == [data["mention"]]


def test_accents_are_folded_and_still_highlighted(session, backend):
    board, user = make_board(session), make_user(session)
    cafe = make_question(session, user, board, title="Le café du coin a une connexion lente", body="Même le soir.")
    invoice = make_question(
        session, user, board, title="Podwójnie obciążona faktura za internet", body="Dostałem fakturę dwa razy."
    )
    greek = make_question(
        session, user, board, title="Ο φορητός δεν φορτίζει μετά την ενημέρωση", body="Καλημέρα σε όλους."
    )
    index(session, backend, cafe, invoice, greek)
    assert ids(backend, "cafe") == [cafe.id] and ids(backend, "CAFÉ") == [cafe.id]
    assert ids(backend, "fakture") == [invoice.id] and ids(backend, "obciazona") == [invoice.id]
    assert ids(backend, "φορητος") == [greek.id] and ids(backend, "ΚΑΛΗΜΕΡΑ") == [greek.id]
    assert "<mark>café</mark>" in backend.search(SearchQuery(text="cafe")).hits[0].title_html


def test_similar_puts_solved_first_and_ignores_answers(session, backend, data):
    other = make_question(
        session,
        data["asker"],
        data["laptops"],
        title="Wi-Fi dropping every evening",
        body="Still dropping after the update.",
    )
    index(session, backend, other)
    assert backend.similar("wifi dropping")[:2] == [data["wifi"], other.id]
    assert backend.similar("advanced settings") == []  # only in an answer
    assert backend.similar("!!! ???") == [] and backend.similar("") == []
    assert len(backend.similar("the update router battery", limit=2)) == 2


def test_apply_replaces_and_removes_documents(session, backend, data):
    session.execute(update(Question).where(Question.id == data["battery"]).values(title="Screen flickers at night"))
    index(session, backend, session.get(Question, data["battery"]))
    assert ids(backend, "battery") == [data["mention"]] and ids(backend, "flickers") == [data["battery"]]
    assert backend.apply({data["mention"]: None, 999_999: None})
    assert ids(backend, "battery") == [] and backend.count() == 2


def test_apply_gives_way_to_another_writer(session, backend, data):
    with backend.engine.connect() as other:
        other.execute(text("SELECT pg_advisory_lock(:key)"), {"key": WRITER_LOCK})
        assert backend.apply({data["battery"]: None}) is False
        other.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": WRITER_LOCK})
        other.commit()
    assert ids(backend, "battery")[0] == data["battery"]  # nothing was written
    assert backend.apply({data["battery"]: None})
    assert ids(backend, "battery") == [data["mention"]]


def test_rebuild_replaces_everything(session, backend, data):
    assert backend.apply({data["wifi"]: None}) and backend.count() == 2
    session.execute(update(Question).where(Question.id == data["mention"]).values(is_hidden=True))
    calls: list[int] = []
    assert backend.rebuild(all_documents(session), calls.append) == 2
    assert calls == [1, 1] and backend.count() == 2
    assert ids(backend, "firmware") == [data["wifi"]]
    assert backend.healthy() and backend.reset() is None


def test_did_you_mean(backend, data):
    result = backend.search(SearchQuery(text="batery overnigth"))
    assert result.hits == [] and result.suggestion == "battery overnight"
    assert backend.search(SearchQuery(text="battery")).suggestion is None


@pytest.mark.parametrize(
    "query",
    ["'; DROP TABLE search_documents; --", "a:b & | ! ( ) <-> \\ *", 'tag:"wi fi', "board:", "-", '"""', "OR"],
)
def test_odd_input_is_just_text(backend, data, query):
    backend.search(SearchQuery(text=query))
    backend.similar(query)
    assert backend.count() == 3

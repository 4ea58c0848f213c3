"""Question views: counted without a database write per view (in memory, or in Redis when REDIS_URL is set),
added to the questions in batches, never counting the asker's own visits."""

from __future__ import annotations

import uuid

import pytest

from app.db import db
from app.forum import view_counts
from app.forum.models import Question
from tests.conftest import REDIS_URL, Client, make_app
from tests.factories import make_board, make_question, make_user

COUNTERS = ["memory", pytest.param("redis", marks=pytest.mark.skipif(not REDIS_URL, reason="needs TEST_REDIS_URL"))]


def counter_settings(kind: str) -> dict:
    if kind == "memory":
        return {}
    return {"REDIS_URL": REDIS_URL, "VIEW_COUNT_KEY": f"agora-test-views-{uuid.uuid4().hex}"}


@pytest.mark.parametrize("kind", COUNTERS)
def test_views_are_added_in_batches_not_written_per_view(tmp_path, postgres_schema, kind):
    app = make_app(tmp_path, postgres_schema, VIEW_FLUSH_EVERY=3, VIEW_FLUSH_SECONDS=3600, **counter_settings(kind))
    app.test_client_class = Client
    client = app.test_client()
    with app.app_context(), db.scope() as setup:
        asker = make_user(setup, "asker")
        question = make_question(setup, asker, make_board(setup, "laptops", "Laptops"))
        url = f"/questions/{question.id}/{question.slug}"

    def stored() -> int:
        with app.app_context(), db.scope() as check:
            return check.get(Question, question.id).view_count

    for _ in range(2):
        assert client.get(url).status_code == 200
    assert stored() == 0  # two views, no write yet
    client.get(url)
    assert stored() == 3  # the batch is in
    assert "viewed 3 times" in client.get(url).get_data(as_text=True).replace("<bdi>", "").replace("</bdi>", "")
    from tests.conftest import sign_in

    sign_in(client, asker)
    for _ in range(5):
        client.get(url)  # the asker's own visits are not views
    assert app.extensions["agora_views"].take() == {question.id: 1}  # only the visitor's fourth view waits
    assert client.get(f"/questions/{question.id + 1000}").status_code == 404
    assert app.extensions["agora_views"].take() == {}
    with app.app_context():
        db.engine.dispose()


@pytest.mark.parametrize("kind", COUNTERS)
def test_a_view_is_taken_once(kind):
    counter = view_counts.make_counter({"VIEW_FLUSH_EVERY": 2, "VIEW_FLUSH_SECONDS": 3600, **counter_settings(kind)})
    assert counter.take() == {} and not counter.due()
    counter.hit(7)
    assert not counter.due()
    counter.hit(7)
    counter.hit(9)
    assert counter.due()
    assert counter.take() == {7: 2, 9: 1}
    assert counter.take() == {} and not counter.due()

"""Page cache hits answered before Flask (app/web/early_hits.py): the same answer as a hit inside Flask, for a
visitor without cookies, and nothing else ever answered there."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from werkzeug.test import Client

from app.db import db
from app.forum.models import Answer
from app.moderation.service import flags
from app.ops.observe import REQUEST_SECONDS
from tests.conftest import make_app, sign_in
from tests.factories import make_answer, make_board, make_question, make_user
from tests.test_operations import json_logs  # noqa: F401 (a fixture)
from tests.test_page_cache import app_with_page_cache


@pytest.fixture
def app(tmp_path, postgres_schema):
    yield from app_with_page_cache(tmp_path, postgres_schema)


@pytest.fixture
def flask_requests(app):
    """How many requests reached Flask's request cycle (its first before-request hook)."""
    seen: list[str] = []
    app.before_request_funcs.setdefault(None, []).insert(0, lambda: seen.append(app.name) and None)
    return seen


@pytest.fixture
def url(session):
    board = make_board(session, "laptops", "Laptops")
    question = make_question(session, make_user(session, "asker"), board, title="Fan runs loud after the update")
    make_answer(session, make_user(session, "helper"), question, body="Reset the fan curve in the firmware.")
    return f"/questions/{question.id}/{question.slug}"


def test_a_cookieless_visitors_kept_page_is_answered_before_flask(app, flask_requests, url):
    visitor = app.test_client(use_cookies=False)
    first = visitor.get(url)
    assert first.status_code == 200 and first.headers.get("X-Page-Cache") is None and len(flask_requests) == 1
    again = visitor.get(url)
    assert again.headers["X-Page-Cache"] == "hit" and len(flask_requests) == 1
    assert again.get_data() == first.get_data()
    for page in ("/", "/questions?sort=newest", "/boards/laptops"):
        visitor.get(page)
        before = len(flask_requests)
        assert visitor.get(page).headers["X-Page-Cache"] == "hit" and len(flask_requests) == before, page


def test_an_early_hit_sends_what_a_hit_inside_flask_sends(app, url):
    visitor = app.test_client(use_cookies=False)
    visitor.get(url)
    early = visitor.get(url, headers={"X-Request-ID": "lb-request-0001"})
    inside = Client(app.wsgi_app.wsgi_app).get(url, headers={"X-Request-ID": "lb-request-0001"})  # Flask alone
    assert inside.headers["X-Page-Cache"] == early.headers["X-Page-Cache"] == "hit"
    assert early.get_data() == inside.get_data()
    ignored = {"Date", "Content-Length"}
    assert sorted((k, v) for k, v in early.headers.items() if k not in ignored) == sorted(
        (k, v) for k, v in inside.headers.items() if k not in ignored
    )
    assert early.headers["X-Request-ID"] == "lb-request-0001"
    assert "script-src 'self'" in early.headers["Content-Security-Policy"]


def test_validators_304_and_head(app, url):
    visitor = app.test_client(use_cookies=False)
    visitor.get(url)
    etag = visitor.get(url).headers["ETag"]
    assert visitor.get(url, headers={"If-None-Match": etag}).status_code == 304
    assert visitor.get(url, headers={"If-Modified-Since": "Fri, 01 Jan 2100 00:00:00 GMT"}).status_code == 200
    head = visitor.head(url)
    assert head.status_code == 200 and head.get_data() == b"" and head.headers["X-Page-Cache"] == "hit"


def test_a_hide_is_seen_by_the_very_next_cookieless_visitor(app, session, url):
    visitor = app.test_client(use_cookies=False)
    visitor.get(url)
    assert "Reset the fan curve" in visitor.get(url).get_data(as_text=True)
    answer = session.query(Answer).one()
    flags.hide_post(session, make_user(session, "mod", role="moderator"), "answer", answer.id, "Spam")
    after = visitor.get(url)
    assert after.headers.get("X-Page-Cache") is None and "Reset the fan curve" not in after.get_data(as_text=True)


@pytest.mark.parametrize(
    "headers, path",
    [
        ({"Cookie": "session=anything"}, "{url}"),
        ({"Cookie": "remember_token=1|abc"}, "{url}"),
        ({"Authorization": "Bearer nope"}, "{url}"),
        ({}, "{url}?utm_source=mail"),  # an argument the page does not read: rendered, not kept
        ({}, "{url}?answers=%00"),  # a control character: Flask refuses it
    ],
)
def test_anything_unusual_goes_to_flask(app, flask_requests, url, headers, path):
    visitor = app.test_client(use_cookies=False)
    visitor.get(url)
    visitor.get(url)
    before = len(flask_requests)
    response = visitor.get(path.format(url=url), headers=headers)
    assert len(flask_requests) == before + 1
    assert response.status_code in (200, 400, 401)
    if "%00" in path:
        assert response.status_code == 400


def test_a_member_is_never_answered_early(app, session, flask_requests, url):
    user = make_user(session, "member")
    app.test_client(use_cookies=False).get(url)
    member = sign_in(app.test_client(), user)
    before = len(flask_requests)
    page = member.get(url)
    assert len(flask_requests) == before + 1 and page.headers.get("X-Page-Cache") is None
    assert "member" in page.get_data(as_text=True) and page.headers["Cache-Control"] == "no-store"


def test_each_language_has_its_own_early_page(app, url):
    visitor = app.test_client(use_cookies=False)
    for language in ("en", "el", "en", "el"):
        visitor.get(url, headers={"Accept-Language": language})
    greek = visitor.get(url, headers={"Accept-Language": "el"})
    english = visitor.get(url, headers={"Accept-Language": "en"})
    assert greek.headers["X-Page-Cache"] == english.headers["X-Page-Cache"] == "hit"
    assert 'lang="el"' in greek.get_data(as_text=True) and 'lang="en"' in english.get_data(as_text=True)


def test_an_early_hit_is_measured_counted_as_a_view_and_logged(tmp_path: Path, capsys, json_logs):  # noqa: F811
    app = make_app(tmp_path, None, PAGE_CACHE=True, LOG_FORMAT="json", LOG_REQUESTS=True)
    with app.app_context(), db.scope() as session:
        board = make_board(session, "laptops", "Laptops")
        question = make_question(session, make_user(session, "asker"), board, title="Fan runs loud after the update")
        session.commit()
        target, question_id = f"/questions/{question.id}/{question.slug}", question.id
    visitor = app.test_client(use_cookies=False)
    visitor.get(target)
    timed = REQUEST_SECONDS.labels("forum.question", "GET")._sum.get()
    views = app.extensions["agora_views"]
    counted = views.take().get(question_id, 0)
    capsys.readouterr()
    hit = visitor.get(target)
    assert hit.headers["X-Page-Cache"] == "hit"
    assert REQUEST_SECONDS.labels("forum.question", "GET")._sum.get() > timed
    assert views.take() == {question_id: 1} and counted <= 1
    lines = [json.loads(line) for line in capsys.readouterr().err.splitlines() if line.startswith("{")]
    entry = next(line for line in lines if line.get("endpoint") == "forum.question")
    assert entry["request_id"] == hit.headers["X-Request-ID"] and entry["status"] == 200 and entry["path"] == target

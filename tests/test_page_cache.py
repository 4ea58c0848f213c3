"""The page cache for signed-out visitors: hits without the database, an invalidation for every change a visitor
could see, one page per language, never a member's or a flashed page, validators and 304s, Redis shared by servers."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from flask import Flask

from app import create_app
from app.accounts import service as accounts
from app.admin.service import boards as admin_boards
from app.db import db
from app.escalation import service as escalation
from app.forum import service as forum
from app.forum.models import Board
from app.moderation.service import flags, suspensions, threads
from app.ops.observe import PAGE_CACHE_HITS, PAGE_CACHE_MISSES
from app.privacy import deletion
from app.reputation import service as reputation
from app.web.page_cache import MemoryStore, RedisStore
from tests.conftest import CSRF_PATTERN, REDIS_URL, make_app
from tests.factories import PASSWORD, make_answer, make_board, make_question, make_user
from tests.querycount import count_queries


def _redis() -> dict[str, object]:
    """On the PostgreSQL leg the pages live in the real Redis, under a prefix of this test's own."""
    return {"REDIS_URL": REDIS_URL, "PAGE_CACHE_KEY": f"agora-test-pages-{uuid.uuid4().hex}"} if REDIS_URL else {}


def app_with_page_cache(tmp_path, postgres_schema) -> Iterator[Flask]:
    """An app with the page cache on (in Redis, under a prefix of its own, on the PostgreSQL leg), its keys
    removed afterwards."""
    app = make_app(tmp_path, postgres_schema, PAGE_CACHE=True, **_redis())
    yield app
    with app.app_context():
        db.engine.dispose()
    store = app.extensions["agora_page_cache"]
    if isinstance(store, RedisStore):
        store.client.delete(store.generation_key, *store.client.scan_iter(f"{store.prefix}:*"))


@pytest.fixture
def app(tmp_path, postgres_schema):
    yield from app_with_page_cache(tmp_path, postgres_schema)


@pytest.fixture
def visitor(app):
    return app.test_client()


@pytest.fixture
def thread(session):
    board = make_board(session, "laptops", "Laptops")
    asker, helper = make_user(session, "asker"), make_user(session, "helper")
    moderator, admin = make_user(session, "mod", role="moderator"), make_user(session, "boss", role="admin")
    question = make_question(session, asker, board, title="Fan runs loud after the update", tags=("fan",))
    answer = make_answer(session, helper, question, body="Reset the fan curve in the firmware settings.")
    return {
        "board": board,
        "asker": asker,
        "helper": helper,
        "moderator": moderator,
        "admin": admin,
        "question": question,
        "answer": answer,
        "url": f"/questions/{question.id}/{question.slug}",
    }


def cached(visitor, url: str) -> str:
    """The page, proven to be kept: the second load is a hit."""
    assert visitor.get(url).status_code == 200
    again = visitor.get(url)
    assert again.status_code == 200 and again.headers.get("X-Page-Cache") == "hit", url
    return again.get_data(as_text=True)


def fresh(visitor, url: str, status: int = 200) -> str:
    """The page after a change: rendered anew, not the kept one."""
    response = visitor.get(url)
    assert response.status_code == status, url
    assert response.headers.get("X-Page-Cache") != "hit", f"{url} was served from the cache after a change"
    return response.get_data(as_text=True)


# --- serving -----------------------------------------------------------------------------------------------------


def test_a_hit_serves_the_kept_page_without_touching_the_database(app, visitor, thread):
    page = cached(visitor, thread["url"])
    with app.app_context():
        engine = db.engine
    hits = PAGE_CACHE_HITS._value.get()
    with count_queries(engine) as log:
        response = visitor.get(thread["url"])
    assert log.count == 0, str(log)
    assert response.headers["X-Page-Cache"] == "hit" and response.get_data(as_text=True) == page
    assert PAGE_CACHE_HITS._value.get() == hits + 1
    assert response.headers["Cache-Control"] == "public, max-age=0, must-revalidate"
    assert "Content-Security-Policy" in response.headers  # the security headers still apply


def test_every_cached_page_type_is_kept_and_holds_no_csrf_token(visitor, thread):
    visitor.get("/register")  # a session that already holds a CSRF token
    visitor.get("/")  # ... and Flask-Login's mark that it holds no sign-in (set once, in a cookie)
    for url in ("/", "/questions", "/questions?tag=fan", "/boards/laptops", thread["url"], "/search?q=fan"):
        page = cached(visitor, url)
        assert 'name="csrf_token"' not in page and not CSRF_PATTERN.search(page), url


def test_misses_are_counted_and_a_page_outside_the_cache_is_never_kept(visitor, thread):
    misses = PAGE_CACHE_MISSES._value.get()
    visitor.get("/boards/laptops")
    assert PAGE_CACHE_MISSES._value.get() == misses + 1
    visitor.get("/users/asker")
    assert visitor.get("/users/asker").headers.get("X-Page-Cache") is None


def test_metrics_show_hits_and_misses(visitor, thread):
    cached(visitor, "/boards/laptops")
    body = visitor.get("/metrics").get_data(as_text=True)
    hits = next(line for line in body.splitlines() if line.startswith("agora_page_cache_hits_total "))
    assert float(hits.split()[1]) >= 1 and "agora_page_cache_misses_total " in body


def test_304_for_the_same_etag(visitor, thread):
    cached(visitor, thread["url"])
    page = visitor.get(thread["url"])
    etag, modified = page.headers["ETag"], page.headers["Last-Modified"]
    assert visitor.get(thread["url"], headers={"If-None-Match": etag}).status_code == 304
    assert visitor.get(thread["url"], headers={"If-None-Match": '"other"'}).status_code == 200
    # Last-Modified is a render time to the second: a page rendered from data older than a hide could carry the same
    # second as the page after it, so a date alone never earns a 304.
    assert visitor.get(thread["url"], headers={"If-Modified-Since": modified}).status_code == 200


def test_urls_with_arguments_the_page_does_not_read_are_not_kept(visitor, thread):
    """Otherwise `?x=1`, `?x=2`... would each keep a copy of the same page: anyone could fill the cache."""
    for _ in range(2):
        response = visitor.get(thread["url"] + "?utm_source=junk")
        assert response.status_code == 200 and response.headers.get("X-Page-Cache") is None
    cached(visitor, thread["url"] + "?answers=date")  # an argument the page reads is kept


def test_the_first_render_already_sends_validators(visitor, thread):
    first = visitor.get("/boards/laptops")
    assert first.headers.get("ETag") and first.headers.get("Last-Modified")
    assert visitor.get("/boards/laptops", headers={"If-None-Match": first.headers["ETag"]}).status_code == 304


def test_each_language_has_its_own_page(visitor, thread):
    english_reader = visitor
    greek_reader = visitor.application.test_client()
    greek_reader.environ_base["HTTP_ACCEPT_LANGUAGE"] = "el"
    english = cached(english_reader, "/boards/laptops")
    greek = cached(greek_reader, "/boards/laptops")
    assert '<html lang="en"' in english and '<html lang="el"' in greek
    chooser = visitor.application.test_client()
    chooser.post("/language", data={"locale": "pl", "next": "/boards/laptops"})
    assert '<html lang="pl"' in cached(chooser, "/boards/laptops")
    assert '<html lang="en"' in english_reader.get("/boards/laptops").get_data(as_text=True)


def test_signed_in_members_never_get_or_leave_cached_pages(visitor, login_as, thread):
    member = login_as(thread["helper"])
    for _ in range(2):
        response = member.get(thread["url"])
        assert response.headers.get("X-Page-Cache") is None
        assert response.headers["Cache-Control"] == "no-store"
        assert "helper" in response.get_data(as_text=True)
    page = fresh(visitor, thread["url"])  # the member's page was not kept for the visitor
    assert "Sign out" not in page


def test_a_remember_me_cookie_is_never_answered_from_the_cache(app, visitor, thread):
    cached(visitor, thread["url"])
    visitor.set_cookie("remember_token", "1|whatever")
    assert visitor.get(thread["url"]).headers.get("X-Page-Cache") is None


def test_flashed_messages_are_never_cached(app, visitor, thread):
    flashed = app.test_client()
    with flashed.session_transaction() as sess:
        sess["_flashes"] = [("info", "A message for one visitor only")]
    assert "A message for one visitor only" in flashed.get("/boards/laptops").get_data(as_text=True)
    assert "A message for one visitor only" not in fresh(visitor, "/boards/laptops")
    cached(visitor, "/boards/laptops")
    with flashed.session_transaction() as sess:
        sess["_flashes"] = [("info", "Another message")]
    response = flashed.get("/boards/laptops")
    assert response.headers.get("X-Page-Cache") is None and "Another message" in response.get_data(as_text=True)


def test_the_language_switch_needs_no_token_but_the_same_origin(visitor, thread):
    response = visitor.post("/language", data={"locale": "el", "next": "/"}, headers={"Origin": "http://localhost"})
    assert response.status_code == 302
    refused = visitor.post("/language", data={"locale": "pl"}, headers={"Origin": "https://evil.example"})
    assert refused.status_code == 403
    refused = visitor.post("/language", data={"locale": "pl"}, headers={"Referer": "https://evil.example/page"})
    assert refused.status_code == 403
    # Behind a TLS-terminating proxy that is not trusted the app sees http:// while the browser sends https://.
    behind_tls = visitor.post("/language", data={"locale": "el", "next": "/"}, headers={"Origin": "https://localhost"})
    assert behind_tls.status_code == 302
    assert '<html lang="el"' in visitor.get("/").get_data(as_text=True)


def test_the_cache_can_be_turned_off(tmp_path, postgres_schema):
    app = make_app(tmp_path, postgres_schema, PAGE_CACHE=False)
    client = app.test_client()
    client.get("/")
    response = client.get("/")
    assert response.headers.get("X-Page-Cache") is None and "agora_page_cache" not in app.extensions
    with app.app_context():
        db.engine.dispose()


def test_the_store_follows_the_settings(app):
    store = app.extensions["agora_page_cache"]
    assert isinstance(store, RedisStore if REDIS_URL else MemoryStore)


def test_the_memory_store_is_bounded(tmp_path):
    from app.web.page_cache import Page

    store = MemoryStore(size=2, ttl=60, generation_file=tmp_path / "generation")
    generation = store.lookup("a")[0]
    for key in "abc":
        store.keep(key, Page(generation, key, 0.0, "text/html", b"x"))
    assert store.lookup("a") == (generation, None) and store.lookup("c")[1] is not None


@pytest.mark.parametrize("kind", ["memory", "redis"])
def test_an_index_change_makes_only_search_pages_stale(tmp_path, kind):
    if kind == "redis" and not REDIS_URL:
        pytest.skip("Redis (TEST_REDIS_URL) on the PostgreSQL leg")
    store = (
        RedisStore(REDIS_URL, 60, f"agora-test-pages-{uuid.uuid4().hex}") if kind == "redis"
        else MemoryStore(10, 60, tmp_path / "page-cache.generation")
    )  # fmt: skip
    page, search = store.lookup("board")[0], store.lookup("search", search=True)[0]
    assert search.startswith(page)
    store.bump(search=True)
    assert store.lookup("board")[0] == page and store.lookup("search", search=True)[0] != search
    search = store.lookup("search", search=True)[0]
    store.bump()  # a commit: every page, search pages too
    assert store.lookup("board")[0] != page and store.lookup("search", search=True)[0] != search
    if kind == "redis":
        store.client.delete(store.generation_key, store.search_key)


def test_a_change_in_one_process_invalidates_the_pages_of_the_others(tmp_path):
    """Without Redis every gunicorn worker (and a `flask` command) of the machine has its own pages, but they share
    the generation: a hide committed by one worker must not leave another serving the hidden post."""
    from app.web.page_cache import Page

    shared = tmp_path / "instance" / "page-cache.generation"
    worker, sibling = MemoryStore(10, 60, shared), MemoryStore(10, 60, shared)
    generation, _none = worker.lookup("question")
    worker.keep("question", Page(generation, "e", 0.0, "text/html", b"the post"))
    assert worker.lookup("question") == (generation, worker.lookup("question")[1]) and generation
    sibling.bump()
    current, page = worker.lookup("question")
    assert current != generation and page is not None and page.generation != current  # a miss: rendered afresh


# --- invalidation: each change a visitor could see, made through the real route or service -------------------------


def test_a_new_answer_through_the_route(visitor, login_as, thread):
    cached(visitor, thread["url"])
    member = login_as(thread["asker"])
    member.form_post(f"/questions/{thread['question'].id}/answers", {"body": "Tried it, the fan is quiet now."})
    assert "Tried it, the fan is quiet now." in fresh(visitor, thread["url"])


def test_a_new_question_reaches_the_home_board_and_tag_lists(session, visitor, thread):
    for url in ("/", "/questions", "/boards/laptops", "/questions?tag=fan"):
        cached(visitor, url)
    make_question(session, thread["helper"], thread["board"], title="Battery drains overnight", tags=("fan",))
    for url in ("/", "/questions", "/boards/laptops", "/questions?tag=fan"):
        assert "Battery drains overnight" in fresh(visitor, url), url


def test_a_kept_search_page_shows_a_new_question_once_the_index_holds_it(app, session, visitor, thread):
    from app.search import service as search

    search.drain_app(app)
    url = "/search?q=battery"  # the found word is marked: the tests look for the rest of the title
    assert "drains overnight" not in cached(visitor, url)
    make_question(session, thread["helper"], thread["board"], title="Battery drains overnight", tags=("fan",))
    visitor.get(url)  # rendered after the commit, perhaps before the index has the question: kept as it was found
    assert "drains overnight" in cached(visitor, "/boards/laptops")
    search.drain_app(app)  # the index now holds it: the kept search page is stale, the board page is not
    assert visitor.get("/boards/laptops").headers.get("X-Page-Cache") == "hit"
    assert "drains overnight" in fresh(visitor, url)
    assert "drains overnight" in cached(visitor, url)


def test_a_hidden_question_leaves_kept_search_pages_before_the_index_catches_up(app, session, visitor, thread):
    from app.search import service as search

    search.drain_app(app)
    url = "/search?q=fan"
    assert "runs loud after the update" in cached(visitor, url)
    flags.hide_post(session, thread["moderator"], "question", thread["question"].id, "Off-topic")
    session.commit()
    assert "runs loud after the update" not in fresh(visitor, url)


def test_a_search_with_an_argument_it_does_not_read_is_not_kept(visitor, thread):
    visitor.get("/search?q=fan&utm_source=mail")
    assert visitor.get("/search?q=fan&utm_source=mail").headers.get("X-Page-Cache") is None


def test_each_page_is_kept_only_with_its_own_arguments(visitor, thread):
    """Search's arguments on a question page would each keep a copy of the same page: anyone could fill the cache."""
    for url in (f"{thread['url']}?q=anything", f"{thread['url']}?page=2", "/boards/laptops?answers=date"):
        visitor.get(url)
        assert visitor.get(url).headers.get("X-Page-Cache") is None, url
    assert cached(visitor, f"{thread['url']}?answers=date")


def test_search_pages_are_kept_briefly(tmp_path):
    import time

    from app.web.page_cache import Page, page_ttl

    assert page_ttl({"PAGE_CACHE_TTL": 300, "PAGE_CACHE_SEARCH_TTL": 60}, "search.search") == 60
    assert page_ttl({"PAGE_CACHE_TTL": 300, "PAGE_CACHE_SEARCH_TTL": 60}, "forum.question") == 300
    store = MemoryStore(10, 300, tmp_path / "generation")
    generation = store.lookup("search", search=True)[0]
    store.keep("search", Page(generation, "e", 0.0, "text/html", b"found"), ttl=0.05)
    assert store.lookup("search", search=True)[1] is not None
    time.sleep(0.1)
    assert store.lookup("search", search=True)[1] is None


def test_an_edit_of_an_answer(session, visitor, thread):
    cached(visitor, thread["url"])
    forum.edit_answer(session, thread["helper"], thread["answer"].id, forum.AnswerDraft("Update the firmware first."))
    session.commit()
    assert "Update the firmware first." in fresh(visitor, thread["url"])


def test_an_edit_of_the_question_and_its_tags(session, visitor, thread):
    question = thread["question"]
    cached(visitor, thread["url"])
    cached(visitor, "/questions?tag=noise")
    draft = forum.QuestionDraft("laptops", "Fan is loud after the BIOS update", question.body_source, ("noise",))
    forum.edit_question(session, thread["asker"], question.id, draft)
    session.commit()
    fresh(visitor, thread["url"], status=301)  # the title, so the address, changed
    assert "Fan is loud after the BIOS update" in fresh(visitor, "/questions?tag=noise")


def test_a_kudo_and_its_withdrawal_through_the_route(visitor, login_as, thread):
    before = cached(visitor, thread["url"])
    member = login_as(thread["asker"])
    assert member.form_post(f"/answers/{thread['answer'].id}/kudos").status_code in (200, 302)
    after = fresh(visitor, thread["url"])
    assert after != before
    cached(visitor, thread["url"])
    member.form_post(f"/answers/{thread['answer'].id}/kudos/withdraw")
    fresh(visitor, thread["url"])


def test_an_accepted_solution(session, visitor, thread):
    before = cached(visitor, thread["url"])
    reputation.accept_answer(session, thread["asker"], thread["question"].id, thread["answer"].id)
    session.commit()
    assert fresh(visitor, thread["url"]) != before


def test_hiding_and_restoring_an_answer_through_the_route(visitor, login_as, thread):
    body = "Reset the fan curve in the firmware settings."
    assert body in cached(visitor, thread["url"])
    moderator = login_as(thread["moderator"])
    moderator.form_post(f"/mod/answers/{thread['answer'].id}/hide", {"reason": "Spam"})
    assert body not in fresh(visitor, thread["url"])
    cached(visitor, thread["url"])
    moderator.form_post(f"/mod/answers/{thread['answer'].id}/restore", {"reason": "Not spam after all"})
    assert body in fresh(visitor, thread["url"])


def test_hiding_a_question(session, visitor, thread):
    cached(visitor, "/boards/laptops")
    cached(visitor, thread["url"])
    flags.hide_post(session, thread["moderator"], "question", thread["question"].id, "Off-topic")
    session.commit()
    assert "Fan runs loud after the update" not in fresh(visitor, "/boards/laptops")
    assert "Reset the fan curve" not in visitor.get(thread["url"]).get_data(as_text=True)


def test_a_withdrawal_into_a_private_case(session, visitor, thread):
    for url in ("/", "/boards/laptops", thread["url"]):
        assert "Fan runs loud after the update" in cached(visitor, url)
    draft = escalation.EscalationDraft("billing", "high", "Taken private.", withdraw=True)
    escalation.escalate(session, thread["moderator"], thread["question"].id, draft)
    session.commit()
    for url in ("/", "/boards/laptops", thread["url"]):
        page = visitor.get(url).get_data(as_text=True)
        assert "Fan runs loud after the update" not in page and "Reset the fan curve" not in page, url


@pytest.mark.parametrize(("state", "on"), [("locked", True), ("pinned", True)])
def test_lock_and_pin(session, visitor, thread, state, on):
    before_thread, before_board = cached(visitor, thread["url"]), cached(visitor, "/boards/laptops")
    threads.set_thread_state(session, thread["moderator"], thread["question"].id, state, on, "Because")
    session.commit()
    assert (fresh(visitor, thread["url"]), fresh(visitor, "/boards/laptops")) != (before_thread, before_board)


def test_lock_through_the_route(visitor, login_as, thread):
    cached(visitor, thread["url"])
    login_as(thread["moderator"]).form_post(f"/mod/questions/{thread['question'].id}/lock", {})
    fresh(visitor, thread["url"])


def test_a_move_to_another_board(session, visitor, thread):
    make_board(session, "phones", "Phones")
    assert "Fan runs loud" in cached(visitor, "/boards/laptops")
    cached(visitor, "/boards/phones")
    threads.move_question(session, thread["moderator"], thread["question"].id, "phones", "Wrong board")
    session.commit()
    assert "Fan runs loud" not in fresh(visitor, "/boards/laptops")
    assert "Fan runs loud" in fresh(visitor, "/boards/phones")


def test_a_merge_of_a_duplicate(session, visitor, thread):
    copy = make_question(session, thread["helper"], thread["board"], title="Loud fan since the update")
    make_answer(session, thread["asker"], copy, body="Undervolting helped me with this.")
    cached(visitor, thread["url"])
    threads.close_as_duplicate(session, thread["moderator"], copy.id, thread["question"].id, "Same problem")
    threads.merge_answers(session, thread["moderator"], copy.id)
    session.commit()
    assert "Undervolting helped me with this." in fresh(visitor, thread["url"])


def test_a_board_change(session, visitor, thread):
    cached(visitor, "/")
    cached(visitor, "/boards/laptops")
    board = admin_boards.BoardDraft("laptops", "Notebooks", "Portable computers.")
    admin_boards.edit_board(session, thread["admin"], thread["board"].id, board)
    session.commit()
    assert "Notebooks" in fresh(visitor, "/")
    assert "Notebooks" in fresh(visitor, "/boards/laptops")


def test_a_savepoint_is_not_the_commit(app, visitor, thread):
    """SQLAlchemy reports a released savepoint (the admin's board edit uses one) as a commit: a new generation then,
    before the outer commit, would let a visitor's page keep the old data under it."""
    cached(visitor, "/boards/laptops")
    store = app.extensions["agora_page_cache"]
    before = store.lookup("any")[0]
    with app.app_context(), db.scope() as tx:
        board = tx.get(Board, thread["board"].id)  # the outer transaction, begun as a service's reads begin it
        with tx.begin_nested():
            board.name = "Notebooks"
        assert store.lookup("any")[0] == before  # the change is not committed yet
        tx.commit()
    assert store.lookup("any")[0] != before
    assert "Notebooks" in fresh(visitor, "/boards/laptops")


def test_a_member_renamed(session, visitor, thread):
    cached(visitor, thread["url"])
    accounts.update_profile(session, thread["helper"], accounts.ProfileUpdate("Fan Whisperer", "", "en"))
    session.commit()
    assert "Fan Whisperer" in fresh(visitor, thread["url"])


def test_a_member_suspended(session, visitor, thread):
    cached(visitor, thread["url"])
    suspensions.suspend(session, thread["moderator"], "helper", 7, "Spamming links")
    session.commit()
    fresh(visitor, thread["url"])


def test_a_member_deleted(session, visitor, thread):
    cached(visitor, thread["url"])
    with visitor.application.app_context():
        deletion.delete_account(session, thread["helper"], deletion.Confirmation(password=PASSWORD))
    session.commit()
    assert ">helper<" not in fresh(visitor, thread["url"])


def test_private_writes_leave_the_pages_kept(session, visitor, thread):
    """A read notification or a sign-in changes no visitor's page: the cache keeps its pages."""
    cached(visitor, thread["url"])
    thread["helper"].unread_notifications = 0
    thread["helper"].last_seen_at = datetime.now(UTC)
    session.commit()
    assert visitor.get(thread["url"]).headers.get("X-Page-Cache") == "hit"


def test_a_page_rendered_before_a_commit_is_never_served_after_it(app, session, visitor, thread):
    """The race: a page rendered from data older than a commit is kept under the generation read before the
    view, so the bump of that commit makes it stale even when it is stored after the bump."""
    store = app.extensions["agora_page_cache"]
    generation, _page = store.lookup("race")
    make_answer(session, thread["asker"], thread["question"], body="A late answer.")  # commits, bumps
    assert store.lookup("race")[0] != generation


@pytest.mark.skipif(not REDIS_URL, reason="Redis (TEST_REDIS_URL) on the PostgreSQL leg")
def test_a_lost_generation_never_brings_back_an_old_page(app, session, visitor, thread):
    """Redis may evict or lose the generation key; the pages kept under any earlier generation stay stale."""
    cached(visitor, thread["url"])
    store = app.extensions["agora_page_cache"]
    store.client.delete(store.generation_key)
    assert visitor.get(thread["url"]).headers.get("X-Page-Cache") is None


@pytest.mark.skipif(not REDIS_URL, reason="Redis (TEST_REDIS_URL) on the PostgreSQL leg")
def test_two_servers_share_the_pages_and_their_invalidation(app, login_as, thread):
    """With Redis, an answer posted on one server invalidates the page the other server keeps."""
    keys = ("DATABASE_URL", "SEARCH_INDEX_DIR", "ATTACHMENT_DIR", "REDIS_URL", "PAGE_CACHE_KEY")
    other = create_app({"ENV_NAME": "testing", **{key: app.config[key] for key in keys}, "PAGE_CACHE": True})
    reader = other.test_client()
    cached(reader, thread["url"])
    login_as(thread["asker"]).form_post(f"/questions/{thread['question'].id}/answers", {"body": "Posted on one."})
    assert "Posted on one." in fresh(reader, thread["url"])
    with other.app_context():
        db.engine.dispose()

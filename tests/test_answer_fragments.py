"""The cache of rendered answers on the question page: reused across readers, never stale, never another's."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest

from app.db import utcnow
from app.forum import service as forum
from app.forum.fragments import FragmentCache, freshness
from app.moderation import service as moderation
from app.reputation.kudos import give_kudo
from app.reputation.solutions import accept_answer
from tests.conftest import CSRF_PATTERN, sign_in
from tests.factories import make_answer, make_board, make_question, make_user

OLD = timedelta(days=3)  # old enough for its fragment to be cached (younger answers are rendered fresh)


@pytest.fixture
def thread(session):
    """A question by `asker` with two answers, three days old, and the people who read it."""
    board = make_board(session, "laptops", "Laptops")
    people = {name: make_user(session, name) for name in ("asker", "writer", "other", "reader", "second")}
    people["mod"] = make_user(session, "mod", role="moderator")
    question = make_question(session, people["asker"], board, title="Battery drains overnight when shut down")
    answers = [
        make_answer(session, people["writer"], question, "Turn off *fast startup* in the power settings."),
        make_answer(session, people["other"], question, "A BIOS update fixed it for me."),
    ]
    for post in (question, *answers):
        post.created_at = utcnow() - OLD
    session.commit()
    return question, answers, people


def page_of(app, user, question) -> str:
    """The question page as `user` sees it, on a client of their own."""
    client = sign_in(app.test_client(), user)
    response = client.get(f"/questions/{question.id}/{question.slug}")
    assert response.status_code == 200
    return response.get_data(as_text=True)


def article(page: str, answer_id: int) -> str:
    match = re.search(rf'<article class="post answer[^"]*" id="answer-{answer_id}".*?</article>', page, re.S)
    assert match, f"answer {answer_id} not on the page"
    return match.group(0)


def cache(app) -> FragmentCache:
    return app.extensions["agora_fragments"]


def test_a_second_reader_with_the_same_rights_gets_the_cached_answers(app, thread):
    question, answers, people = thread
    first = page_of(app, people["reader"], question)
    assert cache(app).misses >= 2 and len(cache(app)) >= 2
    hits = cache(app).hits
    second = page_of(app, people["second"], question)
    assert cache(app).hits >= hits + 2
    # The same HTML, but each reader's own CSRF token in their forms.
    tokens = [set(CSRF_PATTERN.findall(article(page, answers[0].id))) for page in (first, second)]
    assert len(tokens[0]) == 1 and len(tokens[1]) == 1 and tokens[0] != tokens[1]
    assert "\x00" not in second


def test_metrics_count_the_caches_hits_and_misses(app, thread):
    question, _answers, people = thread
    for reader in (people["reader"], people["second"]):
        page_of(app, reader, question)
    metrics = app.test_client().get("/metrics").get_data(as_text=True)  # the test client comes from loopback
    counted = {
        result: float(line.split()[-1])
        for line in metrics.splitlines()
        for result in ("hit", "miss")
        if line.startswith(f'agora_fragment_cache_lookups_total{{result="{result}"}}')
    }
    assert counted["hit"] >= 2 and counted["miss"] >= 2, counted


def test_an_edit_shows_at_once(app, session, thread):
    question, answers, people = thread
    assert "fast startup" in article(page_of(app, people["reader"], question), answers[0].id)
    forum.edit_answer(session, people["writer"], answers[0].id, forum.AnswerDraft("Replace the CMOS battery."))
    session.commit()
    shown = article(page_of(app, people["reader"], question), answers[0].id)
    assert "CMOS battery" in shown and "fast startup" not in shown
    assert "edited" in shown


def test_a_kudo_changes_the_count_for_everyone(app, session, thread):
    question, answers, people = thread
    assert '<span class="kudo-count">0</span>' in article(page_of(app, people["reader"], question), answers[1].id)
    give_kudo(session, people["second"], "answer", answers[1].id)
    session.commit()
    shown = article(page_of(app, people["reader"], question), answers[1].id)
    assert '<span class="kudo-count">1</span>' in shown and 'aria-pressed="false"' in shown
    # The giver sees their kudo as given (the reader's part of the fragment).
    assert 'aria-pressed="true"' in article(page_of(app, people["second"], question), answers[1].id)


def test_accepting_marks_the_solution_and_drops_the_buttons(app, session, thread):
    question, answers, people = thread
    before = article(page_of(app, people["asker"], question), answers[1].id)
    assert "Mark as solution" in before and "solution-mark" not in before
    accept_answer(session, people["asker"], question.id, answers[1].id)
    session.commit()
    after = article(page_of(app, people["asker"], question), answers[1].id)
    assert "solution-mark" in after and "Mark as solution" not in after
    assert "is-solution" in article(page_of(app, people["reader"], question), answers[1].id)


def test_a_hidden_answer_leaves_the_members_page_and_shows_its_reason_to_its_author(app, session, thread):
    question, answers, people = thread
    for name in ("reader", "writer"):
        assert "Hidden from the community" not in page_of(app, people[name], question)
    moderation.hide_post(session, people["mod"], "answer", answers[0].id, "Unsafe advice")
    session.commit()
    assert f'id="answer-{answers[0].id}"' not in page_of(app, people["reader"], question)
    own = article(page_of(app, people["writer"], question), answers[0].id)
    assert "Hidden from the community" in own and "Unsafe advice" in own


def test_a_moderators_controls_are_never_served_to_a_member(app, thread):
    question, answers, people = thread
    moderator_page = page_of(app, people["mod"], question)
    assert "Hide the answer" in article(moderator_page, answers[0].id)
    member_page = page_of(app, people["reader"], question)
    for answer in answers:
        shown = article(member_page, answer.id)
        assert "Hide the answer" not in shown and "/mod/answers/" not in shown
    # Nor a member's author controls to another member.
    assert f"/answers/{answers[0].id}/edit" in article(page_of(app, people["writer"], question), answers[0].id)
    assert f"/answers/{answers[0].id}/edit" not in article(member_page, answers[0].id)


def test_each_language_has_its_own_fragment(app, session, thread):
    question, answers, people = thread
    people["second"].locale = "el"
    session.commit()
    english = article(page_of(app, people["reader"], question), answers[0].id)
    greek = article(page_of(app, people["second"], question), answers[0].id)
    assert ">Link<" in english and ">Link<" not in greek
    assert ">History<" in english and ">History<" not in greek


def test_an_authors_new_rank_shows(app, session, thread):
    question, answers, people = thread
    before = article(page_of(app, people["reader"], question), answers[0].id)
    people["writer"].points = 100_000
    people["writer"].solution_count = 500
    session.commit()
    after = article(page_of(app, people["reader"], question), answers[0].id)
    rank = re.compile(r'class="rank rank-([^"]+)"')
    assert rank.search(before).group(1) != rank.search(after).group(1)


def test_young_answers_are_rendered_fresh_and_older_ones_cached_for_a_share_of_their_unit():
    now = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
    assert freshness(now, now - timedelta(minutes=59)) is None
    assert freshness(now, now - timedelta(days=2), now - timedelta(minutes=5)) is None  # edited just now
    assert freshness(now, now - timedelta(hours=3))[0] == 300
    assert freshness(now, now - timedelta(days=3), None)[0] == 3600
    assert freshness(now, now - timedelta(days=400))[0] == 86_400
    # The slot moves on, so "3 hours ago" becomes "4 hours ago" within five minutes of being true.
    assert freshness(now, now - timedelta(hours=3)) != freshness(now + timedelta(minutes=5), now - timedelta(hours=3))


def test_the_cache_keeps_at_most_its_size_and_size_zero_keeps_nothing():
    small = FragmentCache(size=2)
    for n in range(3):
        small.put((n,), f"<p>{n}</p>")
    assert len(small) == 2 and small.get((0,)) is None and small.get((2,)) == "<p>2</p>"
    off = FragmentCache(size=0)
    off.put((1,), "x")
    assert off.get((1,)) is None

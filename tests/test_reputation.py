"""Kudos, solutions, points, ranks and badges: the rules, the refusals and the HTTP routes."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select, update

from app.accounts.models import User
from app.db import utcnow
from app.errors import Conflict, NotFound, PermissionDenied
from app.forum.models import Answer, Question
from app.reputation import rules
from app.reputation import service as reputation
from app.reputation.models import Kudo, PointEvent, UserBadge
from tests.factories import make_answer, make_board, make_question, make_user


@pytest.fixture
def thread(session):
    """An asker, a helper and a third member; a question with one answer by the helper."""
    asker, helper, other = make_user(session, "asker"), make_user(session, "helper"), make_user(session, "other")
    question = make_question(session, asker, make_board(session, "laptops"))
    answer = make_answer(session, helper, question, body="Turn off fast startup in the power settings.")
    return asker, helper, other, question, answer


def points(session, user) -> int:
    session.refresh(user)
    ledger = session.scalar(select(func.coalesce(func.sum(PointEvent.delta), 0)).where(PointEvent.user_id == user.id))
    assert user.points == ledger  # the cached total is always the ledger sum
    return user.points


def badges(session, user) -> set[str]:
    return set(session.scalars(select(UserBadge.badge).where(UserBadge.user_id == user.id)))


def test_answer_points_and_first_answer_badge(session, thread):
    asker, helper, _other, _question, _answer = thread
    assert points(session, helper) == rules.POINTS.answer_posted
    assert "first-answer" in badges(session, helper)
    assert points(session, asker) == 0


def test_no_points_for_answering_ones_own_question(session, thread):
    asker, _helper, _other, question, _answer = thread
    make_answer(session, asker, question, body="Update: I found the setting myself.")
    assert points(session, asker) == 0


def test_answer_points_are_capped_per_day(session):
    asker, helper = make_user(session), make_user(session)
    board = make_board(session)
    for n in range(rules.POINTS.answer_posted_per_day + 3):
        make_answer(session, helper, make_question(session, asker, board), body=f"Answer {n} with detail.")
    assert points(session, helper) == rules.POINTS.answer_posted * rules.POINTS.answer_posted_per_day


def test_kudo_gives_points_and_withdrawal_reverses_them(session, thread):
    _asker, helper, other, question, answer = thread
    reputation.give_kudo(session, other, "answer", answer.id)
    session.commit()
    assert points(session, helper) == rules.POINTS.answer_posted + rules.POINTS.kudo_on_answer
    session.refresh(answer)
    assert answer.kudos_count == 1
    reputation.withdraw_kudo(session, other, "answer", answer.id)
    session.commit()
    session.refresh(answer)
    assert answer.kudos_count == 0
    assert points(session, helper) == rules.POINTS.answer_posted
    reasons = list(
        session.scalars(select(PointEvent.reason).where(PointEvent.user_id == helper.id).order_by(PointEvent.id))
    )
    assert reasons == ["answer_posted", "kudo_received", "kudo_withdrawn"]  # undo adds a row, never deletes
    reputation.give_kudo(session, other, "question", question.id)
    session.commit()
    assert points(session, thread[0]) == rules.POINTS.kudo_on_question


@pytest.mark.parametrize(
    ("who", "kind", "error"),
    [
        ("helper", "answer", PermissionDenied),  # own post
        ("other", "answer-twice", Conflict),
        ("other", "missing", NotFound),
        ("other", "hidden", NotFound),
    ],
)
@pytest.mark.in_transaction
def test_bad_kudos_are_refused(session, thread, who, kind, error):
    _asker, helper, other, _question, answer = thread
    user = {"helper": helper, "other": other}[who]
    if kind == "answer-twice":
        reputation.give_kudo(session, user, "answer", answer.id)
        session.commit()
    if kind == "hidden":
        answer.is_hidden = True
        session.commit()
    target = 999_999 if kind == "missing" else answer.id
    with pytest.raises(error):
        reputation.give_kudo(session, user, "answer", target)
    session.rollback()


@pytest.mark.in_transaction
def test_withdrawing_a_kudo_never_given_is_a_conflict(session, thread):
    with pytest.raises(Conflict):
        reputation.withdraw_kudo(session, thread[2], "answer", thread[4].id)


def test_kudo_points_are_capped_per_day_and_serial_votes_earn_nothing(session, monkeypatch):
    monkeypatch.setattr(rules, "POINTS", rules.PointRules(kudo_points_per_day=25, same_pair_kudos_per_day=2))
    author, fan = make_user(session), make_user(session)
    board = make_board(session)
    answers = [make_answer(session, author, make_question(session, fan, board)) for _ in range(3)]
    for answer in answers:
        reputation.give_kudo(session, fan, "answer", answer.id)
    session.commit()
    # Two kudos from the same member earn points (10 + 10); the third is serial voting and earns none.
    kudo_points = session.scalar(
        select(func.sum(PointEvent.delta)).where(PointEvent.user_id == author.id, PointEvent.reason == "kudo_received")
    )
    assert kudo_points == 20
    fans = [make_user(session) for _ in range(3)]
    for other in fans:
        reputation.give_kudo(session, other, "answer", answers[0].id)
    session.commit()
    kudo_points = session.scalar(
        select(func.sum(PointEvent.delta)).where(PointEvent.user_id == author.id, PointEvent.reason == "kudo_received")
    )
    assert kudo_points == 25  # the daily cap
    session.refresh(answers[0])
    assert answers[0].kudos_count == 4  # every kudo still shows on the post


def test_accepting_pays_author_and_asker_and_marks_solved(session, thread):
    asker, helper, _other, question, answer = thread
    reputation.accept_answer(session, asker, question.id, answer.id)
    session.commit()
    session.refresh(question)
    session.refresh(answer)
    assert question.is_solved and answer.is_accepted and answer.accepted_by_id == asker.id
    assert points(session, helper) == rules.POINTS.answer_posted + rules.POINTS.answer_accepted
    assert points(session, asker) == rules.POINTS.solution_marked
    session.refresh(helper)
    assert helper.solution_count == 1
    assert "first-solution" in badges(session, helper)


def test_changing_the_solution_moves_the_points(session, thread):
    asker, helper, other, question, first = thread
    second = make_answer(session, other, question, body="Or update the chipset driver.")
    reputation.accept_answer(session, asker, question.id, first.id)
    reputation.accept_answer(session, asker, question.id, second.id)
    session.commit()
    assert points(session, helper) == rules.POINTS.answer_posted
    assert points(session, other) == rules.POINTS.answer_posted + rules.POINTS.answer_accepted
    assert points(session, asker) == rules.POINTS.solution_marked
    session.refresh(helper)
    session.refresh(other)
    assert (helper.solution_count, other.solution_count) == (0, 1)
    # Re-accepting the first answer later is a new acceptance with its own ledger key.
    reputation.accept_answer(session, asker, question.id, first.id)
    reputation.clear_solution(session, asker, question.id)
    session.commit()
    session.refresh(question)
    assert not question.is_solved
    assert points(session, helper) == rules.POINTS.answer_posted
    assert points(session, asker) == 0
    assert reputation.verify(session) == []


@pytest.mark.in_transaction
def test_bad_acceptances_are_refused(session, thread):
    asker, helper, other, question, answer = thread
    with pytest.raises(PermissionDenied):
        reputation.accept_answer(session, other, question.id, answer.id)  # a plain member, not the asker
    elsewhere = make_answer(session, helper, make_question(session, other, make_board(session)))
    with pytest.raises(Conflict, match="another question"):
        reputation.accept_answer(session, asker, question.id, elsewhere.id)
    with pytest.raises(NotFound):
        reputation.accept_answer(session, asker, question.id, 424242)
    with pytest.raises(Conflict, match="no solution"):
        reputation.clear_solution(session, asker, question.id)
    reputation.accept_answer(session, asker, question.id, answer.id)
    with pytest.raises(Conflict, match="already"):
        reputation.accept_answer(session, asker, question.id, answer.id)
    session.rollback()


def test_moderators_and_experts_after_a_week_may_accept(session, thread):
    _asker, _helper, other, question, answer = thread
    moderator = make_user(session, "mod", role="moderator")
    reputation.accept_answer(session, moderator, question.id, answer.id)
    reputation.clear_solution(session, moderator, question.id)
    session.commit()
    session.execute(update(User).where(User.id == other.id).values(points=1000, solution_count=10))  # an Expert
    session.commit()
    session.refresh(other)
    with pytest.raises(PermissionDenied):
        reputation.accept_answer(session, other, question.id, answer.id)  # the asker was active recently
    question.asker_active_at = utcnow() - timedelta(days=8)
    session.commit()
    reputation.accept_answer(session, other, question.id, answer.id)
    session.commit()
    session.refresh(question)
    assert question.is_solved
    # Marking a solution on someone else's question earns the marker nothing.
    assert session.scalar(select(PointEvent).where(PointEvent.user_id == other.id)) is None


def test_hiding_a_post_cancels_its_points_and_restoring_gives_them_back(session, thread):
    asker, helper, other, question, answer = thread
    reputation.give_kudo(session, other, "answer", answer.id)
    reputation.accept_answer(session, asker, question.id, answer.id)
    session.commit()
    before = points(session, helper)
    answer.is_hidden = True
    reputation.post_hidden(session, answer, other)
    session.commit()
    assert points(session, helper) == 0 and points(session, asker) == 0
    session.refresh(question)
    assert not question.is_solved  # a hidden answer can't stay the solution
    answer.is_hidden = False
    reputation.post_restored(session, answer, other)
    session.commit()
    assert points(session, helper) == before - rules.POINTS.answer_accepted  # the solution mark is not restored
    assert reputation.verify(session) == []


def test_ranks_follow_points_and_solutions():
    assert rules.rank_for(0, 0).key == "newcomer"
    assert rules.rank_for(250, 0).key == "helper"
    assert rules.rank_for(5000, 9).key == "helper"  # Expert also needs 10 solutions
    assert rules.rank_for(1000, 10).key == "expert"
    assert rules.rank_for(2500, 25).key == "superfan"
    assert rules.rank_for(10_000, 100).key == "superfan-gold"
    assert rules.next_rank(rules.RANK_BY_KEY["superfan-gold"]) is None


def test_superfan_badge_when_the_rank_is_reached(session, thread):
    _asker, helper, _other, _question, answer = thread
    session.execute(update(User).where(User.id == helper.id).values(solution_count=25))
    reputation.record(session, helper.id, 2500, "answer_accepted", "bulk:test", answer_id=answer.id)
    session.commit()
    assert "superfan" in badges(session, helper)


def test_welcomer_and_streak_badges(session):
    newcomer, veteran = make_user(session), make_user(session)
    board = make_board(session)
    first_question = make_question(session, newcomer, board)
    make_answer(session, veteran, first_question)
    assert "welcomer" in badges(session, veteran)
    # Backdate answers so the veteran answered on each of the last 7 days.
    for days_ago in range(1, 7):
        answer = make_answer(session, veteran, make_question(session, newcomer, board))
        answer.created_at = utcnow() - timedelta(days=days_ago)
    session.commit()
    make_answer(session, veteran, make_question(session, newcomer, board))
    assert "helping-streak" in badges(session, veteran)


def test_popular_answer_and_fast_responder(session, monkeypatch):
    monkeypatch.setattr(rules, "POPULAR_ANSWER_KUDOS", 3)
    monkeypatch.setattr(rules, "FAST_RESPONDER_ANSWERS", 2)
    asker, helper = make_user(session), make_user(session)
    board = make_board(session)
    answers = [make_answer(session, helper, make_question(session, asker, board)) for _ in range(2)]
    fans = [make_user(session) for _ in range(3)]
    for fan in fans:
        reputation.give_kudo(session, fan, "answer", answers[0].id)
    reputation.give_kudo(session, fans[0], "answer", answers[1].id)
    session.commit()
    assert {"popular-answer", "fast-responder"} <= badges(session, helper)


def test_verify_finds_drift_and_recompute_repairs_it(app, session, thread):
    _asker, helper, _other, _question, _answer = thread
    session.execute(update(User).where(User.id == helper.id).values(points=999, solution_count=3))
    session.commit()
    drifts = reputation.verify(session)
    assert {(d.username, d.field, d.cached, d.actual) for d in drifts} == {
        ("helper", "points", 999, rules.POINTS.answer_posted),
        ("helper", "solutions", 3, 0),
    }
    runner = app.test_cli_runner()
    result = runner.invoke(args=["points", "verify"])
    assert result.exit_code == 1 and "helper: points cached 999" in result.output
    assert runner.invoke(args=["points", "recompute"]).exit_code == 0
    result = runner.invoke(args=["points", "verify"])
    assert result.exit_code == 0 and "match" in result.output
    assert points(session, helper) == rules.POINTS.answer_posted


def test_leaderboards_by_period_exclude_staff(session):
    board = make_board(session)
    asker = make_user(session, "asker")
    old_timer, newcomer = make_user(session, "old_timer"), make_user(session, "newcomer")
    staffer = make_user(session, "staffer", role="staff")
    for author, n in ((old_timer, 3), (newcomer, 1), (staffer, 5)):
        for _ in range(n):
            make_answer(session, author, make_question(session, asker, board))
    session.execute(
        update(PointEvent).where(PointEvent.user_id == old_timer.id).values(created_at=utcnow() - timedelta(days=20))
    )
    session.commit()
    week = [(u.username, p) for u, p in reputation.top_helpers(session, "week")]
    month = [(u.username, p) for u, p in reputation.top_helpers(session, "month")]
    assert week == [("newcomer", 2)]
    assert month == [("old_timer", 6), ("newcomer", 2)]
    assert [u.username for u, _ in reputation.top_helpers(session, "all")] == ["old_timer", "newcomer"]
    with pytest.raises(NotFound):
        reputation.top_helpers(session, "decade")


# --- through HTTP -------------------------------------------------------------------------------


def test_kudo_routes_with_and_without_json(client, session, thread, login_as):
    _asker, _helper, other, question, answer = thread
    login_as(other)
    response = client.form_post(f"/answers/{answer.id}/kudos")
    assert response.status_code == 302 and response.headers["Location"].endswith(f"#answer-{answer.id}")
    response = client.form_post(f"/answers/{answer.id}/kudos", headers={"Accept": "application/json"})
    assert response.status_code == 409
    response = client.form_post(f"/answers/{answer.id}/kudos/withdraw", headers={"Accept": "application/json"})
    assert response.status_code == 200 and response.json == {"kudos": 0, "given": False}
    response = client.form_post(f"/questions/{question.id}/kudos", headers={"Accept": "application/json"})
    assert response.json == {"kudos": 1, "given": True}
    assert client.post(f"/questions/{question.id}/kudos/withdraw").status_code == 400  # no CSRF token
    assert client.form_post("/answers/31337/kudos").status_code == 404


def test_own_post_kudo_is_403_with_a_clear_message(client, session, thread, login_as):
    _asker, helper, _other, _question, answer = thread
    login_as(helper)
    response = client.form_post(f"/answers/{answer.id}/kudos")
    assert response.status_code == 403
    assert "your own post" in response.get_data(as_text=True)


def test_accept_route_and_solution_shown_first(client, session, thread, login_as):
    asker, _helper, other, question, first = thread
    second = make_answer(session, other, question, body="A later answer that turned out right.")
    login_as(other)
    assert client.form_post(f"/questions/{question.id}/solution", {"answer_id": second.id}).status_code == 403
    login_as(asker)
    response = client.form_post(f"/questions/{question.id}/solution", {"answer_id": second.id})
    assert response.status_code == 302
    page = client.get(f"/questions/{question.id}/{question.slug}").get_data(as_text=True)
    assert page.index(f'id="answer-{second.id}"') < page.index(f'id="answer-{first.id}"')
    assert "is-solution" in page and "Clear the solution" in page
    listing = client.get("/boards/laptops?filter=solved").get_data(as_text=True)
    assert question.title in listing
    assert client.form_post(f"/questions/{question.id}/solution", {"answer_id": "junk"}).status_code == 404
    assert client.form_post(f"/questions/{question.id}/solution/clear").status_code == 302


def test_profile_shows_points_rank_badges_and_history(client, session, thread):
    asker, _helper, other, question, answer = thread
    reputation.give_kudo(session, other, "answer", answer.id)
    reputation.accept_answer(session, asker, question.id, answer.id)
    session.commit()
    page = client.get("/users/helper").get_data(as_text=True)
    total = rules.POINTS.answer_posted + rules.POINTS.kudo_on_answer + rules.POINTS.answer_accepted
    assert f">{total}</a>" in page
    assert "Newcomer" in page and "Contributor" in page  # current rank and the next one
    assert "First Answer" in page and "First Solution" in page
    history = client.get("/users/helper/points").get_data(as_text=True)
    assert "Answer accepted as the solution" in history and "+15" in history


def test_leaderboard_superfans_and_badges_pages(client, session, thread):
    assert "helper" in client.get("/leaderboard?period=week").get_data(as_text=True)
    assert client.get("/leaderboard?period=decade").status_code == 404
    page = client.get("/superfans").get_data(as_text=True)
    assert "Superfan Gold" in page and "No superfans yet" in page
    page = client.get("/badges").get_data(as_text=True)
    for badge in rules.BADGES:
        assert badge.name in page
        assert badge.icon_path in page


def test_every_badge_has_an_icon_in_static():
    from pathlib import Path

    static = Path(__file__).resolve().parent.parent / "static"
    for badge in rules.BADGES:
        assert (static / badge.icon_path).is_file(), badge.key


def test_kudo_rate_limit(tmp_path, postgres_schema, monkeypatch):
    from app.db import db
    from tests.conftest import Client, make_app, sign_in

    monkeypatch.setattr(rules, "POINTS", rules.PointRules(kudos_per_minute="2 per minute"))
    app = make_app(tmp_path, postgres_schema, RATELIMIT_ENABLED=True)
    app.test_client_class = Client
    with app.app_context():
        setup = db.new_session()
        author, fan = make_user(setup), make_user(setup)
        board = make_board(setup)
        answers = [make_answer(setup, author, make_question(setup, fan, board)) for _ in range(3)]
        setup.close()
    client = app.test_client()
    sign_in(client, fan)
    statuses = [client.form_post(f"/answers/{a.id}/kudos").status_code for a in answers]
    assert statuses == [302, 302, 429]


def test_kudos_table_matches_counters(session, thread):
    _asker, _helper, other, question, answer = thread
    reputation.give_kudo(session, other, "answer", answer.id)
    session.commit()
    assert session.scalar(select(func.count()).select_from(Kudo)) == 1
    assert session.get(Answer, answer.id).kudos_count == 1
    assert session.get(Question, question.id).kudos_count == 0

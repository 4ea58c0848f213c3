"""Property test: any sequence of kudos, withdrawals, accepts, changes, clears, hides and restores keeps
every cached total equal to its ledger sum, never drives a total below zero, and keeps counters true."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from app.accounts.models import User
from app.db import Base, db
from app.errors import DomainError
from app.forum.models import Answer, Question
from app.reputation import rules
from app.reputation import service as reputation
from app.reputation.models import Kudo
from tests.factories import make_answer, make_board, make_question, make_user

MEMBERS = 4
QUESTIONS = 2
ANSWERS = 4  # answers[i] is on questions[i % 2], written by members[(i + 1) % 4]

operation = st.one_of(
    st.tuples(st.just("kudo"), st.integers(0, MEMBERS - 1), st.integers(0, QUESTIONS + ANSWERS - 1)),
    st.tuples(st.just("withdraw"), st.integers(0, MEMBERS - 1), st.integers(0, QUESTIONS + ANSWERS - 1)),
    st.tuples(st.just("accept"), st.integers(0, MEMBERS), st.integers(0, ANSWERS - 1)),
    st.tuples(st.just("clear"), st.integers(0, MEMBERS), st.integers(0, QUESTIONS - 1)),
    st.tuples(st.just("hide"), st.just(MEMBERS), st.integers(0, QUESTIONS + ANSWERS - 1)),
    st.tuples(st.just("restore"), st.just(MEMBERS), st.integers(0, QUESTIONS + ANSWERS - 1)),
)


def _wipe(session) -> None:
    for table in reversed(Base.metadata.sorted_tables):
        session.execute(table.delete())
    session.commit()


def _apply(session, op: str, actor: User, post) -> None:
    kind = "answer" if isinstance(post, Answer) else "question"
    if op == "kudo":
        reputation.give_kudo(session, actor, kind, post.id)
    elif op == "withdraw":
        reputation.withdraw_kudo(session, actor, kind, post.id)
    elif op == "accept":
        reputation.accept_answer(session, actor, post.question_id, post.id)
    elif op == "clear":
        reputation.clear_solution(session, actor, post.id)
    elif op == "hide" and not post.is_hidden:
        post.is_hidden = True
        reputation.post_hidden(session, post, actor)
    elif op == "restore" and post.is_hidden:
        post.is_hidden = False
        reputation.post_restored(session, post, actor)


def _expected_points(session) -> dict[int, int]:
    """What every member should have, computed from the current state alone, not from the ledger.
    (The world is too small to reach the daily caps.)"""
    expected: dict[int, int] = {user_id: 0 for user_id in session.scalars(select(User.id))}
    questions = {q.id: q for q in session.scalars(select(Question))}
    answers = {a.id: a for a in session.scalars(select(Answer))}
    for answer in answers.values():
        asker = questions[answer.question_id].author_id
        if answer.is_hidden or answer.author_id == asker:
            continue
        expected[answer.author_id] += rules.POINTS.answer_posted
        if answer.is_accepted:
            expected[answer.author_id] += rules.POINTS.answer_accepted
            if answer.accepted_by_id == asker:
                expected[asker] += rules.POINTS.solution_marked
    for kudo in session.scalars(select(Kudo)):
        post = answers[kudo.answer_id] if kudo.answer_id else questions[kudo.question_id]
        if not post.is_hidden:
            value = rules.POINTS.kudo_on_answer if kudo.answer_id else rules.POINTS.kudo_on_question
            expected[kudo.receiver_id] += value
    return expected


def _check_invariants(session) -> None:
    assert reputation.verify(session) == []
    assert dict(session.execute(select(User.id, User.points)).all()) == _expected_points(session)
    assert session.scalar(select(func.min(User.points))) >= 0
    for model, column in ((Question, Kudo.question_id), (Answer, Kudo.answer_id)):
        counted = dict(session.execute(select(column, func.count()).where(column.is_not(None)).group_by(column)).all())
        for post_id, kudos_count in session.execute(select(model.id, model.kudos_count)):
            assert kudos_count == counted.get(post_id, 0)
    for question in session.scalars(select(Question)):
        accepted = session.scalar(
            select(func.count()).where(Answer.question_id == question.id, Answer.is_accepted.is_(True))
        )
        assert accepted <= 1 and question.is_solved == (accepted == 1)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(operations=st.lists(operation, min_size=1, max_size=25))
def test_ledger_invariants_hold_for_any_sequence(app, operations) -> None:
    with app.app_context():
        session = db.new_session()
    try:
        _wipe(session)
        members = [make_user(session, f"member{i}") for i in range(MEMBERS)]
        moderator = make_user(session, "moderator", role="moderator")
        board = make_board(session, "board")
        questions = [make_question(session, members[i], board) for i in range(QUESTIONS)]
        answers = [
            make_answer(session, members[(i + 1) % MEMBERS], questions[i % QUESTIONS], body=f"Answer {i} body text")
            for i in range(ANSWERS)
        ]
        actors = [*members, moderator]
        for op, actor_index, target in operations:
            if op in ("kudo", "withdraw", "hide", "restore"):
                post = [*questions, *answers][target]
            else:
                post = answers[target] if op == "accept" else questions[target]
            try:
                _apply(session, op, actors[actor_index], post)
                session.commit()
            except DomainError:
                session.rollback()
            for obj in (*questions, *answers):
                session.refresh(obj)
            _check_invariants(session)
    finally:
        session.close()

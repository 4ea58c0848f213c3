"""The command-line tasks: create-admin, set-role, seed-demo, and their commits through db.commit()."""

from __future__ import annotations

import re
from datetime import timedelta

from sqlalchemy import func, select

from app.accounts.models import User
from app.demo import archive
from app.demo.archive_data import REGULARS, UNANSWERED
from app.demo.data import QUESTIONS, USERS
from app.forum.models import Answer, Board, Question
from app.reputation import rules
from app.reputation import service as reputation
from app.reputation.models import PointEvent
from app.reputation.rules import POINTS
from app.search.models import SearchOutbox
from tests.factories import make_user


def test_create_admin(app, session):
    result = app.test_cli_runner().invoke(
        args=["create-admin", "--username", "root_admin", "--email", "root@example.com"],
        input="a long admin password\na long admin password\n",
    )
    assert result.exit_code == 0, result.output
    user = session.scalar(select(User).where(User.username == "root_admin"))
    assert user.role == "admin" and user.password_hash.startswith("$argon2id$")


def test_create_admin_refuses_a_weak_password(app, session):
    result = app.test_cli_runner().invoke(
        args=["create-admin", "--username", "root_admin", "--email", "root@example.com"], input="short\nshort\n"
    )
    assert result.exit_code != 0 and "password" in result.output
    assert session.scalar(select(func.count()).select_from(User)) == 0


def test_set_role(app, session):
    user = make_user(session, "mia")
    result = app.test_cli_runner().invoke(args=["set-role", "MIA", "moderator"])
    assert result.exit_code == 0, result.output
    session.refresh(user)
    assert user.role == "moderator"
    assert app.test_cli_runner().invoke(args=["set-role", "ghost", "staff"]).exit_code != 0
    assert app.test_cli_runner().invoke(args=["set-role", "mia", "emperor"]).exit_code != 0


def test_seed_demo_loads_once_prints_logins_and_commits_through_the_after_commit_hooks(app, session):
    seen: list[dict] = []
    app.extensions["agora_after_commit"].append(seen.append)  # runs after the search hook
    runner = app.test_cli_runner()
    first = runner.invoke(args=["seed-demo", "--if-empty"])
    assert first.exit_code == 0, first.output
    assert "Demo logins" in first.output and "alex_admin" in first.output
    counts = {
        model: session.scalar(select(func.count()).select_from(model)) for model in (Board, User, Question, Answer)
    }
    answers = int(re.search(r"(\d+) answers", first.output).group(1))
    assert counts == {
        Board: 4,
        User: len(USERS) + len(REGULARS),
        Question: len(QUESTIONS) + len(archive.threads()) + len(UNANSWERED),
        Answer: answers,
    }
    assert answers > sum(len(q["answers"]) for q in QUESTIONS) + len(archive.threads())
    second = runner.invoke(args=["seed-demo", "--if-empty"])
    assert "already present" in second.output
    assert session.scalar(select(func.count()).select_from(Question)) == counts[Question]
    roles = set(session.scalars(select(User.role)))
    assert roles == {"member", "moderator", "staff", "admin"}
    assert seen and seen[0].get("search_dirty")  # the command committed through db.commit(session)
    assert session.scalar(select(func.count()).select_from(SearchOutbox)) == 0  # so the hook drained it
    search_status = runner.invoke(args=["search", "status"]).output
    assert "pending outbox:    0" in search_status and "The index is behind" not in search_status


def test_the_demo_community_looks_real(app, session, client):
    """Issue 14: members at every rank up to Superfan Gold, earned through the real services (the ledger agrees
    with every cached total), activity over months, some questions unanswered, posts in the demo languages."""
    app.test_cli_runner().invoke(args=["seed-demo"])
    members = session.execute(
        select(User.username, User.points, User.solution_count).where(User.role == "member")
    ).all()
    by_rank: dict[str, list[str]] = {}
    for username, points, solutions in members:
        by_rank.setdefault(rules.rank_for(points, solutions).key, []).append(username)
    assert set(by_rank) == {rank.key for rank in rules.RANKS}, by_rank
    assert by_rank["superfan-gold"] == ["giorgos_p"]
    assert reputation.verify(session) == []  # cached totals == the ledger: every point went through it
    top = session.scalar(select(User).where(User.username == "giorgos_p"))
    assert {"solution-machine", "superfan"} <= {badge.key for badge, _at in reputation.badges_of(session, top)}
    # No day earned more than the daily caps allow: the history was dated back as it was written.
    daily = session.execute(
        select(func.sum(PointEvent.delta))
        .where(PointEvent.user_id == top.id, PointEvent.reason == "kudo_received")
        .group_by(func.date(PointEvent.created_at))
    ).scalars()
    assert max(daily) <= POINTS.kudo_points_per_day
    asked = list(session.scalars(select(Question.created_at)))  # (test_reading's month test folded in here)
    assert max(asked) - min(asked) > timedelta(days=150)
    active = list(session.scalars(select(Question.last_activity_at)))
    assert max(active) - min(active) > timedelta(days=150)
    titles = " ".join(session.scalars(select(Question.title)))
    for language, letters in {"Greek": "άέήίόύώ", "Polish": "ąćęłńóśźż", "Albanian": "ëç", "Hebrew": "אבגדהוש"}.items():
        assert any(letter in titles for letter in letters), language
    unanswered = session.scalar(select(func.count()).select_from(Question).where(Question.answer_count == 0))
    assert 3 <= unanswered < len(asked) // 10  # helpers find work waiting
    assert client.get("/").status_code == 200
    assert "Giorgos Pappas" in client.get("/superfans").get_data(as_text=True)

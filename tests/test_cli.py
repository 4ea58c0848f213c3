"""The command-line tasks: create-admin, set-role, seed-demo, and their commits through db.commit()."""

from __future__ import annotations

from sqlalchemy import func, select

from app.accounts.models import User
from app.demo.data import QUESTIONS, USERS
from app.forum.models import Answer, Board, Question
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


def test_seed_demo_loads_once_and_prints_logins(app, session):
    runner = app.test_cli_runner()
    first = runner.invoke(args=["seed-demo", "--if-empty"])
    assert first.exit_code == 0, first.output
    assert "Demo logins" in first.output and "alex_admin" in first.output
    counts = {
        model: session.scalar(select(func.count()).select_from(model)) for model in (Board, User, Question, Answer)
    }
    assert counts == {
        Board: 4,
        User: len(USERS),
        Question: len(QUESTIONS),
        Answer: sum(len(q["answers"]) for q in QUESTIONS),
    }
    second = runner.invoke(args=["seed-demo", "--if-empty"])
    assert "already present" in second.output
    assert session.scalar(select(func.count()).select_from(Question)) == len(QUESTIONS)
    roles = set(session.scalars(select(User.role)))
    assert roles == {"member", "moderator", "staff", "admin"}


def test_demo_content_covers_the_demo_languages(app, session, client):
    app.test_cli_runner().invoke(args=["seed-demo"])
    titles = " ".join(session.scalars(select(Question.title)))
    for language, letters in {"Greek": "άέήίόύώ", "Polish": "ąćęłńóśźż", "Albanian": "ëç", "Hebrew": "אבגדהוש"}.items():
        assert any(letter in titles for letter in letters), language
    unanswered = session.scalar(select(func.count()).select_from(Question).where(Question.answer_count == 0))
    assert 0 < unanswered < len(QUESTIONS)
    assert client.get("/").status_code == 200


def test_seed_demo_commits_through_the_after_commit_hooks(app, session):
    seen: list[dict] = []
    app.extensions["agora_after_commit"].append(seen.append)  # runs after the search hook
    result = app.test_cli_runner().invoke(args=["seed-demo"])
    assert result.exit_code == 0, result.output
    assert seen and seen[0].get("search_dirty")  # the command committed through db.commit(session)
    assert session.scalar(select(func.count()).select_from(SearchOutbox)) == 0  # so the hook drained it
    search_status = app.test_cli_runner().invoke(args=["search", "status"]).output
    assert "pending outbox:    0" in search_status and "The index is behind" not in search_status

"""The Alembic migrations build exactly the models' schema, and downgrade cleanly to nothing."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.migration import MigrationContext
from sqlalchemy import create_engine, inspect, text
from sqlalchemy.engine import make_url

from app.db import Base, make_engine
from app.models import import_all_models
from tests.conftest import POSTGRES_URL

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def empty_database(tmp_path: Path) -> Iterator[str]:
    """An empty database of the kind under test: a new SQLite file, or a new PostgreSQL database."""
    if not POSTGRES_URL:
        yield f"sqlite:///{tmp_path / 'migrations.db'}"
        return
    # Named after the test database: several checkouts testing on one server at once each get their own (a
    # fixed name let one run drop the database another was migrating).
    name = f"{make_url(POSTGRES_URL).database}_migrations"
    admin = create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
        conn.execute(text(f"CREATE DATABASE {name}"))
    yield make_url(POSTGRES_URL).set(database=name).render_as_string(hide_password=False)
    with admin.connect() as conn:
        conn.execute(text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
    admin.dispose()


def alembic_config(url: str) -> Config:
    config = Config(str(ROOT / "alembic.ini"))
    config.attributes["database_url"] = url
    config.attributes["skip_logging"] = True
    return config


def test_upgrade_head_gives_the_models_schema_and_downgrade_removes_it(empty_database: str) -> None:
    import_all_models()
    config = alembic_config(empty_database)
    command.upgrade(config, "head")

    engine = make_engine(empty_database)
    with engine.connect() as conn:
        differences = compare_metadata(
            MigrationContext.configure(conn, opts={"compare_type": True, "compare_server_default": True}),
            Base.metadata,
        )
        tables = set(inspect(conn).get_table_names())
    assert differences == [], differences
    assert set(Base.metadata.tables) <= tables

    command.downgrade(config, "base")
    with engine.connect() as conn:
        assert set(inspect(conn).get_table_names()) <= {"alembic_version"}
    command.upgrade(config, "head")  # and it goes up again from there
    engine.dispose()


def test_alembic_check_finds_nothing_to_generate(empty_database: str) -> None:
    config = alembic_config(empty_database)
    command.upgrade(config, "head")
    command.check(config)  # raises if the models and the migrations disagree


def test_upgrading_keeps_existing_rows(empty_database: str) -> None:
    """Batch migrations rebuild SQLite tables; no row may be lost on the way (ON DELETE CASCADE once ate
    every answer when a parent table was rebuilt with foreign keys on)."""
    config = alembic_config(empty_database)
    command.upgrade(config, "0001")
    engine = make_engine(empty_database)
    now = "2026-01-02 03:04:05"
    with engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO users (id, username, username_key, email, password_hash, display_name, bio, locale, role, "
                "points, created_at) VALUES "
                f"(1, 'Ann', 'ann', 'ann@example.com', 'x', '', '', 'en', 'member', 0, '{now}')"
            )
        )
        conn.execute(
            text(
                "INSERT INTO boards (id, slug, name, description, position, question_count, created_at) "
                f"VALUES (7, 'laptops', 'Laptops', '', 1, 1, '{now}')"
            )
        )
        conn.execute(
            text(
                "INSERT INTO questions (id, board_id, author_id, title, slug, body_source, body_html, render_version, "
                "is_solved, answer_count, kudos_count, view_count, created_at, last_activity_at) VALUES "
                f"(3, 7, 1, 'A title here', 'a-title-here', 'b', '<p>b</p>', 1, false, 1, 0, 0, '{now}', '{now}')"
            )
        )
        conn.execute(
            text(
                "INSERT INTO answers (id, question_id, author_id, body_source, body_html, render_version, is_staff, "
                f"kudos_count, created_at) VALUES (5, 3, 1, 'a', '<p>a</p>', 1, false, 0, '{now}')"
            )
        )
        conn.execute(
            text(
                "INSERT INTO revisions (question_id, answer_id, number, editor_id, body_source, created_at) "
                f"VALUES (3, NULL, 1, 1, 'b', '{now}'), (NULL, 5, 1, 1, 'a', '{now}')"
            )
        )
        conn.execute(text("INSERT INTO tags (id, name) VALUES (9, 'battery')"))
        conn.execute(text("INSERT INTO question_tags (question_id, tag_id) VALUES (3, 9)"))
    engine.dispose()

    command.upgrade(config, "head")
    engine = make_engine(empty_database)
    with engine.connect() as conn:
        counts = {
            t: conn.execute(text(f"SELECT count(*) FROM {t}")).scalar()
            for t in ("users", "boards", "questions", "answers", "revisions", "tags", "question_tags")
        }
        copied = conn.execute(text("SELECT board_id, last_activity_at FROM question_tags")).one()
    engine.dispose()
    assert counts == {
        "users": 1,
        "boards": 1,
        "questions": 1,
        "answers": 1,
        "revisions": 2,
        "tags": 1,
        "question_tags": 1,
    }
    assert copied[0] == 7 and copied[1] is not None

"""Fixtures: an app with its own database (a temporary SQLite file, or the PostgreSQL server in
TEST_DATABASE_URL, emptied between tests), a session, a CSRF-aware client and sign-in. Rate limits
count in memory, or in Redis (TEST_REDIS_URL, db 3 by default) on the PostgreSQL leg."""

from __future__ import annotations

import os
import re
import sys
import traceback
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import create_engine, text
from sqlalchemy.orm import Session

from app import create_app
from app.accounts import sessions
from app.accounts.models import User
from app.db import Base, db
from app.models import import_all_models

POSTGRES_URL = os.environ.get("TEST_DATABASE_URL")
# The PostgreSQL leg stands for production with several workers, so its rate limits count in Redis.
REDIS_URL = os.environ.get("TEST_REDIS_URL") or ("redis://127.0.0.1:6379/3" if POSTGRES_URL else None)
OUTPUT_DIR = Path(__file__).resolve().parent.parent / "test-output"

if sys.version_info < (3, 13):
    # Before 3.13 CPython keeps ast.parse's recursion counter per interpreter, not per thread, so two threads
    # parsing at once can fail with "SystemError: AST constructor recursion depth mismatch"
    # (python/cpython#106905). Every test builds an app, and Werkzeug parses each URL rule; a background thread
    # of an earlier test that logs an exception parses too, for the ^^^ marks under the failing expression.
    # The suite does without those marks rather than fail at random.
    traceback._extract_caret_anchors_from_line_segment = lambda segment: None


def pytest_sessionstart(session: pytest.Session) -> None:
    """Compile the translation catalogues (never committed), as `make test` does, so that a lone `pytest`
    serves translated pages too."""
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po

    for po in (Path(__file__).resolve().parent.parent / "app" / "translations").glob("*/LC_MESSAGES/messages.po"):
        mo = po.with_suffix(".mo")
        if not mo.exists() or mo.stat().st_mtime < po.stat().st_mtime:
            with po.open("rb") as source, mo.open("wb") as target:
                write_mo(target, read_po(source, locale=po.parent.parent.name))


def pytest_report_header() -> str:
    return f"database: {POSTGRES_URL or 'SQLite (a temporary file per test)'}"


@pytest.fixture(scope="session")
def postgres_schema() -> Iterator[str | None]:
    """On PostgreSQL, build the schema once for the run; tests then only empty the tables."""
    if not POSTGRES_URL:
        yield None
        return
    import_all_models()
    engine = create_engine(POSTGRES_URL)
    with engine.begin() as conn:
        conn.execute(text("DROP SCHEMA public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    Base.metadata.create_all(engine)
    engine.dispose()
    yield POSTGRES_URL


def _empty_postgres(url: str) -> None:
    engine = create_engine(url)
    tables = ", ".join(f'"{t.name}"' for t in Base.metadata.sorted_tables)
    with engine.begin() as conn:
        conn.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
    engine.dispose()


def rate_limit_storage() -> dict[str, object]:
    """Redis, under a key prefix of this app's own so no other test's counts leak in; else memory."""
    if not REDIS_URL:
        return {}
    return {
        "RATELIMIT_STORAGE_URI": REDIS_URL,
        "RATELIMIT_STORAGE_OPTIONS": {"key_prefix": f"agora-test-{uuid.uuid4().hex}"},
    }


def make_app(tmp_path: Path, postgres_url: str | None, **overrides: object) -> Flask:
    url = postgres_url or f"sqlite:///{tmp_path / 'agora.db'}"
    if overrides.get("RATELIMIT_ENABLED"):
        overrides = {**rate_limit_storage(), **overrides}
    config = {
        "ENV_NAME": "testing",
        "DATABASE_URL": url,
        "SEARCH_INDEX_DIR": str(tmp_path / "search-index"),
        "ATTACHMENT_DIR": str(tmp_path / "attachments"),
        **overrides,
    }
    app = create_app(config)
    with app.app_context():
        if postgres_url:
            _empty_postgres(postgres_url)
        else:
            import_all_models()
            Base.metadata.create_all(db.engine)
    return app


@pytest.fixture
def app(tmp_path: Path, postgres_schema: str | None) -> Iterator[Flask]:
    app = make_app(tmp_path, postgres_schema)
    yield app
    with app.app_context():
        db.engine.dispose()


@pytest.fixture
def session(app: Flask, request: pytest.FixtureRequest) -> Iterator[Session]:
    """A session for arranging and checking data, in autocommit mode: it never holds a lock or an old
    snapshot between the test's requests, so every read sees what the app committed.

    A test marked `in_transaction` (service tests that make no requests) gets `tx_session` instead."""
    if request.node.get_closest_marker("in_transaction"):
        yield request.getfixturevalue("tx_session")
        return
    # No app context stays pushed: requests made during the test must each get their own, as in production.
    with app.app_context():
        engine = db.engine
    session = Session(
        bind=engine.execution_options(isolation_level="AUTOCOMMIT"), expire_on_commit=False, info={"app": app}
    )
    yield session
    session.close()


@pytest.fixture
def tx_session(app: Flask) -> Iterator[Session]:
    """A session inside one transaction that is rolled back when the test ends. Its commit() releases a
    savepoint and its rollback() undoes the work since the last one, as at the edge: so a service that
    wrote and then refused leaves nothing once the test rolls back (in autocommit, rollback() does nothing).
    Other connections never see its work: use it for tests that make no requests."""
    with app.app_context():
        engine = db.engine
    connection = engine.connect()
    transaction = connection.begin()
    session = Session(
        bind=connection, join_transaction_mode="create_savepoint", expire_on_commit=False, info={"app": app}
    )
    yield session
    session.close()
    transaction.rollback()
    connection.close()


CSRF_PATTERN = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


class Client(FlaskClient):
    """The test client, plus `csrf()` (a valid token for this client's session) and `form_post()`."""

    def csrf(self) -> str:
        response = self.get("/register" if not self._signed_in() else "/settings/profile")
        match = CSRF_PATTERN.search(response.get_data(as_text=True))
        assert match, "no CSRF token on the page"
        return match.group(1)

    def _signed_in(self) -> bool:
        with self.session_transaction() as sess:
            return "_user_id" in sess

    def form_post(self, url: str, data: dict | None = None, **kwargs):
        data = dict(data or {})
        data.setdefault("csrf_token", self.csrf())
        return self.post(url, data=data, **kwargs)


@pytest.fixture
def client(app: Flask) -> Client:
    app.test_client_class = Client
    return app.test_client()  # type: ignore[return-value]


def sign_in(client: FlaskClient, user: User) -> FlaskClient:
    """Sign `user` in on `client`: a new sign-in session, and what Flask-Login stores after a real sign-in."""
    with client.application.app_context(), db.scope() as setup:
        member = setup.get(User, user.id)
        sessions.start(setup, member, "pytest")
        setup.commit()
    with client.session_transaction() as sess:
        sess["_user_id"] = member.get_id()
        sess["_fresh"] = True
    return client


@pytest.fixture
def login_as(client: Client):
    """Sign `user` in on the test client."""

    def login(user: User) -> Client:
        return sign_in(client, user)  # type: ignore[return-value]

    return login


@pytest.fixture(scope="session")
def output_dir() -> Path:
    OUTPUT_DIR.mkdir(exist_ok=True)
    return OUTPUT_DIR


# --- search: the behaviour tests run on every backend available (Whoosh always, PostgreSQL on its leg) ---

SEARCH_BACKENDS = [
    "whoosh",
    pytest.param("postgres", marks=pytest.mark.skipif(not POSTGRES_URL, reason="PostgreSQL leg")),
]


@pytest.fixture(params=SEARCH_BACKENDS)
def search_app(request, tmp_path: Path, postgres_schema: str | None) -> Iterator[Flask]:
    app = make_app(tmp_path, postgres_schema, SEARCH_BACKEND=request.param)
    app.test_client_class = Client
    yield app
    with app.app_context():
        db.engine.dispose()
    engine = getattr(app.extensions["agora_search"], "engine", None)
    if engine is not None:
        engine.dispose()


@pytest.fixture
def s(search_app: Flask) -> Iterator[Session]:
    """Autocommit, like conftest's `session`: it must never hold a lock the indexer's writer waits for."""
    with search_app.app_context():
        engine = db.engine
    session = Session(bind=engine.execution_options(isolation_level="AUTOCOMMIT"), expire_on_commit=False)
    yield session
    session.close()

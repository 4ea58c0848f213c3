"""The database: engine, one session per request, SQLite pragmas and IMMEDIATE write transactions, Base."""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import wraps
from typing import Any

from flask import Flask, current_app, g, has_request_context, request
from sqlalchemy import DateTime, Engine, MetaData, create_engine, event
from sqlalchemy.engine import Connection
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker
from sqlalchemy.pool import StaticPool
from sqlalchemy.types import TypeDecorator

log = logging.getLogger(__name__)

# PostgreSQL's deadlock_detected and serialization_failure: the transaction lost a race and may simply run again.
RETRYABLE_SQLSTATES = frozenset({"40P01", "40001"})
ATTEMPTS = 3

# Named constraints, so Alembic's batch mode can alter them on SQLite.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """A timezone-aware UTC datetime on every backend (SQLite hands back naive values)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given; use timezone-aware UTC datetimes")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def make_engine(url: str, echo: bool = False) -> Engine:
    """An engine for `url`; on SQLite, with WAL, foreign keys, a busy timeout and explicit BEGINs."""
    if not url.startswith("sqlite"):
        return create_engine(url, echo=echo, pool_pre_ping=True)
    kwargs: dict[str, Any] = {"connect_args": {"check_same_thread": False, "timeout": 15}}
    if url in ("sqlite://", "sqlite:///:memory:"):
        kwargs["poolclass"] = StaticPool  # one shared in-memory database
    engine = create_engine(url, echo=echo, **kwargs)

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy, not pysqlite, decide when a transaction begins (see _on_begin).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=15000")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        # A deferred transaction that reads and then writes fails at once with "database is
        # locked" when another writer got in between, whatever the busy timeout; a write
        # transaction therefore takes the write lock up front.
        options = conn.get_execution_options()
        if options.get("isolation_level") == "AUTOCOMMIT":
            return  # each statement is its own transaction
        conn.exec_driver_sql(f"BEGIN {options.get('sqlite_begin', 'DEFERRED')}")

    return engine


class Database:
    """Holds each app's engine and hands each request (or CLI command) its own session."""

    def init_app(self, app: Flask) -> None:
        engine = make_engine(app.config["DATABASE_URL"], echo=app.config.get("SQL_ECHO", False))
        write_bind = engine.execution_options(sqlite_begin="IMMEDIATE")
        app.extensions["agora_db"] = _Bound(
            engine=engine,
            reader=sessionmaker(bind=engine, expire_on_commit=False),
            writer=sessionmaker(bind=write_bind, expire_on_commit=False),
        )
        app.teardown_appcontext(self._close_session)

    @staticmethod
    def _bound() -> _Bound:
        return current_app.extensions["agora_db"]

    @property
    def engine(self) -> Engine:
        return self._bound().engine

    def new_session(self, write: bool = True) -> Session:
        """A session outside a request (CLI, tests); the caller closes it."""
        bound = self._bound()
        return (bound.writer if write else bound.reader)()

    @contextmanager
    def scope(self, write: bool = True) -> Iterator[Session]:
        """A session outside a request (CLI, after-commit work), closed when the block ends."""
        session = self.new_session(write=write)
        try:
            yield session
        finally:
            session.close()

    def session(self, write: bool | None = None) -> Session:
        """The current request's session: read transactions for GET, write transactions otherwise. A GET that
        must write (the way back from the company's sign-in provider) asks for `write=True` before anything else
        opened the request's session."""
        if "db_session" not in g:
            if write is None:
                write = not has_request_context() or request.method not in ("GET", "HEAD", "OPTIONS")
            g.db_session = self.new_session(write=write)
        return g.db_session

    def commit(self, session: Session | None = None) -> None:
        """Commit the request's work (or a CLI command's `scope()` session), then run the after-commit hooks
        (search outbox, mail) with the flags that work set: one path for every write, whatever its edge."""
        session = session if session is not None else self.session()
        flags = dict(session.info)
        session.commit()
        session.info.clear()
        for hook in current_app.extensions.get("agora_after_commit", []):
            hook(flags)

    def retrying(self, view: Callable[..., Any]) -> Callable[..., Any]:
        """Run a writing view again (up to ATTEMPTS times) when the database broke its transaction off as a
        deadlock or serialization failure: nothing of the failed attempt was committed, so running the whole
        view again is safe, and the member gets their answer instead of a 500."""

        @wraps(view)
        def run(*args: Any, **kwargs: Any) -> Any:
            for attempt in range(1, ATTEMPTS + 1):
                try:
                    return view(*args, **kwargs)
                except DBAPIError as error:
                    if attempt == ATTEMPTS or not is_retryable(error) or request.method in ("GET", "HEAD"):
                        raise
                    log.warning("%s: %s; running it again (attempt %d)", request.endpoint, error.orig, attempt + 1)
                    self._discard()
                    time.sleep(random.uniform(0.01, 0.05) * attempt)  # noqa: S311 - jitter, not secrecy
            raise AssertionError("unreachable")

        return run

    def _discard(self) -> None:
        """Forget the request's broken session, and the member loaded through it (Flask-Login reloads them)."""
        session = g.pop("db_session", None)
        if session is not None:
            session.close()
        g.pop("_login_user", None)

    @staticmethod
    def _close_session(_exc: BaseException | None) -> None:
        session = g.pop("db_session", None)
        if session is not None:
            session.close()


def is_retryable(error: BaseException) -> bool:
    return getattr(getattr(error, "orig", None), "sqlstate", None) in RETRYABLE_SQLSTATES


@dataclass(frozen=True)
class _Bound:
    engine: Engine
    reader: sessionmaker[Session]
    writer: sessionmaker[Session]


db = Database()

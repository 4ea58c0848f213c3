"""Counting the SQL statements a block of code sends, for the fixed-query-count tests."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import Engine, event

_CONTROL = ("BEGIN", "COMMIT", "ROLLBACK", "SAVEPOINT", "RELEASE", "PRAGMA")


class QueryLog:
    def __init__(self) -> None:
        self.statements: list[str] = []

    @property
    def count(self) -> int:
        return len(self.statements)

    def __str__(self) -> str:
        return "\n".join(f"{i + 1}. {s.splitlines()[0][:160]}" for i, s in enumerate(self.statements))


@contextmanager
def count_queries(engine: Engine) -> Iterator[QueryLog]:
    """Record every statement (transaction control left out) sent through `engine` in the block."""
    log = QueryLog()

    def record(conn, cursor, statement, parameters, context, executemany) -> None:
        if not statement.lstrip().upper().startswith(_CONTROL):
            log.statements.append(statement)

    event.listen(engine, "before_cursor_execute", record)
    try:
        yield log
    finally:
        event.remove(engine, "before_cursor_execute", record)

"""Question view counts without a database write per view: views are counted in memory (one process) or in
Redis (several app servers, REDIS_URL), and added to the questions' counters in one batch now and then."""

from __future__ import annotations

import threading
import time
import uuid
from collections import Counter
from typing import Protocol

from sqlalchemy import bindparam, update
from sqlalchemy.orm import Session

from app.forum.models import Question

REDIS_KEY = "agora:question-views"


class ViewCounter(Protocol):
    def hit(self, question_id: int) -> None: ...

    def due(self) -> bool:
        """Time to add the counted views to the database (enough of them, or long enough since the last time)."""
        ...

    def take(self) -> dict[int, int]:
        """The views counted so far, by question, and forget them (each view is taken once)."""
        ...


class MemoryCounter:
    """Views counted in this process (the embedded default). A crash loses at most one batch of views, which
    a view count can afford."""

    def __init__(self, every: int = 100, seconds: float = 30.0) -> None:
        self.every, self.seconds = every, seconds
        self._counts: Counter[int] = Counter()
        self._lock = threading.Lock()
        self._since = time.monotonic()

    def hit(self, question_id: int) -> None:
        with self._lock:
            self._counts[question_id] += 1

    def due(self) -> bool:
        with self._lock:
            waiting = sum(self._counts.values())
        return waiting >= self.every or (waiting > 0 and time.monotonic() - self._since >= self.seconds)

    def take(self) -> dict[int, int]:
        with self._lock:
            counts, self._counts = dict(self._counts), Counter()
            self._since = time.monotonic()
        return counts


class RedisCounter:
    """Views counted in one Redis hash shared by every app server; taking renames it first (atomically), so a
    view counted meanwhile lands in the next batch, never in none or two."""

    def __init__(self, url: str, every: int = 100, seconds: float = 30.0, key: str = REDIS_KEY) -> None:
        import redis

        self.client = redis.Redis.from_url(url)
        self.every, self.seconds, self.key, self.total = every, seconds, key, f"{key}:waiting"
        self._since = time.monotonic()

    def hit(self, question_id: int) -> None:
        with self.client.pipeline(transaction=False) as pipe:
            pipe.hincrby(self.key, str(question_id), 1)
            pipe.incr(self.total)
            pipe.execute()

    def due(self) -> bool:
        waiting = int(self.client.get(self.total) or 0)
        return waiting >= self.every or (waiting > 0 and time.monotonic() - self._since >= self.seconds)

    def take(self) -> dict[int, int]:
        self._since = time.monotonic()
        taking = f"{self.key}:taking:{uuid.uuid4().hex}"
        self.client.set(self.total, 0)
        from redis.exceptions import ResponseError

        try:
            self.client.rename(self.key, taking)
        except ResponseError:  # "no such key": nothing was counted since the last batch
            return {}
        counts = {int(key): int(value) for key, value in self.client.hgetall(taking).items()}
        self.client.delete(taking)
        return counts


def make_counter(config: dict) -> ViewCounter:
    every, seconds = config.get("VIEW_FLUSH_EVERY", 100), config.get("VIEW_FLUSH_SECONDS", 30)
    if config.get("REDIS_URL"):
        return RedisCounter(config["REDIS_URL"], every, seconds, key=config.get("VIEW_COUNT_KEY", REDIS_KEY))
    return MemoryCounter(every, seconds)


def flush(session: Session, counter: ViewCounter) -> int:
    """Add the counted views to the questions (one UPDATE statement for the batch); returns the views added.
    The caller commits."""
    counts = counter.take()
    if not counts:
        return 0
    statement = (
        update(Question)
        .where(Question.id == bindparam("question_id"))
        .values(view_count=Question.view_count + bindparam("views"))
        .execution_options(synchronize_session=False)
    )
    session.connection().execute(
        statement, [{"question_id": question_id, "views": views} for question_id, views in sorted(counts.items())]
    )
    return sum(counts.values())

"""Where jobs go: `enqueue(name, *args)` hands a named job (app/jobs/tasks.py) to RQ when REDIS_URL is set, and
runs it here and now otherwise (the embedded default: after the commit, as before there was a queue). Callers
never know which.

RQ rather than Celery: we already run Redis, RQ needs nothing else (no broker choice, no result backend, no
beat process: its worker moves retries and delayed jobs itself), and it is small enough to read when a job
misbehaves."""

from __future__ import annotations

import logging
from typing import Any

from flask import Flask, current_app

from app.jobs.tasks import AFTER_COMMIT, TASKS

log = logging.getLogger(__name__)

EXTENSION = "agora_jobs"
# A waiting job without arguments will see every commit made before it starts, so a second one is not queued
# meanwhile. The mark lapses after this long in case its job was lost (the sweep covers that gap anyway).
COALESCE_SECONDS = 300


class InProcess:
    """No Redis: run the job now, in this process. The commit it follows is done, so a failure is logged, never
    raised: the rows wait in their outbox for the next commit or command."""

    name = "in-process"

    def enqueue(self, app: Flask, name: str, *args: Any) -> None:
        task = TASKS[name]
        try:
            (task.in_process or task.run)(app, *args)
        except Exception:
            app.logger.exception("job %s failed; its work waits in the database", name)

    def check(self) -> str:
        return self.name


class RedisQueue:
    """RQ on the Redis at REDIS_URL. The connection is made on first use, so building an app never needs Redis."""

    name = "rq"

    def __init__(self, config: dict[str, Any]) -> None:
        self.url = config["REDIS_URL"]
        self.prefix = config.get("JOBS_PREFIX") or "agora"
        self.retries = int(config.get("JOBS_RETRIES", 5))
        self.retry_seconds = int(config.get("JOBS_RETRY_SECONDS", 10))
        self.timeout = int(config.get("JOBS_TIMEOUT", 900))
        self._connection = None

    @property
    def connection(self):
        if self._connection is None:
            from redis import Redis

            self._connection = Redis.from_url(self.url, socket_timeout=5, socket_connect_timeout=5)
        return self._connection

    def queue_name(self, kind: str) -> str:
        return self.prefix if kind == "default" else f"{self.prefix}-{kind}"

    def queues(self) -> list:
        """Every queue, in the order a worker takes them: short jobs first."""
        from rq import Queue

        kinds = dict.fromkeys(task.queue for task in TASKS.values())
        return [Queue(self.queue_name(kind), connection=self.connection) for kind in sorted(kinds, key=_short_first)]

    def key(self, *parts: str) -> str:
        return ":".join((self.prefix, "jobs", *(part for part in parts if part)))

    def backoff(self) -> list[int]:
        """Seconds before each retry: JOBS_RETRY_SECONDS, then twice as long each time."""
        return [self.retry_seconds * 2**attempt for attempt in range(self.retries)]

    def enqueue(self, app: Flask, name: str, *args: Any):
        """Queue the job; returns the RQ job, or None when one is already waiting or Redis is out of reach (the
        work waits in the database for the next sweep either way)."""
        from redis.exceptions import RedisError
        from rq import Queue, Retry

        task = TASKS[name]
        try:
            if not args and not self.connection.set(self.key("waiting", name), 1, nx=True, ex=COALESCE_SECONDS):
                return None
            queue = Queue(self.queue_name(task.queue), connection=self.connection)
            return queue.enqueue(
                perform,
                name,
                *args,
                retry=Retry(max=self.retries, interval=self.backoff()) if self.retries else None,
                job_timeout=self.timeout,
                description=name,
            )
        except RedisError as error:
            log.warning("job queue unreachable, %s waits for the sweep: %s", name, error)
            return None

    def check(self) -> str:
        try:
            self.connection.ping()
            return "ok"
        except Exception as error:  # any failure means "not ready", and the log says why
            log.warning("job queue unreachable: %s", error)
            return "unreachable"


def _short_first(kind: str) -> int:
    return 0 if kind == "default" else 1


def perform(name: str, *args: Any) -> object:
    """What an RQ worker runs (inside the app's context, see app/jobs/worker.py). The waiting mark goes first:
    a commit from now on queues a new job, since this one may have read the database already."""
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    backend = app.extensions[EXTENSION]
    if not args and isinstance(backend, RedisQueue):
        backend.connection.delete(backend.key("waiting", name))
    return TASKS[name].run(app, *args)


def make_backend(config: dict[str, Any]) -> InProcess | RedisQueue:
    return RedisQueue(config) if config.get("REDIS_URL") else InProcess()


def backend(app: Flask | None = None) -> InProcess | RedisQueue:
    return (app or current_app).extensions[EXTENSION]


def enqueue(name: str, *args: Any) -> object:
    """Run the named job in the background (a worker) or, without Redis, here and now."""
    if name not in TASKS:
        raise KeyError(f"no such job: {name}")
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    return backend(app).enqueue(app, name, *args)


def register(app: Flask) -> None:
    """The app's backend, and one after-commit hook that turns the commit's flags into jobs."""
    app.extensions[EXTENSION] = make_backend(app.config)

    def after_commit(flags: dict) -> None:
        for flag, name in AFTER_COMMIT.items():
            if flags.get(flag):
                enqueue(name)

    app.extensions.setdefault("agora_after_commit", []).append(after_commit)

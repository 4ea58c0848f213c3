"""RQ workers that run each job inside the app's context (its config, database and search backend)."""

from __future__ import annotations

from typing import Any

from flask import Flask
from rq import SimpleWorker, Worker

from app.db import db
from app.jobs.queue import RedisQueue, backend


class _InApp:
    app: Flask

    def perform_job(self, job: Any, queue: Any) -> Any:
        with self.app.app_context():
            return super().perform_job(job, queue)  # type: ignore[misc]


class AppWorker(_InApp, Worker):
    """Forks a work horse per job (a job that leaks or crashes takes only its horse down)."""

    def perform_job(self, job: Any, queue: Any) -> Any:
        # The horse must not share the parent's pooled database connections (SQLAlchemy's advice after fork).
        with self.app.app_context():
            db.engine.dispose(close=False)
        return super().perform_job(job, queue)


class AppSimpleWorker(_InApp, SimpleWorker):
    """Runs jobs in its own process: the tests, and platforms without fork."""


def make_worker(app: Flask, simple: bool = False) -> Worker:
    queue = backend(app)
    if not isinstance(queue, RedisQueue):
        raise RuntimeError("REDIS_URL is not set: jobs run in the app's processes and need no worker")
    worker = (AppSimpleWorker if simple else AppWorker)(queue.queues(), connection=queue.connection)
    worker.app = app
    return worker

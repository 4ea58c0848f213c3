"""What the queues hold, for `flask jobs status` and /metrics: depth, age of the oldest waiting job, retries
waiting, jobs running, failures."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from rq import Queue, Worker
from rq.job import Job

from app.jobs.queue import RedisQueue


@dataclass(frozen=True)
class QueueState:
    name: str
    waiting: int
    oldest_seconds: float | None  # the oldest waiting job's age; None when none waits
    scheduled: int  # retries (and delayed jobs) waiting for their time
    running: int
    failed: int


@dataclass(frozen=True)
class Failure:
    job_id: str
    name: str
    ended_at: datetime | None
    error: str  # the exception's last line


@dataclass(frozen=True)
class Status:
    queues: list[QueueState]
    workers: int
    failures: list[Failure]


def _oldest_seconds(queue: Queue, now: datetime) -> float | None:
    for job_id in queue.get_job_ids(0, 0):  # the head of the list is the next job out, the oldest in
        job = Job.fetch(job_id, connection=queue.connection)
        if job.enqueued_at is not None:
            enqueued = job.enqueued_at if job.enqueued_at.tzinfo else job.enqueued_at.replace(tzinfo=UTC)
            return max((now - enqueued).total_seconds(), 0.0)
    return None


def _failures(queue: Queue, limit: int) -> list[Failure]:
    if limit <= 0:
        return []
    ids = queue.failed_job_registry.get_job_ids()[-limit:]
    failures = []
    for job in Job.fetch_many(ids, connection=queue.connection):
        if job is None:
            continue
        result = job.latest_result()
        error = (result.exc_string or "").strip().splitlines()[-1:] if result else []
        failures.append(Failure(job.id, job.description or job.func_name, job.ended_at, error[0] if error else ""))
    return failures


def read(backend: RedisQueue, failures: int = 10, now: datetime | None = None) -> Status:
    now = now or datetime.now(UTC)
    queues = backend.queues()
    states = [
        QueueState(
            name=queue.name,
            waiting=queue.count,
            oldest_seconds=_oldest_seconds(queue, now),
            scheduled=queue.scheduled_job_registry.count,
            running=queue.started_job_registry.count,
            failed=queue.failed_job_registry.count,
        )
        for queue in queues
    ]
    recent = [failure for queue in queues for failure in _failures(queue, failures)]
    return Status(states, Worker.count(connection=backend.connection), recent[-failures:])

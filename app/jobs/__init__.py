"""Background jobs: one `enqueue(name, *args)` for every kind of work that follows a commit or a clock, run by RQ
workers when REDIS_URL is set and in this process after the commit otherwise (see app/jobs/queue.py)."""

from __future__ import annotations

from app.jobs.queue import enqueue, register

__all__ = ["enqueue", "register"]

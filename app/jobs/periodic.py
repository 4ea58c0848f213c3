"""Periodic jobs without cron: every worker ticks, and the first to claim a period in Redis queues its job.

RQ 2.12 has a cron scheduler (`rq cron`), but its schedule lives in each process's memory: two of them queue every
job twice, and one of them is one more process to keep alive. Here each period is a Redis key set with NX and an
expiry of the period's length, so any number of workers queue each job once per period, a restarted worker picks
up the schedule where Redis has it, and no worker at all only delays the jobs."""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass

from flask import Flask

from app.jobs.queue import RedisQueue, backend

log = logging.getLogger(__name__)

DAY = 24 * 3600
TICK_SECONDS = 15


@dataclass(frozen=True)
class Periodic:
    job: str
    every: int | str  # seconds, or the setting that holds them

    def seconds(self, config: dict) -> int:
        return int(config[self.every]) if isinstance(self.every, str) else self.every


SCHEDULE = (
    Periodic("jobs.sweep", "JOBS_SWEEP_SECONDS"),
    Periodic("cases.overdue", "JOBS_OVERDUE_SECONDS"),
    Periodic("webhooks.unanswered", 3600),
    Periodic("mail.digests", 3600),  # hourly: a member's digest goes when their last is 20 hours old
    Periodic("attachments.cleanup", DAY),
    Periodic("privacy.purge", DAY),
)


def tick(app: Flask) -> list[str]:
    """Queue each periodic job whose period nobody has claimed yet; returns the jobs queued."""
    queue = backend(app)
    if not isinstance(queue, RedisQueue):
        return []
    queued = []
    for periodic in SCHEDULE:
        seconds = periodic.seconds(app.config)
        if queue.connection.set(queue.key("period", periodic.job), 1, nx=True, ex=seconds):
            queue.enqueue(app, periodic.job)
            queued.append(periodic.job)
    return queued


def start_ticking(app: Flask, stop: threading.Event, every: float = TICK_SECONDS) -> threading.Thread:
    """A thread of the worker's main process that ticks until `stop` is set; a failed tick (Redis away) is logged
    and tried again at the next one."""

    def run() -> None:
        while True:
            try:
                with app.app_context():
                    for job in tick(app):
                        log.info("periodic job %s queued", job)
            except Exception:
                log.exception("periodic tick failed")
            if stop.wait(every):
                return

    thread = threading.Thread(target=run, name="jobs-periodic", daemon=True)
    thread.start()
    return thread

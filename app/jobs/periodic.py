"""Periodic jobs without cron: every worker ticks, and the first to claim a period in Redis queues its job. A daily
job's period is a calendar day (UTC), claimed from its hour on, so the digest goes out in the morning whenever the
workers were started.

RQ 2.12 has a cron scheduler (`rq cron`), but its schedule lives in each process's memory: two of them queue every
job twice, and one of them is one more process to keep alive. Here each period is a Redis key set with NX and an
expiry of the period's length, so any number of workers queue each job once per period, a restarted worker picks
up the schedule where Redis has it, and no worker at all only delays the jobs."""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass
from datetime import UTC, datetime

from flask import Flask

from app.jobs.queue import RedisQueue, backend

log = logging.getLogger(__name__)

DAY = 24 * 3600
TICK_SECONDS = 15


def _setting(value: int | str, config: dict) -> int:
    return int(config[value]) if isinstance(value, str) else value


@dataclass(frozen=True)
class Periodic:
    job: str
    every: int | str = DAY  # seconds, or the setting that holds them
    daily_at: int | str | None = None  # once a UTC day from this hour (or the setting that holds it) on

    def period(self, config: dict, now: datetime) -> tuple[str, int] | None:
        """This period's name and how long its claim must last; None while a daily job's hour has not come."""
        if self.daily_at is None:
            return "", _setting(self.every, config)
        if now.hour < _setting(self.daily_at, config):
            return None
        return now.strftime("%Y-%m-%d"), 2 * DAY


SCHEDULE = (
    Periodic("jobs.sweep", "JOBS_SWEEP_SECONDS"),
    Periodic("cases.overdue", "JOBS_OVERDUE_SECONDS"),
    Periodic("webhooks.unanswered", 3600),
    Periodic("mail.digests", daily_at="JOBS_DIGEST_HOUR"),
    Periodic("attachments.cleanup", daily_at=3),
    Periodic("privacy.purge", daily_at=3),
)


def tick(app: Flask, now: datetime | None = None) -> list[str]:
    """Queue each periodic job whose period nobody has claimed yet; returns the jobs queued."""
    queue = backend(app)
    if not isinstance(queue, RedisQueue):
        return []
    now = now or datetime.now(UTC)
    queued = []
    for periodic in SCHEDULE:
        period = periodic.period(app.config, now)
        if period is None:
            continue
        name, seconds = period
        claim = queue.key("period", periodic.job, name)
        if queue.connection.set(claim, 1, nx=True, ex=seconds):
            try:
                queue.enqueue(app, periodic.job)
            except Exception:
                # Claimed but not queued: give the period back, or a daily job would be skipped for the day.
                log.exception("queueing the periodic job %s failed; the next tick tries again", periodic.job)
                try:
                    queue.connection.delete(claim)
                except Exception:  # Redis away: the claim lapses with its period
                    log.exception("giving back the period of %s failed", periodic.job)
                continue
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

"""`flask jobs worker | status`: run a worker (and the periodic jobs) and see what the queues hold."""

from __future__ import annotations

import threading

import click
from flask import current_app
from flask.cli import AppGroup

from app.jobs import periodic
from app.jobs import status as job_status
from app.jobs.queue import RedisQueue, backend

jobs_group = AppGroup("jobs", help="Background jobs (RQ on REDIS_URL).")


def _redis_backend() -> RedisQueue:
    queue = backend()
    if not isinstance(queue, RedisQueue):
        raise click.ClickException("REDIS_URL is not set: jobs run in the app's processes after each commit.")
    return queue


@jobs_group.command("worker")
@click.option("--burst", is_flag=True, help="Run what is waiting, then stop (no periodic jobs).")
@click.option("--simple", is_flag=True, help="Run jobs in this process instead of a forked one per job.")
def worker(burst: bool, simple: bool) -> None:
    """Run jobs from the queues, with RQ's scheduler (retries, delayed jobs) and the periodic jobs; start as many
    as the work needs, on any machine that reaches the database, Redis and the search index."""
    from app.jobs.worker import make_worker

    _redis_backend()
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    stop = threading.Event()
    if not burst:
        periodic.start_ticking(app, stop)
    try:
        make_worker(app, simple=simple).work(burst=burst, with_scheduler=True)
    finally:
        stop.set()


def _age(seconds: float | None) -> str:
    if seconds is None:
        return "-"
    if seconds < 120:
        return f"{seconds:.0f} s"
    if seconds < 7200:
        return f"{seconds / 60:.0f} min"
    return f"{seconds / 3600:.1f} h"


@jobs_group.command("status")
def status() -> None:
    """Each queue's waiting jobs and the age of the oldest, retries waiting, running and failed jobs, the
    workers, and the latest failures; exits 1 when Redis does not answer."""
    queue = _redis_backend()
    if queue.check() != "ok":
        raise click.ClickException(f"the job queue at {queue.url.split('@')[-1]} does not answer")
    state = job_status.read(queue)
    click.echo(f"{'queue':<20} {'waiting':>8} {'oldest':>8} {'retrying':>9} {'running':>8} {'failed':>7}")
    for row in state.queues:
        click.echo(
            f"{row.name:<20} {row.waiting:>8} {_age(row.oldest_seconds):>8} {row.scheduled:>9} {row.running:>8}"
            f" {row.failed:>7}"
        )
    click.echo(f"workers: {state.workers}")
    if state.failures:
        click.echo("latest failures:")
    for failure in state.failures:
        when = f"{failure.ended_at:%Y-%m-%d %H:%M:%S} UTC" if failure.ended_at else "-"
        click.echo(f"  {failure.job_id}  {failure.name}  {when}  {failure.error}")


COMMANDS = (jobs_group,)

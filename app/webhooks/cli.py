"""`flask webhooks ...`: deliver what is due (retries) and announce questions still waiting; both for cron."""

from __future__ import annotations

import click
from flask import current_app
from flask.cli import AppGroup

from app.db import db
from app.webhooks import service

webhooks_group = AppGroup("webhooks", help="Webhook deliveries to the company's help desk.")


@webhooks_group.command("deliver")
def deliver() -> None:
    """Send every delivery that is due (first tries and retries); run it every minute from cron."""
    with db.scope() as session:
        sent = service.deliver_due(session, current_app.config)
        counts = service.counts(session)
    click.echo(f"{sent} delivered now; " + ", ".join(f"{n} {status}" for status, n in sorted(counts.items())))


@webhooks_group.command("check-unanswered")
@click.option("--hours", type=int, default=None, help="Unanswered for this long (default WEBHOOK_UNANSWERED_HOURS).")
def check_unanswered(hours: int | None) -> None:
    """Announce questions unanswered for a while (once each), then deliver; run it hourly from cron."""
    hours = hours if hours is not None else current_app.config["WEBHOOK_UNANSWERED_HOURS"]
    with db.scope() as session:
        made = service.questions_waiting(session, hours)
        db.commit(session)
    click.echo(f"{made} delivery(ies) recorded for questions unanswered after {hours} hours.")


COMMANDS = (webhooks_group,)

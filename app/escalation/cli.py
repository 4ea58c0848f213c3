"""`flask cases overdue`: the private support cases past their response target, for a cron job."""

from __future__ import annotations

import click
from flask.cli import AppGroup

from app.db import db
from app.escalation import service as escalation

cases = AppGroup("cases", help="Private support cases.")


@cases.command("overdue")
def cases_overdue() -> None:
    """Tell staff about cases that just passed their response target (once each, as the job queue's periodic check
    does), and print every overdue case (for a cron job); exit 1 when there are any."""
    with db.scope() as session:
        told = escalation.tell_overdue(session)
        db.commit(session)  # queues the mail delivery
        overdue = escalation.overdue_cases(session)
        if told:
            click.echo(f"Told staff about {told} case(s) that passed their response target.")
        for case in overdue:
            assignee = case.assignee.username if case.assignee else "unassigned"
            click.echo(
                f"#{case.id}\t{case.status}\t{case.category}/{case.priority}\tdue {case.due_at:%Y-%m-%d %H:%M} UTC"
                f"\t{assignee}"
            )
    if overdue:
        raise click.ClickException(f"{len(overdue)} overdue case(s).")
    click.echo("No overdue cases.")


COMMANDS = (cases,)

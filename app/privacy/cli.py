"""`flask privacy ...`: prepare waiting exports, and the daily purge (expired exports, retained conversations)."""

from __future__ import annotations

import click
from flask import current_app
from flask.cli import AppGroup

from app.db import db
from app.privacy import deletion, export

privacy = AppGroup("privacy", help="Data exports and deleted accounts.")


@privacy.command("exports")
def prepare_exports() -> None:
    """Prepare the data exports still waiting (e.g. after a restart while one was being asked for)."""
    done = export.prepare_pending(current_app._get_current_object())
    click.echo(f"{done} export(s) prepared.")


@privacy.command("purge")
@click.option("--days", type=int, default=None, help="Retention in days (default: CASE_RETENTION_DAYS).")
def purge(days: int | None) -> None:
    """For a daily cron job: drop expired exports, and delete the case conversations of members who deleted
    their account longer ago than the retention period."""
    retention = days if days is not None else int(current_app.config["CASE_RETENTION_DAYS"])
    with db.scope() as session:
        expired = export.expire(session)
        purged = deletion.purge_case_conversations(session, retention)
        db.commit(session)
    click.echo(f"{expired} expired export(s) dropped; {len(purged)} case conversation(s) purged.")


COMMANDS = (privacy,)

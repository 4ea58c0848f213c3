"""`flask attachments cleanup`: delete uploads no post took, and the bytes of removed files (for cron)."""

from __future__ import annotations

import click
from flask import current_app
from flask.cli import AppGroup

from app.attachments import service
from app.attachments.views import EXTENSION
from app.db import db

attachments = AppGroup("attachments", help="Uploaded files.")


@attachments.command("cleanup")
def attachments_cleanup() -> None:
    """Delete uploads that no post or message took within a day, and files nothing refers to."""
    with db.scope() as session:
        done = service.cleanup(session, current_app.extensions[EXTENSION])
        session.commit()
    click.echo(
        f"Deleted {done.pending_deleted} unused upload(s), {done.removed_files} removed file(s), "
        f"{done.orphan_files} orphan file(s)."
    )


COMMANDS = (attachments,)

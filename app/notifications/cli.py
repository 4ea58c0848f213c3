"""`flask mail send-digests`: the daily digest, queued and then sent by the same after-commit hook as all mail."""

from __future__ import annotations

import click
from flask import current_app
from flask.cli import AppGroup

from app.db import db
from app.notifications import mail
from app.notifications import service as notifications

mail_group = AppGroup("mail", help="E-mail about notifications.")


@mail_group.command("send-digests")
def send_digests() -> None:
    """Queue and send the daily digest to members who chose it (run it once a day from cron)."""
    with db.scope() as session:
        count = notifications.send_digests(session)
        db.commit(session)  # the after-commit hook delivers what was queued
        # Whatever the hook left (more than one batch, or a failed hook) goes out now.
        leftover = mail.deliver_pending(session, current_app.extensions["agora_mail_sender"])
    more = f"; {leftover} more message(s) delivered after that" if leftover else ""
    click.echo(f"{count} digest(s) queued, delivered after the commit{more}.")


COMMANDS = (mail_group,)

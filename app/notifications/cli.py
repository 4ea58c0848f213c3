"""`flask mail ...`: the daily digest, delivering and retrying queued mail, its status, and replies received by
e-mail (`mail receive`, fed one message on standard input by the mail server)."""

from __future__ import annotations

import sys

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


@mail_group.command("deliver")
def deliver() -> None:
    """Send what is due: new mail and retries whose time has come (run it every minute or so from cron)."""
    with db.scope() as session:
        sent = mail.deliver_pending(session, current_app.extensions["agora_mail_sender"])
    click.echo(f"{sent} message(s) delivered.")


@mail_group.command("status")
def status() -> None:
    """How many messages are pending, retrying, failed or bounced, and how many addresses are bouncing."""
    with db.scope(write=False) as session:
        counts = mail.status_counts(session, current_app.config["MAIL_BOUNCE_LIMIT"])
    for name, count in counts.items():
        click.echo(f"{name:>20}: {count}")


@mail_group.command("receive")
def receive() -> None:
    """Read one e-mail (RFC 5322) on standard input, as a mail server's pipe delivers it, and post it where its
    Reply-To token points. Exits 0 whatever became of it (a refusal is logged and answered with one short
    bounce), so the mail server does not bounce it a second time."""
    from app.notifications import inbound

    raw = sys.stdin.buffer.read(current_app.config["MAIL_REPLY_MAX_BYTES"] + 1)
    with db.scope() as session:
        result = inbound.receive(session, raw)
        db.commit(session)  # the after-commit hook sends the notifications (and the one bounce, if any)
    click.echo(f"{result.outcome}: {result.reason or result.link}")


COMMANDS = (mail_group,)

"""Command-line tasks: `flask --app wsgi create-admin | set-role | seed-demo`."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import click
from flask import Flask
from flask.cli import AppGroup

from app.accounts import service as accounts
from app.db import db
from app.errors import DomainError


@contextmanager
def _refusals_as_cli_errors() -> Iterator[None]:
    """A service's refusal (taken name, weak password, unknown role) ends the command with its message."""
    try:
        yield
    except DomainError as error:
        raise click.ClickException(str(error.message)) from None


def register_cli(app: Flask) -> None:
    @app.cli.command("create-admin")
    @click.option("--username", prompt=True)
    @click.option("--email", prompt=True)
    @click.password_option()
    def create_admin(username: str, email: str, password: str) -> None:
        """Create an administrator account."""
        with db.scope() as session, _refusals_as_cli_errors():
            user = accounts.register(session, accounts.Registration(username, email, password), role="admin")
            session.commit()
        click.echo(f"Created admin {user.username}.")

    @app.cli.command("set-role")
    @click.argument("username")
    @click.argument("role", type=click.Choice(["member", "moderator", "staff", "admin"]))
    def set_role(username: str, role: str) -> None:
        """Give USERNAME the ROLE (member, moderator, staff or admin)."""
        with db.scope() as session, _refusals_as_cli_errors():
            user = accounts.set_role(session, username, role)
            session.commit()
        click.echo(f"{user.username} is now {role}.")

    points = AppGroup("points", help="Check and repair the cached points totals against the ledger.")
    app.cli.add_command(points)

    @points.command("verify")
    def points_verify() -> None:
        """Report every member whose cached points or solution count differ from the data (exit 1 if any)."""
        from app.reputation import service as reputation

        with db.scope(write=False) as session:
            drifts = reputation.verify(session)
        for drift in drifts:
            click.echo(f"{drift.username}: {drift.field} cached {drift.cached}, actual {drift.actual}")
        if drifts:
            raise click.ClickException(f"{len(drifts)} drifted totals; run `flask points recompute`.")
        click.echo("All cached totals match the ledger.")

    @points.command("recompute")
    def points_recompute() -> None:
        """Set every cached total from the ledger and the accepted solutions."""
        from app.reputation import service as reputation

        with db.scope() as session:
            repaired = reputation.recompute(session)
            session.commit()
        click.echo(f"Repaired {repaired} member(s).")

    cases = AppGroup("cases", help="Private support cases.")
    app.cli.add_command(cases)

    @cases.command("overdue")
    def cases_overdue() -> None:
        """Print the cases past their response target (for a cron job); exit 1 when there are any."""
        from app.escalation import service as escalation

        with db.scope(write=False) as session:
            overdue = escalation.overdue_cases(session)
            for case in overdue:
                assignee = case.assignee.username if case.assignee else "unassigned"
                click.echo(
                    f"#{case.id}\t{case.status}\t{case.category}/{case.priority}\tdue {case.due_at:%Y-%m-%d %H:%M} UTC"
                    f"\t{assignee}"
                )
        if overdue:
            raise click.ClickException(f"{len(overdue)} overdue case(s).")
        click.echo("No overdue cases.")

    search_group = AppGroup("search", help="The search index.")
    app.cli.add_command(search_group)

    @search_group.command("reindex")
    def search_reindex() -> None:
        """Rebuild the index from the database into a new directory and swap it in."""
        from sqlalchemy import func, select

        from app.forum.models import Question
        from app.search import service as search

        backend = app.extensions["agora_search"]
        with db.scope(write=False) as reader, db.scope(write=True) as writer:
            total = reader.scalar(select(func.count()).select_from(Question)) or 0
            with click.progressbar(length=total, label="Indexing questions") as bar:
                count = search.reindex(reader, writer, backend, progress=bar.update)
        search.drain_app(app)  # the changes made while it ran
        click.echo(f"Indexed {count} public questions ({backend.name}).")

    @search_group.command("status")
    def search_status() -> None:
        """Whether the index is usable, its documents against the public questions, and pending outbox rows."""
        from app.search import service as search
        from app.search.backend import READY

        with db.scope(write=False) as session:
            state = search.status(session, app.extensions["agora_search"])
        click.echo(f"backend: {state.backend}")
        click.echo(f"state:             {state.state}")
        click.echo(f"indexed documents: {'-' if state.indexed is None else state.indexed}")
        click.echo(f"public questions:  {state.public_questions}")
        click.echo(f"pending outbox:    {state.pending}")
        if state.state == search.REBUILDING:
            click.echo("A rebuild is running; results may be incomplete until it ends.")
        elif state.state != READY:
            click.echo("The site rebuilds it on the next search, or run `flask search reindex`.")
        elif state.pending:
            click.echo("The index is behind; it catches up on the next write, or run `flask search reindex`.")

    mail_group = AppGroup("mail", help="E-mail about notifications.")
    app.cli.add_command(mail_group)

    @mail_group.command("send-digests")
    def send_digests() -> None:
        """Queue and send the daily digest to members who chose it (run it once a day from cron)."""
        from app.notifications import mail
        from app.notifications import service as notifications

        with db.scope() as session:
            count = notifications.send_digests(session)
            session.commit()
            delivered = mail.deliver_pending(session, app.extensions["agora_mail_sender"])
        click.echo(f"{count} digest(s) queued, {delivered} message(s) delivered.")

    @app.cli.command("backup")
    @click.argument("path", type=click.Path(dir_okay=False))
    def backup(path: str) -> None:
        """Copy the SQLite database to PATH while the site keeps serving (PostgreSQL: use pg_dump)."""
        from app.backup import BackupRefused, backup_sqlite

        try:
            made = backup_sqlite(db.engine, path)
        except BackupRefused as refusal:
            raise click.ClickException(str(refusal)) from None
        click.echo(f"Backed up {made.pages} pages ({made.size / 1e6:.1f} MB) to {made.path}.")

    @app.cli.command("seed-demo")
    @click.option("--if-empty", is_flag=True, help="Only seed a database that has no boards yet.")
    def seed_demo(if_empty: bool) -> None:
        """Load the demo community (boards, members in every role, questions and answers)."""
        from app import demo

        with db.scope() as session:
            if if_empty and demo.is_seeded(session):
                click.echo("Demo data already present; not seeding again.")
            else:
                counts = demo.seed(session)
                session.commit()
                from app.search import service as search

                search.drain_app(app)
                click.echo("Seeded demo data: " + ", ".join(f"{n} {what}" for what, n in counts.items()) + ".")
            click.echo(demo.logins_text(session))

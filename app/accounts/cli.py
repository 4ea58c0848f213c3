"""Account commands: `flask create-admin` and `flask set-role USERNAME ROLE`."""

from __future__ import annotations

import click
from flask.cli import with_appcontext

from app.accounts import service as accounts
from app.auth.roles import ROLES, Role
from app.cli import refusals_as_cli_errors
from app.db import db, utcnow


@click.command("create-admin")
@click.option("--username", prompt=True)
@click.option("--email", prompt=True)
@click.password_option()
@with_appcontext
def create_admin(username: str, email: str, password: str) -> None:
    """Create an administrator account."""
    with db.scope() as session, refusals_as_cli_errors():
        user = accounts.register(session, accounts.Registration(username, email, password), role=Role.ADMIN.value)
        user.email_verified_at = utcnow()  # typed by the operator, who vouches for it
        db.commit(session)
    click.echo(f"Created admin {user.username}.")


@click.command("set-role", help=f"Give USERNAME the ROLE ({', '.join(ROLES)}).")
@click.argument("username")
@click.argument("role", type=click.Choice(ROLES))
@with_appcontext
def set_role(username: str, role: str) -> None:
    with db.scope() as session, refusals_as_cli_errors():
        user = accounts.set_role(session, username, role)
        db.commit(session)
    click.echo(f"{user.username} is now {role}.")


COMMANDS = (create_admin, set_role)

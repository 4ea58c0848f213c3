"""`flask seed-demo`: load the demo community, committed like any request so search indexes it after commit."""

from __future__ import annotations

import click
from flask.cli import with_appcontext

from app.db import db
from app.demo import seed as demo


@click.command("seed-demo")
@click.option("--if-empty", is_flag=True, help="Only seed a database that has no boards yet.")
@with_appcontext
def seed_demo(if_empty: bool) -> None:
    """Load the demo community (boards, members in every role, questions and answers)."""
    with db.scope() as session:
        if if_empty and demo.is_seeded(session):
            click.echo("Demo data already present; not seeding again.")
        else:
            counts = demo.seed(session)
            db.commit(session)
            click.echo("Seeded demo data: " + ", ".join(f"{n} {what}" for what, n in counts.items()) + ".")
        click.echo(demo.logins_text(session))


COMMANDS = (seed_demo,)

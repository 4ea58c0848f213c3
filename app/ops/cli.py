"""`flask backup PATH`: an online copy of the SQLite database."""

from __future__ import annotations

import click
from flask.cli import with_appcontext

from app.db import db
from app.ops.backup import BackupRefused, backup_sqlite


@click.command("backup")
@click.argument("path", type=click.Path(dir_okay=False))
@with_appcontext
def backup(path: str) -> None:
    """Copy the SQLite database to PATH while the site keeps serving (PostgreSQL: use pg_dump)."""
    try:
        made = backup_sqlite(db.engine, path)
    except BackupRefused as refusal:
        raise click.ClickException(str(refusal)) from None
    click.echo(f"Backed up {made.pages} pages ({made.size / 1e6:.1f} MB) to {made.path}.")


COMMANDS = (backup,)

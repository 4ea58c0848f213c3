"""`flask points verify | recompute`: check and repair the cached points totals against the ledger."""

from __future__ import annotations

import click
from flask.cli import AppGroup

from app.db import db
from app.reputation import service as reputation

points = AppGroup("points", help="Check and repair the cached points totals against the ledger.")


@points.command("verify")
def points_verify() -> None:
    """Report every member whose cached points or solution count differ from the data (exit 1 if any)."""
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
    with db.scope() as session:
        repaired = reputation.recompute(session)
        db.commit(session)
    click.echo(f"Repaired {repaired} member(s).")


COMMANDS = (points,)

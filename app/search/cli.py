"""`flask search reindex | status`: rebuild the index by hand, and say where it stands."""

from __future__ import annotations

import click
from flask import current_app
from flask.cli import AppGroup
from sqlalchemy import func, select

from app.db import db
from app.forum.models import Question
from app.search import service as search
from app.search.backend import READY

search_group = AppGroup("search", help="The search index.")


@search_group.command("reindex")
def search_reindex() -> None:
    """Rebuild the index from the database into a new directory and swap it in."""
    app = current_app._get_current_object()  # type: ignore[attr-defined]
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
    with db.scope(write=False) as session:
        state = search.status(session, current_app.extensions["agora_search"])
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


COMMANDS = (search_group,)

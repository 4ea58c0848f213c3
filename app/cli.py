"""Command-line plumbing the domains' cli.py modules share."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import click

from app.errors import DomainError


@contextmanager
def refusals_as_cli_errors() -> Iterator[None]:
    """A service's refusal (taken name, weak password, unknown role) ends the command with its message."""
    try:
        yield
    except DomainError as error:
        raise click.ClickException(str(error.message)) from None

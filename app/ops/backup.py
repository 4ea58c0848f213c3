"""Online backups of the embedded SQLite database, taken while the site serves (PostgreSQL has pg_dump)."""

from __future__ import annotations

import os
import sqlite3
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Engine


class BackupRefused(Exception):
    """The backup cannot be made (another database, an existing file); the message says what to do."""


@dataclass(frozen=True)
class Backup:
    path: Path
    pages: int
    size: int


def backup_sqlite(engine: Engine, target: str | os.PathLike) -> Backup:
    """Copy the live database into `target` with SQLite's backup API, in one step: in WAL mode that is a read
    transaction, so writers carry on and the copy is the database as of one moment. The copy is written
    beside `target`, checked, and only then renamed into place, so a failed backup never leaves a half file."""
    if engine.dialect.name != "sqlite":
        raise BackupRefused(
            "This site runs on PostgreSQL: back it up with pg_dump -Fc (see the README), not with this command."
        )
    target = Path(target)
    if target.exists():
        raise BackupRefused(f"{target} already exists; choose a new file name.")
    partial = target.with_name(f".{target.name}.partial")
    partial.unlink(missing_ok=True)
    raw = engine.raw_connection()
    try:
        copy = sqlite3.connect(partial)
        try:
            raw.driver_connection.backup(copy)  # type: ignore[union-attr]
            problems = copy.execute("PRAGMA quick_check").fetchone()[0]
            if problems != "ok":
                raise BackupRefused(f"The copy failed its check ({problems}); {target} was not written.")
            copy.execute("PRAGMA journal_mode=DELETE")  # one self-contained file, no -wal beside it
            pages = copy.execute("PRAGMA page_count").fetchone()[0]
        finally:
            copy.close()
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    finally:
        raw.close()
    os.replace(partial, target)
    return Backup(target, pages, target.stat().st_size)

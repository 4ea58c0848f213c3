"""Noticing a lost, unreadable or out-of-step index and rebuilding it in the background, one rebuild a process."""

from __future__ import annotations

import logging
import threading
import time

from flask import Flask

from app.search import service
from app.search.backend import READY

log = logging.getLogger(__name__)

CHECK_EVERY = 600.0  # seconds between full checks (they count the public questions) in one process


class Recovery:
    """One per app. `check()` is cheap enough for every search: a stat, and now and then a count."""

    def __init__(self, app: Flask) -> None:
        self.app = app
        self._guard = threading.Lock()
        self._thread: threading.Thread | None = None
        self._checked_at: float | None = None

    @property
    def rebuilding(self) -> bool:
        """A rebuild runs in this process."""
        return self._thread is not None and self._thread.is_alive()

    def check(self) -> bool:
        """Start a rebuild when the index needs one; True while one runs, here or in another process."""
        backend = self.app.extensions["agora_search"]
        if self.rebuilding:
            return True
        due = self._checked_at is None or time.monotonic() - self._checked_at > CHECK_EVERY
        if backend.missing() or due:
            self._checked_at = time.monotonic()
            status = self._status()
            if status.state not in (READY, service.REBUILDING):
                log.warning("search: %s; rebuilding it from the database", status.state)
                return self.start()
            if status.pending:
                # Rows nobody is applying (a restored database, a process that died before its drain): apply
                # them now rather than at the next write, off the reader's request.
                threading.Thread(target=service.drain_app, args=(self.app,), name="search-drain", daemon=True).start()
        return backend.rebuilding()

    def _status(self) -> service.Status:
        from app.db import db

        with self.app.app_context(), db.scope(write=False) as session:
            return service.status(session, self.app.extensions["agora_search"])

    def start(self) -> bool:
        """Rebuild in a thread unless one already runs here (another process's rebuild holds the index lock, so
        this one waits for it). Returns True: a rebuild is under way."""
        with self._guard:
            if not self.rebuilding:
                self._thread = threading.Thread(target=self._run, name="search-rebuild", daemon=True)
                self._thread.start()
        return True

    def wait(self, timeout: float) -> bool:
        """Wait for this process's rebuild; True when none runs any more."""
        thread = self._thread
        if thread is not None:
            thread.join(timeout)
        return not self.rebuilding

    def _run(self) -> None:
        from app.db import db

        try:
            with self.app.app_context(), db.scope(write=False) as reader, db.scope(write=True) as writer:
                count = service.reindex(reader, writer, self.app.extensions["agora_search"])
            log.warning("search: index rebuilt with %d public questions", count)
        except Exception:
            log.exception("search: rebuilding the index failed; the next search tries again")
            self._checked_at = None
            return
        service.drain_app(self.app)  # the outbox rows that arrived during the rebuild

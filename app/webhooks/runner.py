"""Without a job queue, deliveries leave after the commit that recorded them in a background thread of this process
(the "webhooks.deliver" job kicks it), so no request waits on a help desk's server; `flask webhooks deliver` (cron)
retries what is due later. With REDIS_URL set, a worker delivers instead (app/jobs)."""

from __future__ import annotations

import threading

from flask import Flask

from app.webhooks import service


class Runner:
    """At most one delivery thread per app; a commit while it runs makes it look once more before it ends."""

    def __init__(self, app: Flask) -> None:
        self.app = app
        self.lock = threading.Lock()
        self.running = False
        self.again = False

    def kick(self) -> None:
        mode = self.app.config.get("WEBHOOK_DELIVERY", "thread")
        if mode == "off":
            return
        if mode == "inline":
            self._deliver()
            return
        with self.lock:
            if self.running:
                self.again = True
                return
            self.running = True
        threading.Thread(target=self._loop, name="webhooks", daemon=True).start()

    def _loop(self) -> None:
        while True:
            try:
                self._deliver()
            except Exception:
                self.app.logger.exception("webhook delivery failed")
            with self.lock:
                if not self.again:
                    self.running = False
                    return
                self.again = False

    def _deliver(self) -> int:
        from app.db import db

        with self.app.app_context(), db.scope() as session:
            return service.deliver_due(session, self.app.config)


def register(app: Flask) -> None:
    app.extensions["agora_webhooks"] = Runner(app)

"""Failed sign-ins counted per account, with a growing but bounded wait, in the rate-limit storage.

The storage is Flask-Limiter's (memory in one process, Redis when several workers must share counts).
After `allowed.amount` failures within `allowed`'s window the account waits `delay` seconds before the
next attempt, twice as long after each further failure, never longer than `max_delay`: an attacker can
slow the owner down but never keep them out, and a successful sign-in clears the count.
"""

from __future__ import annotations

import hashlib
import math
import time
from dataclasses import dataclass

from flask import current_app
from limits import RateLimitItem, parse
from limits.storage import Storage

from app.extensions import limiter


@dataclass(frozen=True)
class LoginThrottle:
    storage: Storage
    allowed: RateLimitItem
    delay: int = 60
    max_delay: int = 900
    prefix: str = ""  # RATELIMIT_KEY_PREFIX: another site on the same Redis keeps its own counts

    def _keys(self, login: str) -> tuple[str, str]:
        # Hashed: no e-mail address ends up in Redis, and every key has the same length.
        account = hashlib.sha256(login.strip().lower().encode()).hexdigest()
        return f"{self.prefix}login-failures/{account}", f"{self.prefix}login-wait/{account}"

    def wait(self, login: str) -> int:
        """Seconds before `login` may be tried again; 0 when it may be tried now."""
        _failures, waiting = self._keys(login)
        if not self.storage.get(waiting):
            return 0
        return max(1, math.ceil(self.storage.get_expiry(waiting) - time.time()))

    def failed(self, login: str) -> int:
        """Count a failure; returns the wait it starts (0 while within the allowance)."""
        failures, waiting = self._keys(login)
        count = self.storage.incr(failures, self.allowed.get_expiry())
        if count < self.allowed.amount:
            return 0
        seconds = min(self.delay * 2 ** min(count - self.allowed.amount, 20), self.max_delay)
        self.storage.clear(waiting)
        self.storage.incr(waiting, seconds)
        return seconds

    def succeeded(self, login: str) -> None:
        for key in self._keys(login):
            self.storage.clear(key)


def login_throttle() -> LoginThrottle | None:
    """The app's throttle, from its settings and the rate limiter's storage; None when rate limits are off.
    The site's sign-in, the company sign-in's account linking and the API's token request share it."""
    config = current_app.config
    if not config["RATELIMIT_ENABLED"]:
        return None
    return LoginThrottle(
        limiter.storage,
        parse(config["LOGIN_ACCOUNT_RATE_LIMIT"]),
        delay=int(config["LOGIN_ACCOUNT_DELAY"]),
        max_delay=int(config["LOGIN_ACCOUNT_MAX_DELAY"]),
        prefix=config.get("RATELIMIT_KEY_PREFIX", ""),
    )

"""Password hashing with Argon2id (argon2-cffi): each app's own hasher, with the costs from its settings."""

from __future__ import annotations

from argon2 import PasswordHasher, Type
from argon2.exceptions import InvalidHashError, VerificationError
from flask import Flask, current_app, has_app_context

EXTENSION = "agora_passwords"


class Passwords:
    """One app's hasher, and the dummy hash that makes a sign-in for an unknown name cost as much."""

    def __init__(self, hasher: PasswordHasher) -> None:
        self.hasher = hasher
        self._dummy_hash: str | None = None

    def hash(self, password: str) -> str:
        return self.hasher.hash(password)

    def verify(self, password_hash: str, password: str) -> bool:
        try:
            return self.hasher.verify(password_hash, password)
        except (VerificationError, InvalidHashError):
            return False

    def needs_rehash(self, password_hash: str) -> bool:
        return self.hasher.check_needs_rehash(password_hash)

    def burn_time(self, password: str) -> None:
        """Verify against a hash of this hasher's cost, as if an account had matched."""
        if self._dummy_hash is None:
            self._dummy_hash = self.hasher.hash("not-a-real-password")
        self.verify(self._dummy_hash, password)


# Outside any app (a script, a unit test without one) the library's defaults: never cheaper than production.
_DEFAULT = Passwords(PasswordHasher(type=Type.ID))


def init_app(app: Flask) -> None:
    app.extensions[EXTENSION] = Passwords(
        PasswordHasher(
            time_cost=app.config["ARGON2_TIME_COST"], memory_cost=app.config["ARGON2_MEMORY_COST"], type=Type.ID
        )
    )


def current() -> Passwords:
    """The current app's hasher (so two apps in one process each keep their own costs)."""
    if has_app_context():
        return current_app.extensions[EXTENSION]
    return _DEFAULT


def hash_password(password: str) -> str:
    return current().hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    return current().verify(password_hash, password)


def needs_rehash(password_hash: str) -> bool:
    return current().needs_rehash(password_hash)


def burn_time(password: str) -> None:
    current().burn_time(password)

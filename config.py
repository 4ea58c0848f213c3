"""Settings for Agora: one class per environment, every value from the environment with a safe default."""

from __future__ import annotations

import os
from pathlib import Path
from typing import ClassVar

BASE_DIR = Path(__file__).resolve().parent
INSTANCE_DIR = Path(os.environ.get("AGORA_INSTANCE_DIR", BASE_DIR / "instance"))

# A key that is only good for development; production refuses to start with it.
DEV_SECRET_KEY = "dev-only-not-secret"  # noqa: S105 - a marker, refused in production


def _bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


class Config:
    SECRET_KEY = os.environ.get("SECRET_KEY", DEV_SECRET_KEY)
    DATABASE_URL = os.environ.get("DATABASE_URL", f"sqlite:///{INSTANCE_DIR / 'agora.db'}")
    SEARCH_INDEX_DIR = os.environ.get("SEARCH_INDEX_DIR", str(INSTANCE_DIR / "search-index"))
    # "whoosh" (an index on local disk) or "postgres" (full-text search in the database, for several app servers).
    SEARCH_BACKEND = os.environ.get("SEARCH_BACKEND", "whoosh")
    SQL_ECHO = _bool("SQL_ECHO", False)

    # Sessions and cookies: HttpOnly and SameSite=Lax everywhere, Secure in production.
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_SECURE = _bool("SESSION_COOKIE_SECURE", False)
    REMEMBER_COOKIE_HTTPONLY = True
    REMEMBER_COOKIE_SAMESITE = "Lax"
    REMEMBER_COOKIE_SECURE = _bool("SESSION_COOKIE_SECURE", False)
    REMEMBER_COOKIE_DURATION = 60 * 60 * 24 * 30

    WTF_CSRF_ENABLED = True
    WTF_CSRF_TIME_LIMIT = None  # tied to the session, so a long answer never loses its token

    # Uploads are not a feature; cap request bodies so an oversized post is refused early (413).
    MAX_CONTENT_LENGTH = 1024 * 1024

    BABEL_DEFAULT_LOCALE = "en"
    BABEL_DEFAULT_TIMEZONE = "UTC"
    LANGUAGES: ClassVar[dict[str, str]] = {
        "en": "English",
        "el": "Ελληνικά",
        "pl": "Polski",
        "sq": "Shqip",
        "he": "עברית",
    }
    RTL_LANGUAGES = frozenset({"he", "ar", "fa", "ur"})

    RATELIMIT_ENABLED = _bool("RATELIMIT_ENABLED", True)
    RATELIMIT_STORAGE_URI = os.environ.get("RATELIMIT_STORAGE_URI", "memory://")
    RATELIMIT_HEADERS_ENABLED = True
    LOGIN_RATE_LIMIT = os.environ.get("LOGIN_RATE_LIMIT", "10 per minute;50 per hour")
    # Failed sign-ins per account (from any address), then a wait that doubles per failure up to a cap.
    LOGIN_ACCOUNT_RATE_LIMIT = os.environ.get("LOGIN_ACCOUNT_RATE_LIMIT", "10 per 15 minutes")
    LOGIN_ACCOUNT_DELAY = int(os.environ.get("LOGIN_ACCOUNT_DELAY", "60"))
    LOGIN_ACCOUNT_MAX_DELAY = int(os.environ.get("LOGIN_ACCOUNT_MAX_DELAY", "900"))
    REGISTER_RATE_LIMIT = os.environ.get("REGISTER_RATE_LIMIT", "5 per hour")
    POST_RATE_LIMIT = os.environ.get("POST_RATE_LIMIT", "10 per minute;100 per day")
    # Accounts younger than a day get tighter limits: the cheapest defence against throwaway spam accounts.
    NEW_ACCOUNT_POST_RATE_LIMIT = os.environ.get("NEW_ACCOUNT_POST_RATE_LIMIT", "3 per minute;20 per day")
    FLAG_RATE_LIMIT = os.environ.get("FLAG_RATE_LIMIT", "10 per hour")
    NEW_ACCOUNT_FLAG_RATE_LIMIT = os.environ.get("NEW_ACCOUNT_FLAG_RATE_LIMIT", "3 per hour")

    # Argon2id cost: the library's defaults (RFC 9106 low-memory profile) in production.
    ARGON2_TIME_COST = int(os.environ.get("ARGON2_TIME_COST", "3"))
    ARGON2_MEMORY_COST = int(os.environ.get("ARGON2_MEMORY_COST", "65536"))

    PAGE_SIZE = 20

    # Absolute links in e-mail and feeds.
    PUBLIC_URL = os.environ.get("PUBLIC_URL", "http://127.0.0.1:5000")
    # E-mail: with no MAIL_SERVER, mail is kept in the email_messages table and the log.
    MAIL_SERVER = os.environ.get("MAIL_SERVER", "")
    MAIL_PORT = int(os.environ.get("MAIL_PORT", "587"))
    MAIL_USERNAME = os.environ.get("MAIL_USERNAME", "")
    MAIL_PASSWORD = os.environ.get("MAIL_PASSWORD", "")
    MAIL_USE_TLS = _bool("MAIL_USE_TLS", True)
    MAIL_FROM = os.environ.get("MAIL_FROM", "Nimbus Community <community@example.com>")
    # Moderators see that a private case exists, its status and public note; only when they are the company's
    # employees may they read its conversation and internal notes (many communities' moderators are volunteers).
    CASE_CONTENT_FOR_MODERATORS = _bool("CASE_CONTENT_FOR_MODERATORS", False)
    # What one support ticket costs the company, for the deflection estimate on the insights page.
    TICKET_COST = float(os.environ.get("TICKET_COST", "12.0"))


class DevelopmentConfig(Config):
    DEBUG = True


class TestingConfig(Config):
    TESTING = True
    SECRET_KEY = "testing-secret"  # noqa: S105 - tests only
    DATABASE_URL = os.environ.get("TEST_DATABASE_URL", "sqlite://")
    RATELIMIT_ENABLED = False
    # Still Argon2id, just cheap enough that a test suite can create hundreds of accounts.
    ARGON2_TIME_COST = 1
    ARGON2_MEMORY_COST = 8 * 1024
    SERVER_NAME = None


class ProductionConfig(Config):
    # Browsers remember to use HTTPS only (a year by default); 0 switches the header off.
    HSTS_MAX_AGE = int(os.environ.get("HSTS_MAX_AGE", str(365 * 24 * 3600)))
    SESSION_COOKIE_SECURE = True
    REMEMBER_COOKIE_SECURE = True
    PREFERRED_URL_SCHEME = "https"

    @classmethod
    def check(cls) -> None:
        key = os.environ.get("SECRET_KEY", "")
        if not key or key == DEV_SECRET_KEY or len(key) < 32:
            raise RuntimeError(
                "SECRET_KEY must be set to a random value of at least 32 characters in production "
                "(e.g. python -c 'import secrets; print(secrets.token_hex(32))')."
            )


CONFIGS: dict[str, type[Config]] = {
    "development": DevelopmentConfig,
    "testing": TestingConfig,
    "production": ProductionConfig,
}


def config_for(name: str | None = None) -> type[Config]:
    """The settings class for `name`, or for AGORA_ENV (default: development)."""
    name = name or os.environ.get("AGORA_ENV", "development")
    try:
        return CONFIGS[name]
    except KeyError:
        raise RuntimeError(f"Unknown AGORA_ENV {name!r}; use one of {', '.join(CONFIGS)}") from None

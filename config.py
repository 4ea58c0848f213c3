"""Settings for Agora: one class per environment, read from the environment when an app is built, never on import."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

BASE_DIR = Path(__file__).resolve().parent

# A key that is only good for development; production refuses to start with it.
DEV_SECRET_KEY = "dev-only-not-secret"  # noqa: S105 - a marker, refused in production

LANGUAGES = {
    "en": "English",
    "el": "Ελληνικά",
    "pl": "Polski",
    "sq": "Shqip",
    "he": "עברית",
}


class Env:
    """Typed reads from an environment mapping (os.environ unless a test passes its own)."""

    def __init__(self, environ: Mapping[str, str]) -> None:
        self.environ = environ

    def text(self, name: str, default: str) -> str:
        return self.environ.get(name, default)

    def integer(self, name: str, default: int) -> int:
        return int(self.environ.get(name, str(default)))

    def number(self, name: str, default: float) -> float:
        return float(self.environ.get(name, str(default)))

    def flag(self, name: str, default: bool) -> bool:
        value = self.environ.get(name)
        if value is None:
            return default
        return value.strip().lower() in {"1", "true", "yes", "on"}


def instance_dir(env: Env) -> Path:
    """Where the SQLite database and the search index live unless configured otherwise."""
    return Path(env.text("AGORA_INSTANCE_DIR", str(BASE_DIR / "instance")))


class Config:
    """Settings shared by every environment. Class attributes are fixed; `read` takes the rest from the
    environment each time settings are built, so a variable set after this module was imported still counts."""

    # Sessions and cookies: HttpOnly and SameSite=Lax everywhere, Secure in production.
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    REMEMBER_COOKIE_HTTPONLY = True
    REMEMBER_COOKIE_SAMESITE = "Lax"
    REMEMBER_COOKIE_DURATION = 60 * 60 * 24 * 30

    WTF_CSRF_ENABLED = True
    WTF_CSRF_TIME_LIMIT = None  # tied to the session, so a long answer never loses its token

    # Cap request bodies so an oversized post is refused early (413); forms that carry attachments may send
    # ATTACHMENTS_PER_POST files of ATTACHMENT_MAX_BYTES (app/attachments/views.py).
    MAX_CONTENT_LENGTH = 1024 * 1024

    BABEL_DEFAULT_LOCALE = "en"
    BABEL_DEFAULT_TIMEZONE = "UTC"
    RTL_LANGUAGES = frozenset({"he", "ar", "fa", "ur"})
    RATELIMIT_HEADERS_ENABLED = True
    PAGE_SIZE = 20
    # With PUBLIC_URL unset, links in e-mail and feeds use the address the request came to. Never in
    # production: there anyone can send a Host header and would steer the links others are mailed.
    PUBLIC_URL_FROM_REQUEST = True

    @classmethod
    def build(cls, environ: Mapping[str, str] | None = None) -> dict[str, Any]:
        """Every setting of this environment, from `environ` (default: os.environ) as it is now."""
        env = Env(os.environ if environ is None else environ)
        fixed = {name: getattr(cls, name) for name in dir(cls) if name.isupper()}
        return {**fixed, **cls.read(env)}

    @classmethod
    def read(cls, env: Env) -> dict[str, Any]:
        instance = instance_dir(env)
        secure_cookies = env.flag("SESSION_COOKIE_SECURE", False)
        return {
            "INSTANCE_DIR": str(instance),
            "SECRET_KEY": env.text("SECRET_KEY", DEV_SECRET_KEY),
            "DATABASE_URL": env.text("DATABASE_URL", f"sqlite:///{instance / 'agora.db'}"),
            "SEARCH_INDEX_DIR": env.text("SEARCH_INDEX_DIR", str(instance / "search-index")),
            # "whoosh" (an index on local disk) or "postgres" (full-text search in the database, for several
            # app servers).
            "SEARCH_BACKEND": env.text("SEARCH_BACKEND", "whoosh"),
            # How long a server keeps a question's related questions (ids only) before asking the index again;
            # a Whoosh index change renews them at once, PostgreSQL's only by this.
            "RELATED_CACHE_SECONDS": env.integer("RELATED_CACHE_SECONDS", 600),
            # Searches count matches up to this many, then say "1,000+ results"; PostgreSQL ranks that many of the
            # newest matches by relevance (app/search/backend.py).
            "SEARCH_MATCH_CAP": env.integer("SEARCH_MATCH_CAP", 1000),
            # Rendered answers kept per worker process (app/forum/fragments.py); 0 turns the cache off.
            "FRAGMENT_CACHE_SIZE": env.integer("FRAGMENT_CACHE_SIZE", 5000),
            # Attachments: "local" keeps files in ATTACHMENT_DIR (a shared disk when there are several servers), "s3"
            # in an S3-compatible bucket (empty keys: boto3's own credential chain, e.g. an instance role).
            "ATTACHMENT_STORAGE": env.text("ATTACHMENT_STORAGE", "local"),
            "ATTACHMENT_DIR": env.text("ATTACHMENT_DIR", str(instance / "attachments")),
            "ATTACHMENT_S3_BUCKET": env.text("ATTACHMENT_S3_BUCKET", ""),
            "ATTACHMENT_S3_PREFIX": env.text("ATTACHMENT_S3_PREFIX", "attachments/"),
            "ATTACHMENT_S3_ENDPOINT_URL": env.text("ATTACHMENT_S3_ENDPOINT_URL", ""),
            "ATTACHMENT_S3_REGION": env.text("ATTACHMENT_S3_REGION", ""),
            "ATTACHMENT_S3_ACCESS_KEY_ID": env.text("ATTACHMENT_S3_ACCESS_KEY_ID", ""),
            "ATTACHMENT_S3_SECRET_ACCESS_KEY": env.text("ATTACHMENT_S3_SECRET_ACCESS_KEY", ""),
            "ATTACHMENT_MAX_BYTES": env.integer("ATTACHMENT_MAX_BYTES", 5 * 1024 * 1024),
            "ATTACHMENTS_PER_POST": env.integer("ATTACHMENTS_PER_POST", 10),
            "ATTACHMENT_DAILY_QUOTA": env.integer("ATTACHMENT_DAILY_QUOTA", 50),
            "NEW_ACCOUNT_ATTACHMENT_DAILY_QUOTA": env.integer("NEW_ACCOUNT_ATTACHMENT_DAILY_QUOTA", 10),
            "ATTACHMENT_MAX_SIDE": env.integer("ATTACHMENT_MAX_SIDE", 2560),
            "ATTACHMENT_MAX_PIXELS": env.integer("ATTACHMENT_MAX_PIXELS", 40_000_000),
            "SQL_ECHO": env.flag("SQL_ECHO", False),
            "SESSION_COOKIE_SECURE": secure_cookies,
            "REMEMBER_COOKIE_SECURE": secure_cookies,
            "LANGUAGES": dict(LANGUAGES),
            # How many proxies (load balancer, nginx) stand in front of the app and add X-Forwarded-For/-Proto; 0
            # trusts none of those headers, as is right when visitors reach gunicorn directly.
            "TRUSTED_PROXIES": env.integer("TRUSTED_PROXIES", 0),
            "RATELIMIT_ENABLED": env.flag("RATELIMIT_ENABLED", True),
            "RATELIMIT_STORAGE_URI": env.text("RATELIMIT_STORAGE_URI", "memory://"),
            # Prepended to every rate-limit key: two sites (or a staging copy) may share a Redis but not their counts.
            "RATELIMIT_KEY_PREFIX": env.text("RATELIMIT_KEY_PREFIX", ""),
            "LOGIN_RATE_LIMIT": env.text("LOGIN_RATE_LIMIT", "10 per minute;50 per hour"),
            # Failed sign-ins per account (from any address), then a wait that doubles per failure up to a cap.
            "LOGIN_ACCOUNT_RATE_LIMIT": env.text("LOGIN_ACCOUNT_RATE_LIMIT", "10 per 15 minutes"),
            "LOGIN_ACCOUNT_DELAY": env.integer("LOGIN_ACCOUNT_DELAY", 60),
            "LOGIN_ACCOUNT_MAX_DELAY": env.integer("LOGIN_ACCOUNT_MAX_DELAY", 900),
            "REGISTER_RATE_LIMIT": env.text("REGISTER_RATE_LIMIT", "5 per hour"),
            # Password-reset requests per address, then reset mails per account (further requests get the same
            # answer, but no mail); confirmation links and address changes per member.
            "PASSWORD_RESET_RATE_LIMIT": env.text("PASSWORD_RESET_RATE_LIMIT", "5 per hour"),
            "PASSWORD_RESET_ACCOUNT_RATE_LIMIT": env.text("PASSWORD_RESET_ACCOUNT_RATE_LIMIT", "3 per hour"),
            "ACCOUNT_MAIL_RATE_LIMIT": env.text("ACCOUNT_MAIL_RATE_LIMIT", "5 per hour"),
            "POST_RATE_LIMIT": env.text("POST_RATE_LIMIT", "10 per minute;100 per day"),
            # Accounts younger than a day get tighter limits: the cheapest defence against throwaway spam accounts.
            "NEW_ACCOUNT_POST_RATE_LIMIT": env.text("NEW_ACCOUNT_POST_RATE_LIMIT", "3 per minute;20 per day"),
            "FLAG_RATE_LIMIT": env.text("FLAG_RATE_LIMIT", "10 per hour"),
            # Webhooks: delivered by a background thread after the commit ("thread"; a job worker with REDIS_URL), in
            # the committing request ("inline", the tests), or only by `flask webhooks deliver` ("off"). Private,
            # loopback and link-local addresses are refused unless allowed (a request-forgery guard).
            "WEBHOOK_DELIVERY": env.text("WEBHOOK_DELIVERY", "thread"),
            "WEBHOOK_ALLOW_PRIVATE": env.flag("WEBHOOK_ALLOW_PRIVATE", False),
            "WEBHOOK_TIMEOUT": env.number("WEBHOOK_TIMEOUT", 10.0),
            "WEBHOOK_DISABLE_AFTER": env.integer("WEBHOOK_DISABLE_AFTER", 15),
            "WEBHOOK_UNANSWERED_HOURS": env.integer("WEBHOOK_UNANSWERED_HOURS", 24),
            # Every API request, per token (per address without one); posting, kudos and flags keep their own.
            "API_RATE_LIMIT": env.text("API_RATE_LIMIT", "120 per minute;5000 per hour"),
            "NEW_ACCOUNT_FLAG_RATE_LIMIT": env.text("NEW_ACCOUNT_FLAG_RATE_LIMIT", "3 per hour"),
            # Argon2id cost: the library's defaults (RFC 9106 low-memory profile) in production.
            "ARGON2_TIME_COST": env.integer("ARGON2_TIME_COST", 3),
            "ARGON2_MEMORY_COST": env.integer("ARGON2_MEMORY_COST", 65536),
            # A Redis server shared by the app servers (/readyz checks it answers). Question views are counted there
            # when it is set, else in memory, and added to the database every VIEW_FLUSH_EVERY views or
            # VIEW_FLUSH_SECONDS seconds, whichever comes first.
            "REDIS_URL": env.text("REDIS_URL", ""),
            "VIEW_FLUSH_EVERY": env.integer("VIEW_FLUSH_EVERY", 100),
            "VIEW_FLUSH_SECONDS": env.integer("VIEW_FLUSH_SECONDS", 30),
            # Background jobs: with REDIS_URL set, work after a commit (mail, search outbox, webhooks, exports) and
            # the periodic jobs run in `flask jobs worker` processes (RQ); without it, in this process after commit.
            # Queues are named JOBS_PREFIX and JOBS_PREFIX-bulk. A failing job is tried JOBS_RETRIES more times,
            # after JOBS_RETRY_SECONDS, then twice as long each time. The sweep (every JOBS_SWEEP_SECONDS) does
            # whatever the outbox tables still hold, so a lost queue message only delays work.
            "JOBS_PREFIX": env.text("JOBS_PREFIX", "agora"),
            "JOBS_RETRIES": env.integer("JOBS_RETRIES", 5),
            "JOBS_RETRY_SECONDS": env.integer("JOBS_RETRY_SECONDS", 10),
            "JOBS_TIMEOUT": env.integer("JOBS_TIMEOUT", 900),
            "JOBS_SWEEP_SECONDS": env.integer("JOBS_SWEEP_SECONDS", 60),
            "JOBS_OVERDUE_SECONDS": env.integer("JOBS_OVERDUE_SECONDS", 900),
            "JOBS_DIGEST_HOUR": env.integer("JOBS_DIGEST_HOUR", 7),  # the daily digest goes from this hour (UTC) on
            # The page cache for signed-out visitors (app/web/page_cache.py): in Redis when REDIS_URL is set (under
            # the PAGE_CACHE_KEY prefix), else PAGE_CACHE_SIZE pages in each process; a page lives at most
            # PAGE_CACHE_TTL seconds, and every change a visitor could see invalidates it at once.
            "PAGE_CACHE": env.flag("PAGE_CACHE", True),
            "PAGE_CACHE_TTL": env.integer("PAGE_CACHE_TTL", 300),
            # Visitors' search pages: every different search is a page of its own, so they are kept briefly.
            "PAGE_CACHE_SEARCH_TTL": env.integer("PAGE_CACHE_SEARCH_TTL", 60),
            "PAGE_CACHE_SIZE": env.integer("PAGE_CACHE_SIZE", 2000),
            "PAGE_CACHE_KEY": env.text("PAGE_CACHE_KEY", "agora:pages"),
            # Absolute links in e-mail and feeds. Unset outside production: the address the site is reached at
            # (so `flask run --port 8000` links to port 8000).
            "PUBLIC_URL": env.text("PUBLIC_URL", ""),
            # E-mail: with no MAIL_SERVER, mail is kept in the email_messages table and the log.
            "MAIL_SERVER": env.text("MAIL_SERVER", ""),
            "MAIL_PORT": env.integer("MAIL_PORT", 587),
            "MAIL_USERNAME": env.text("MAIL_USERNAME", ""),
            "MAIL_PASSWORD": env.text("MAIL_PASSWORD", ""),
            "MAIL_USE_TLS": env.flag("MAIL_USE_TLS", True),
            "MAIL_FROM": env.text("MAIL_FROM", "Nimbus Community <community@example.com>"),
            "MAIL_TIMEOUT": env.integer("MAIL_TIMEOUT", 20),  # seconds to wait for the mail server
            # A CA bundle to check the mail server's STARTTLS certificate against (a private CA); default: the system's.
            "MAIL_TLS_CA_FILE": env.text("MAIL_TLS_CA_FILE", ""),
            # Message-ID, List-Id and thread ids are on this domain (default: PUBLIC_URL's host name).
            "MAIL_DOMAIN": env.text("MAIL_DOMAIN", ""),
            # Replies by e-mail: Reply-To is reply+<signed token>@MAIL_REPLY_DOMAIN, and the mail server pipes what
            # arrives there into `flask mail receive`. Empty: mail carries no Reply-To.
            "MAIL_REPLY_DOMAIN": env.text("MAIL_REPLY_DOMAIN", ""),
            "MAIL_REPLY_DAYS": env.integer("MAIL_REPLY_DAYS", 30),  # how long a Reply-To token stays good
            "MAIL_REPLY_MAX_BYTES": env.integer("MAIL_REPLY_MAX_BYTES", 1_000_000),
            # An address that unsubscribes its sender (a second List-Unsubscribe target); optional.
            "MAIL_UNSUBSCRIBE_MAILTO": env.text("MAIL_UNSUBSCRIBE_MAILTO", ""),
            # A temporary failure (server down, 4xx) is tried again with growing delays for this long.
            "MAIL_RETRY_HOURS": env.integer("MAIL_RETRY_HOURS", 48),
            # After this many permanent refusals (5xx) an address gets no more mail until its member fixes it.
            "MAIL_BOUNCE_LIMIT": env.integer("MAIL_BOUNCE_LIMIT", 3),
            # Moderators see that a private case exists, its status and public note; only when they are the
            # company's employees may they read its conversation and internal notes (many communities'
            # moderators are volunteers).
            "CASE_CONTENT_FOR_MODERATORS": env.flag("CASE_CONTENT_FOR_MODERATORS", False),
            # Privacy: how long a data export can be downloaded; exports gathering more rows than this are prepared
            # in a background thread instead of before the next page.
            "EXPORT_HOURS": env.integer("EXPORT_HOURS", 72),
            "EXPORT_INLINE_MAX_ROWS": env.integer("EXPORT_INLINE_MAX_ROWS", 2000),
            "EXPORT_RATE_LIMIT": env.text("EXPORT_RATE_LIMIT", "3 per day"),
            # A deleted member's questions stay as "Former member" ("keep"), or those nobody answered go
            # ("remove_unanswered"); their private cases' conversations stay this many days, then
            # `flask privacy purge` deletes them.
            "DELETED_MEMBER_QUESTIONS": env.text("DELETED_MEMBER_QUESTIONS", "keep"),
            "CASE_RETENTION_DAYS": env.integer("CASE_RETENTION_DAYS", 365),
            # What one support ticket costs the company, for the deflection estimate on the insights page.
            "TICKET_COST": env.number("TICKET_COST", 12.0),
            # The currency of TICKET_COST, an ISO 4217 code: the dashboard writes amounts with its symbol.
            "TICKET_CURRENCY": env.text("TICKET_CURRENCY", "EUR").strip().upper(),
            # Operating it: request logs as JSON lines (LOG_FORMAT=json), /metrics for these networks or this token.
            "LOG_FORMAT": env.text("LOG_FORMAT", "text"),
            "LOG_REQUESTS": env.flag("LOG_REQUESTS", True),
            "METRICS_ALLOWED_NETWORKS": env.text("METRICS_ALLOWED_NETWORKS", "127.0.0.0/8,::1/128"),
            "METRICS_TOKEN": env.text("METRICS_TOKEN", ""),
            # Sign-in with the company's OpenID Connect provider: on when OIDC_ISSUER is set (its discovery document is
            # read from <issuer>/.well-known/openid-configuration at the first sign-in).
            "OIDC_ISSUER": env.text("OIDC_ISSUER", "").strip().rstrip("/"),
            "OIDC_CLIENT_ID": env.text("OIDC_CLIENT_ID", ""),
            "OIDC_CLIENT_SECRET": env.text("OIDC_CLIENT_SECRET", ""),
            # The button's text; empty: "Sign in with your company account" in the reader's language.
            "OIDC_BUTTON_TEXT": env.text("OIDC_BUTTON_TEXT", ""),
            # Members sign in only through the provider; admins keep a password as a fallback.
            "OIDC_ONLY": env.flag("OIDC_ONLY", False),
            "OIDC_RATE_LIMIT": env.text("OIDC_RATE_LIMIT", "20 per minute;100 per hour"),
        }

    @classmethod
    def check(cls, settings: Mapping[str, Any]) -> None:
        """Refuse settings this environment must not run with (nothing, except in production)."""


class DevelopmentConfig(Config):
    DEBUG = True


class TestingConfig(Config):
    TESTING = True
    SERVER_NAME = None

    @classmethod
    def read(cls, env: Env) -> dict[str, Any]:
        return {
            **super().read(env),
            "SECRET_KEY": "testing-secret",
            "DATABASE_URL": env.text("TEST_DATABASE_URL", "sqlite://"),
            "RATELIMIT_ENABLED": False,
            "WEBHOOK_DELIVERY": "inline",
            # Off for the suite, whose tests read pages right after changing data through their own sessions;
            # tests/test_page_cache.py and the privacy canary turn it on.
            "PAGE_CACHE": env.flag("PAGE_CACHE", False),
            # Still Argon2id, just cheap enough that a test suite can create hundreds of accounts.
            "ARGON2_TIME_COST": 1,
            "ARGON2_MEMORY_COST": 8 * 1024,
        }


class ProductionConfig(Config):
    PREFERRED_URL_SCHEME = "https"
    PUBLIC_URL_FROM_REQUEST = False

    @classmethod
    def read(cls, env: Env) -> dict[str, Any]:
        return {
            **super().read(env),
            # Browsers remember to use HTTPS only (a year by default); 0 switches the header off.
            "HSTS_MAX_AGE": env.integer("HSTS_MAX_AGE", 365 * 24 * 3600),
            "SESSION_COOKIE_SECURE": True,
            "REMEMBER_COOKIE_SECURE": True,
        }

    @classmethod
    def check(cls, settings: Mapping[str, Any]) -> None:
        key = settings.get("SECRET_KEY") or ""
        if key == DEV_SECRET_KEY or len(key) < 32:
            raise RuntimeError(
                "SECRET_KEY must be set to a random value of at least 32 characters in production "
                "(e.g. python -c 'import secrets; print(secrets.token_hex(32))')."
            )


CONFIGS: dict[str, type[Config]] = {
    "development": DevelopmentConfig,
    "testing": TestingConfig,
    "production": ProductionConfig,
}


def config_class(name: str | None = None) -> type[Config]:
    """The settings class for `name`, or for AGORA_ENV (default: development)."""
    name = name or os.environ.get("AGORA_ENV", "development")
    try:
        return CONFIGS[name]
    except KeyError:
        raise RuntimeError(f"Unknown AGORA_ENV {name!r}; use one of {', '.join(CONFIGS)}") from None


def config_for(name: str | None = None) -> dict[str, Any]:
    """The settings of environment `name` (or AGORA_ENV), read from os.environ now."""
    return config_class(name).build()


def settings_for(config: str | type[Config] | Mapping[str, Any] | None = None) -> dict[str, Any]:
    """What create_app() is given, as settings: an environment name, a settings class, or overrides of an
    environment's settings (its name under ENV_NAME, "testing" by default). Checked after the overrides,
    so what is refused is what the app would run with."""
    overrides: dict[str, Any] = {}
    if isinstance(config, Mapping):
        overrides = dict(config)
        config = overrides.pop("ENV_NAME", "testing")
    settings_class = config if isinstance(config, type) else config_class(config)
    settings = {**settings_class.build(), **overrides}
    settings_class.check(settings)
    return settings

"""The application factory."""

from __future__ import annotations

from typing import Any

from flask import Flask
from flask_babel import lazy_gettext

from config import Config, settings_for


def create_app(config: str | type[Config] | dict[str, Any] | None = None) -> Flask:
    """Build an Agora app. `config` is an environment name, a settings class, or overrides (tests); the
    environment is read now, not when config.py was imported."""
    settings = settings_for(config)
    app = Flask(
        __name__,
        template_folder="../templates",
        static_folder="../static",
        instance_path=str(settings["INSTANCE_DIR"]),
    )
    app.config.update(settings)

    register_extensions(app)
    register_blueprints(app)
    retry_lost_races(app)
    register_errorhandlers(app)
    register_commands(app)
    register_search(app)
    register_notifications(app)
    register_webhooks(app)
    register_jobs(app)
    register_view_counts(app)
    register_page_cache(app)
    register_operations(app)
    return app


def register_page_cache(app: Flask) -> None:
    """Signed-out visitors' pages served from a cache (app/web/page_cache.py), after every other before-request
    check has seen the request."""
    from app.web.page_cache import register_page_cache as register

    register(app)


def register_view_counts(app: Flask) -> None:
    """Question views are counted outside the database and added to it in batches (app/forum/view_counts.py)."""
    from app.forum import view_counts

    app.extensions["agora_views"] = view_counts.make_counter(app.config)


def register_webhooks(app: Flask) -> None:
    """Webhook deliveries leave after the commit that recorded them (through the jobs, below)."""
    from app.webhooks import runner

    runner.register(app)


def register_jobs(app: Flask) -> None:
    """After a commit, its flags become jobs (search outbox, mail, webhooks, exports): in RQ workers when REDIS_URL is
    set, in this process otherwise (app/jobs)."""
    from app import jobs

    jobs.register(app)


def register_operations(app: Flask) -> None:
    """Request ids, request logs and metrics; registered last so that their timer wraps every other hook."""
    from app.ops.observe import register_observability

    register_observability(app)


def register_search(app: Flask) -> None:
    """The search backend, drained after every commit that changed something searchable (a job) and when a server
    starts; a lost or out-of-step index is noticed by the first search (or a failed write) and rebuilt in the
    background."""
    from app.search import service as search
    from app.search.recovery import Recovery

    backend = search.make_backend(app)
    backend.create()
    app.extensions["agora_search"] = backend
    app.extensions["agora_search_recovery"] = Recovery(app)
    if not app.testing:
        app.before_request(_catch_up_once(app))


def _catch_up_once(app: Flask):
    """At a server's start (its first request), apply outbox rows left by a crash between commit and
    indexing, in the background. Not in create_app: every `flask` command builds an app, and none of them
    should touch the index unasked."""
    import threading

    from app.search import service as search

    started = threading.Event()

    def catch_up() -> None:
        if not started.is_set():
            started.set()
            threading.Thread(target=search.drain_app, args=(app,), name="search-catch-up", daemon=True).start()

    return catch_up


def register_notifications(app: Flask) -> None:
    """Links in e-mail, signed unsubscribe tokens, and the sender that delivers mail (a job after each commit)."""
    from app.notifications import links, mail

    from_request = app.config["PUBLIC_URL_FROM_REQUEST"]
    if not app.config["PUBLIC_URL"] and not from_request:
        app.logger.warning("PUBLIC_URL is not set: e-mail and feeds link to %s", links.FALLBACK_URL)
    app.extensions[links.EXTENSION] = links.make_signer(
        app.config["SECRET_KEY"], app.config["PUBLIC_URL"], from_request=from_request
    )
    app.extensions["agora_mail_sender"] = mail.make_sender(app.config)


def register_extensions(app: Flask) -> None:
    from app.accounts import oidc, passwords
    from app.accounts.views import load_user
    from app.attachments import views as attachments
    from app.db import db
    from app.errors import keep_retry_after
    from app.extensions import babel, csrf, limiter, login_manager
    from app.web import register_web, select_locale

    db.init_app(app)
    passwords.init_app(app)
    oidc.init_app(app)
    csrf.init_app(app)
    babel.init_app(app, locale_selector=select_locale)
    # Registered before the limiter so that it runs after it: Flask runs after-request hooks newest first.
    app.after_request(keep_retry_after)
    limiter.init_app(app)
    login_manager.init_app(app)
    login_manager.login_view = "accounts.login"
    login_manager.login_message = lazy_gettext("Please sign in to continue.")
    login_manager.login_message_category = "info"
    login_manager.user_loader(load_user)
    register_web(app)
    # First of the before-request hooks (the CSRF check and the control-character check read the form): a form
    # with files may be larger than MAX_CONTENT_LENGTH.
    attachments.init_app(app)


def register_blueprints(app: Flask) -> None:
    from app.accounts.company_views import bp as company_bp
    from app.accounts.views import bp as accounts_bp
    from app.admin.views import bp as admin_bp
    from app.api.auth import register as register_api_tokens
    from app.api.pages import bp as api_tokens_bp
    from app.api.views import bp as api_bp
    from app.attachments.views import bp as attachments_bp
    from app.escalation.views import bp as escalation_bp
    from app.forum.views import bp as forum_bp
    from app.insights.views import bp as insights_bp
    from app.moderation.views import bp as moderation_bp
    from app.notifications.views import bp as notifications_bp
    from app.ops.probes import bp as ops_bp
    from app.privacy.views import bp as privacy_bp
    from app.reputation.views import bp as reputation_bp
    from app.search.views import bp as search_bp
    from app.webhooks.views import bp as webhooks_bp

    app.register_blueprint(forum_bp)
    app.register_blueprint(accounts_bp)
    app.register_blueprint(company_bp)
    app.register_blueprint(reputation_bp)
    app.register_blueprint(moderation_bp)
    app.register_blueprint(escalation_bp)
    app.register_blueprint(search_bp)
    app.register_blueprint(notifications_bp)
    app.register_blueprint(insights_bp)
    app.register_blueprint(ops_bp)
    app.register_blueprint(api_bp)
    app.register_blueprint(api_tokens_bp)
    app.register_blueprint(webhooks_bp)
    register_api_tokens(app)
    app.register_blueprint(admin_bp)
    app.register_blueprint(privacy_bp)
    app.register_blueprint(attachments_bp)


def retry_lost_races(app: Flask) -> None:
    """Every view runs again when PostgreSQL ends its transaction as a deadlock or serialization failure."""
    from app.db import db

    for endpoint, view in list(app.view_functions.items()):
        if endpoint != "static":
            app.view_functions[endpoint] = db.retrying(view)


def register_errorhandlers(app: Flask) -> None:
    from app.errors import register_error_handlers

    register_error_handlers(app)


def register_commands(app: Flask) -> None:
    """Each domain's commands, from its cli.py."""
    from app.accounts import cli as accounts_cli
    from app.attachments import cli as attachments_cli
    from app.demo import cli as demo_cli
    from app.escalation import cli as escalation_cli
    from app.jobs import cli as jobs_cli
    from app.notifications import cli as notifications_cli
    from app.ops import cli as ops_cli
    from app.privacy import cli as privacy_cli
    from app.reputation import cli as reputation_cli
    from app.search import cli as search_cli
    from app.webhooks import cli as webhooks_cli

    domains = (
        accounts_cli,
        reputation_cli,
        escalation_cli,
        notifications_cli,
        search_cli,
        demo_cli,
        ops_cli,
        webhooks_cli,
        privacy_cli,
        attachments_cli,
        jobs_cli,
    )
    for module in domains:
        for command in module.COMMANDS:
            app.cli.add_command(command)

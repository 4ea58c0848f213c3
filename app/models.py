"""Imports every domain's models so Base.metadata knows all tables (Alembic, tests, create_all)."""

from __future__ import annotations


def import_all_models() -> None:
    import app.accounts.models
    import app.api.models
    import app.attachments.models
    import app.escalation.models
    import app.forum.models
    import app.moderation.models
    import app.notifications.models
    import app.privacy.models
    import app.reputation.models
    import app.search.models
    import app.webhooks.models  # noqa: F401

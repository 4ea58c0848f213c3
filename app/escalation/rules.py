"""Case categories, priorities and response-time targets (hours), overridable per deployment."""

from __future__ import annotations

import json
import os
from datetime import timedelta

CATEGORIES = ("billing", "account", "privacy", "legal", "other")
PRIORITIES = ("low", "normal", "high", "urgent")

# First staff response due this many hours after the case opens.
FIRST_RESPONSE_HOURS: dict[str, int] = {"urgent": 1, "high": 4, "normal": 8, "low": 24}
# Resolution due this many hours after the case opens (the clock the inbox shows once staff replied).
RESOLUTION_HOURS: dict[str, int] = {"urgent": 8, "high": 24, "normal": 72, "low": 120}
# Categories with their own targets, e.g. legal matters get longer because counsel is involved.
CATEGORY_OVERRIDES: dict[str, dict[str, dict[str, int]]] = {
    "legal": {"first_response": {"normal": 24, "low": 48}, "resolution": {"normal": 240, "low": 336}},
}
REOPEN_DAYS = int(os.environ.get("CASE_REOPEN_DAYS", "14"))

# CASE_TARGETS='{"billing": {"first_response": {"high": 2}}}' adjusts targets without a code change.
for category, override in json.loads(os.environ.get("CASE_TARGETS", "{}")).items():
    CATEGORY_OVERRIDES.setdefault(category, {}).update(override)


def first_response_target(category: str, priority: str) -> timedelta:
    hours = CATEGORY_OVERRIDES.get(category, {}).get("first_response", {}).get(priority)
    return timedelta(hours=hours or FIRST_RESPONSE_HOURS[priority])


def resolution_target(category: str, priority: str) -> timedelta:
    hours = CATEGORY_OVERRIDES.get(category, {}).get("resolution", {}).get(priority)
    return timedelta(hours=hours or RESOLUTION_HOURS[priority])

"""Insights' one entry point for views, the CLI and the bench: `from app.insights import service`.

The SQL lives in figures, the dashboard and the unanswered list in dashboard, the CSV in export.
"""

from __future__ import annotations

from app.insights.dashboard import (
    ANSWERED_WITHIN_HOURS,
    CATEGORY_LABELS,
    DEFAULT_PERIOD,
    PERIODS,
    TOP_HELPERS,
    UNANSWERED_LIMIT,
    Dashboard,
    InsightsQuery,
    Unanswered,
    Window,
    boards,
    dashboard,
    unanswered,
)
from app.insights.export import _text, export_csv, figures
from app.insights.figures import WEEKS, CaseFigures, WeekPoint, _at, seconds_between

__all__ = [
    "ANSWERED_WITHIN_HOURS",
    "CATEGORY_LABELS",
    "DEFAULT_PERIOD",
    "PERIODS",
    "TOP_HELPERS",
    "UNANSWERED_LIMIT",
    "WEEKS",
    "CaseFigures",
    "Dashboard",
    "InsightsQuery",
    "Unanswered",
    "WeekPoint",
    "Window",
    "_at",  # the tests check SQL durations and spreadsheet-safe text through these two helpers
    "_text",
    "boards",
    "dashboard",
    "export_csv",
    "figures",
    "seconds_between",
    "unanswered",
]

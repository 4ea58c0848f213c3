"""The dashboard as CSV: every figure as a `figure,value` row, then the weekly series."""

from __future__ import annotations

import csv
import io

from app.insights.dashboard import ANSWERED_WITHIN_HOURS, Dashboard


def _number(value: float | None, digits: int = 4) -> str:
    if value is None:
        return ""
    return str(int(value)) if float(value).is_integer() else f"{value:.{digits}f}".rstrip("0")


def _text(value: str) -> str:
    """A text cell a spreadsheet will not run as a formula (usernames may start with "-")."""
    return f"'{value}" if value[:1] in ("=", "+", "-", "@", "\t", "\r") else value


def figures(report: Dashboard) -> list[tuple[str, str]]:
    """Every figure as (name, value): the CSV's first block. Durations in seconds, shares as fractions."""
    cases = report.cases
    rows: list[tuple[str, str]] = [
        ("period_days", str(report.window.days)),
        ("board", _text(report.window.board.slug) if report.window.board else "all"),
        ("questions_asked", _number(report.asked)),
        ("questions_answered", _number(report.answered)),
        ("median_seconds_to_first_answer", _number(report.median_first_answer)),
        ("p90_seconds_to_first_answer", _number(report.p90_first_answer)),
        *[(f"share_answered_within_{hours}h", _number(report.within_share(hours))) for hours in ANSWERED_WITHIN_HOURS],
        ("questions_solved", _number(report.solved)),
        ("share_solved", _number(report.solved_share)),
        ("median_seconds_to_solution", _number(report.median_solution)),
        ("unanswered_after_24h", _number(report.unanswered)),
        ("community_answers", _number(report.community_answers)),
        ("staff_answers", _number(report.staff_answers)),
        ("escalations", _number(cases.opened)),
        *[(f"escalations_{category}", _number(n)) for category, n in cases.by_category],
        ("median_seconds_to_first_staff_response", _number(cases.median_first_response)),
        ("share_first_response_within_target", _number(cases.within_target_share)),
        ("share_cases_overdue", _number(cases.overdue_share)),
        ("solved_without_escalation", _number(report.deflected)),
        ("cost_per_ticket", _number(report.ticket_cost)),
        ("deflection_estimate", _number(report.deflection_value, 2)),
    ]
    for place, (user, points) in enumerate(report.helpers, start=1):
        rows += [(f"top_helper_{place}", _text(user.username)), (f"top_helper_{place}_points", str(points))]
    return rows


def export_csv(report: Dashboard) -> str:
    """The figures as `figure,value` rows, a blank line, then the weekly series as `series,week,value` rows."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(("figure", "value"))
    writer.writerows(figures(report))
    writer.writerow(())
    writer.writerow(("series", "week", "value"))
    for name, points in report.series.items():
        writer.writerows((name, point.start.date().isoformat(), _number(point.value)) for point in points)
    return out.getvalue()

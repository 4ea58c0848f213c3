"""The staff insights dashboard, its CSV export and the list of questions still waiting for an answer."""

from __future__ import annotations

import re

from flask import Blueprint, Response, current_app, render_template, request
from flask_babel import format_currency, format_date, format_decimal, format_percent
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from markupsafe import Markup

from app.auth.access import access
from app.db import db
from app.insights import charts, service

bp = Blueprint("insights", __name__)

# (series key, chart title, what the chart shows); titles are lazy: they are rendered in the reader's language.
CHARTS = (
    ("questions_asked", _l("Questions asked per week"), _l("Questions asked in each of the last 12 weeks.")),
    (
        "median_hours_to_first_answer",
        _l("Median hours to the first answer"),
        _l("Per week, the median time in hours from asking to the first answer."),
    ),
    ("share_solved", _l("Share solved"), _l("Per week, the share of the questions asked that were solved.")),
    ("escalations", _l("Escalations per week"), _l("Support cases opened in each of the last 12 weeks.")),
)


def duration(seconds: float | None) -> str:
    """A waiting time as people say it: minutes under an hour, hours under two days, days after that."""
    if seconds is None:
        return "—"
    if seconds < 3600:
        return _("%(n)s min", n=format_decimal(round(seconds / 60)))
    if seconds < 48 * 3600:
        return _("%(n)s h", n=format_decimal(round(seconds / 3600, 1)))
    return _("%(n)s days", n=format_decimal(round(seconds / 86400, 1)))


def money(amount: float) -> str:
    """An amount in the deployment's currency (TICKET_CURRENCY), written as the reader's language writes money."""
    return format_currency(amount, current_app.config.get("TICKET_CURRENCY", "EUR"))


def percent(share: float | None) -> str:
    return "—" if share is None else format_percent(share, "#,##0.#%")


def _charts(report: service.Dashboard) -> list[tuple[str, Markup, list[tuple[str, str]]]]:
    """(title, SVG, the values as text for the table under the chart) for each weekly series."""
    board = report.window.board
    formats = {"share_solved": percent, "median_hours_to_first_answer": lambda v: format_decimal(round(v, 1))}
    drawn = []
    for key, title, description in CHARTS:
        full_title = f"{title} — {board.name}" if board else str(title)
        points = [(format_date(point.start, "d MMM"), point.value) for point in report.series[key]]
        chart_id = "chart-" + key.replace("_", "-")
        show = formats.get(key, format_decimal)
        no_data = _("no data")
        svg = charts.bar_chart(
            points,
            chart_id=chart_id,
            title=full_title,
            description=str(description),
            format_value=show,
            no_data=no_data,
        )
        drawn.append((full_title, svg, [(label, no_data if value is None else show(value)) for label, value in points]))
    return drawn


def _ticket_cost() -> float:
    """What one support ticket costs this deployment (config, so the service stays free of Flask)."""
    return float(current_app.config.get("TICKET_COST", 12.0))


@bp.get("/insights")
@access("staff")
def dashboard():
    query = service.InsightsQuery.from_args(request.args)
    session = db.session()
    report = service.dashboard(session, current_user, query, ticket_cost=_ticket_cost())
    return render_template(
        "insights/dashboard.html",
        report=report,
        query=query,
        boards=service.boards(session),
        periods=service.PERIODS,
        charts=_charts(report),
        duration=duration,
        percent=percent,
        number=format_decimal,
        money=money,
        category_labels=service.CATEGORY_LABELS,
    )


@bp.get("/insights.csv")
@access("staff")
def export():
    query = service.InsightsQuery.from_args(request.args)
    report = service.dashboard(db.session(), current_user, query, ticket_cost=_ticket_cost())
    # The slug is an admin's text: keep only safe characters in a header value.
    board = re.sub(r"[^a-z0-9-]+", "-", report.window.board.slug.lower()) if report.window.board else "all"
    filename = f"insights-{report.window.now:%Y-%m-%d}-{report.window.days}d-{board}.csv"
    return Response(
        service.export_csv(report),
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


@bp.get("/insights/unanswered")
@access("staff")
def unanswered():
    query = service.InsightsQuery.from_args(request.args)
    result = service.unanswered(db.session(), current_user, query)
    return render_template("insights/unanswered.html", result=result, query=query, limit=service.UNANSWERED_LIMIT)

"""The community-insights figures: SQL aggregates over the questions asked and cases opened in one period.

Every figure is a COUNT, a SUM(CASE ...) or a GROUP BY computed by the database; medians and percentiles are
one ORDER BY ... LIMIT 1 OFFSET k each, with k taken from a count the same filters produced. No rows are
loaded into Python to be counted, so the dashboard costs the same number of statements on any amount of data.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from flask_babel import lazy_gettext as _
from sqlalchemy import Float, Select, and_, case, exists, func, literal, or_, select
from sqlalchemy.exc import CompileError
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import Session, joinedload
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.elements import ColumnElement
from sqlalchemy.sql.functions import FunctionElement

from app.accounts.models import User
from app.auth.permissions import require
from app.db import UTCDateTime, utcnow
from app.errors import BadRequest
from app.escalation import rules
from app.escalation.models import Case
from app.forum.models import Answer, Board, Question
from app.reputation import service as reputation

PERIODS = (7, 30, 90)
DEFAULT_PERIOD = 30
WEEKS = 12
ANSWERED_WITHIN_HOURS = (1, 24, 48)
UNANSWERED_AFTER = timedelta(hours=24)
UNANSWERED_LIMIT = 100
TOP_HELPERS = 5
OPEN_STATES = ("new", "open")  # staff owe a response (escalation.workflow.is_open)
DONE_STATES = ("resolved", "closed")  # a case is only ever closed after it was resolved

CATEGORY_LABELS = {
    "billing": _("Billing"),
    "account": _("Account"),
    "privacy": _("Privacy"),
    "legal": _("Legal"),
    "other": _("Other"),
}


# --- durations in SQL ---------------------------------------------------------------------------


class SecondsBetween(FunctionElement[float]):
    """`end - start` in seconds, as a number: SQLite and PostgreSQL spell it differently (see below)."""

    type = Float()
    name = "seconds_between"
    inherit_cache = True


def seconds_between(start: Any, end: Any) -> SecondsBetween:
    """The SQL expression for the seconds from `start` to `end` (columns, or values bound as UTC times)."""
    return SecondsBetween(start, end)


@compiles(SecondsBetween)
def _seconds_between_unknown(element: SecondsBetween, compiler: SQLCompiler, **kw: Any) -> str:
    raise CompileError(f"seconds_between() has no SQL for the {compiler.dialect.name} dialect")


@compiles(SecondsBetween, "sqlite")
def _seconds_between_sqlite(element: SecondsBetween, compiler: SQLCompiler, **kw: Any) -> str:
    start, end = (compiler.process(argument, **kw) for argument in element.clauses)
    # SQLite keeps UTC times as text, which julianday() reads as a double of days. The difference carries noise
    # in its last digits (about 10 µs), so an answer exactly one hour later would land just past 3600 seconds:
    # rounding to the millisecond, julianday's own resolution, keeps such boundaries exact.
    return f"ROUND((julianday({end}) - julianday({start})) * 86400.0, 3)"


@compiles(SecondsBetween, "postgresql")
def _seconds_between_postgresql(element: SecondsBetween, compiler: SQLCompiler, **kw: Any) -> str:
    start, end = (compiler.process(argument, **kw) for argument in element.clauses)
    return f"EXTRACT(EPOCH FROM ({end}) - ({start}))"


def _at(moment: datetime) -> ColumnElement[datetime]:
    """A Python time as a SQL value stored the way the columns store times (naive UTC text on SQLite)."""
    return literal(moment, UTCDateTime)


def _count_if(condition: ColumnElement[bool]) -> ColumnElement[int]:
    return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)


def _percentile(session: Session, durations: Select[Any], count: int, percent: int) -> float | None:
    """The nearest-rank percentile of the one-column `durations`, which holds `count` rows: an observed value,
    never an interpolation, and the same on every database."""
    if count <= 0:
        return None
    rank = -(-count * percent // 100)  # ceil(count * percent / 100) in integers: no float rounding
    column = durations.selected_columns[0]
    value = session.scalar(durations.order_by(column).limit(1).offset(rank - 1))
    return None if value is None else float(value)


def _share(part: int, whole: int) -> float | None:
    return part / whole if whole else None


# --- what is asked for --------------------------------------------------------------------------


@dataclass(frozen=True)
class InsightsQuery:
    """The period (days back from now) and the board (a slug, or None for all boards)."""

    days: int = DEFAULT_PERIOD
    board_slug: str | None = None

    @classmethod
    def from_args(cls, args: Mapping[str, str]) -> InsightsQuery:
        period = (args.get("period") or str(DEFAULT_PERIOD)).strip()
        if period not in {str(days) for days in PERIODS}:
            raise BadRequest(_("Choose a period of 7, 30 or 90 days."))
        return cls(int(period), (args.get("board") or "").strip() or None)

    def url_args(self) -> dict[str, Any]:
        return {"period": self.days, "board": self.board_slug}


@dataclass(frozen=True)
class Window:
    """A resolved query: the board row, and the period as times."""

    days: int
    board: Board | None
    since: datetime
    now: datetime


def boards(session: Session) -> list[Board]:
    """The boards the filter offers, in their usual order."""
    return list(session.scalars(select(Board).order_by(Board.position, Board.id)))


def _window(session: Session, query: InsightsQuery, now: datetime | None) -> Window:
    if query.days not in PERIODS:
        raise BadRequest(_("Choose a period of 7, 30 or 90 days."))
    board = None
    if query.board_slug is not None:
        board = session.scalar(select(Board).where(Board.slug == query.board_slug))
        if board is None:
            raise BadRequest(_("There is no board called “%(slug)s”.", slug=query.board_slug[:60]))
    now = now or utcnow()
    return Window(query.days, board, now - timedelta(days=query.days), now)


def _asked(since: datetime, now: datetime, board: Board | None) -> list[ColumnElement[bool]]:
    """Questions asked in [since, now) on the board. These figures describe public community performance,
    so hidden questions (removed by moderators) and private ones (withdrawn into a support case) are left
    out; the escalation figures, on the other hand, count every case, private question or not."""
    conditions = [
        Question.created_at >= since,
        Question.created_at < now,
        Question.is_hidden.is_(False),
        Question.is_private.is_(False),
    ]
    if board is not None:
        conditions.append(Question.board_id == board.id)
    return conditions


def _waiting(now: datetime) -> list[ColumnElement[bool]]:
    """Unanswered for over a day, and still open to answers: no visible answer (the forum's own "unanswered"),
    not locked, not closed as a duplicate (nobody can act on those)."""
    return [
        Question.answer_count == 0,
        Question.created_at < now - UNANSWERED_AFTER,
        Question.is_locked.is_(False),
        Question.duplicate_of_id.is_(None),
    ]


def _opened(since: datetime, now: datetime, board: Board | None, statement: Select[Any]) -> Select[Any]:
    """`statement` over the cases opened in [since, now) on questions of the board."""
    statement = statement.where(Case.opened_at >= since, Case.opened_at < now)
    if board is not None:
        statement = statement.join(Question, Question.id == Case.question_id).where(Question.board_id == board.id)
    return statement


def _first_response_target() -> ColumnElement[float]:
    """Each case's first-response target in seconds, as SQL built from the rules (category overrides included)."""
    return case(
        *[
            (
                and_(Case.category == category, Case.priority == priority),
                rules.first_response_target(category, priority).total_seconds(),
            )
            for category in rules.CATEGORIES
            for priority in rules.PRIORITIES
        ]
    )


# --- the figures --------------------------------------------------------------------------------


@dataclass(frozen=True)
class CaseFigures:
    opened: int
    by_category: list[tuple[str, int]]
    responded: int
    median_first_response: float | None  # seconds
    within_target: int
    target_passed: int  # responded, or still waiting past the target: the cases the target could judge
    overdue: int

    @property
    def within_target_share(self) -> float | None:
        return _share(self.within_target, self.target_passed)

    @property
    def overdue_share(self) -> float | None:
        return _share(self.overdue, self.opened)


@dataclass(frozen=True)
class WeekPoint:
    start: datetime
    value: float | None


@dataclass(frozen=True)
class Dashboard:
    window: Window
    asked: int
    answered: int
    answered_within: dict[int, int]  # hours -> questions answered within them
    median_first_answer: float | None  # seconds
    p90_first_answer: float | None
    solved: int
    median_solution: float | None  # seconds from asking to the accepted answer's acceptance
    unanswered: int
    community_answers: int
    staff_answers: int
    cases: CaseFigures
    helpers: list[tuple[User, int]]
    deflected: int
    ticket_cost: float
    series: dict[str, list[WeekPoint]]

    def within_share(self, hours: int) -> float | None:
        return _share(self.answered_within[hours], self.asked)

    @property
    def solved_share(self) -> float | None:
        return _share(self.solved, self.asked)

    @property
    def staff_answer_share(self) -> float | None:
        return _share(self.staff_answers, self.community_answers + self.staff_answers)

    @property
    def deflection_value(self) -> float:
        return self.deflected * self.ticket_cost


def dashboard(
    session: Session, viewer: User, query: InsightsQuery, *, ticket_cost: float, now: datetime | None = None
) -> Dashboard:
    """Every figure of the dashboard for the period and board in `query`."""
    require(viewer, "work_cases")
    window = _window(session, query, now)
    asked = _asked(window.since, window.now, window.board)
    wait = seconds_between(Question.created_at, Question.first_answer_at)

    # Shares are of every question asked, answered or not: "answered within a day" means out of all asked.
    row = session.execute(
        select(
            func.count(),
            func.count(Question.first_answer_at),
            *[_count_if(wait <= hours * 3600) for hours in ANSWERED_WITHIN_HOURS],
            _count_if(Question.is_solved.is_(True)),
            _count_if(and_(*_waiting(window.now))),
            # Solved with no case ever opened on it: a support ticket the community made unnecessary.
            _count_if(and_(Question.is_solved.is_(True), ~exists().where(Case.question_id == Question.id))),
        ).where(*asked)
    ).one()
    total, answered, *within, solved, unanswered, deflected = (int(value or 0) for value in row)
    waits = select(wait.label("seconds")).where(*asked, Question.first_answer_at.is_not(None))

    # Answers to the period's questions (the same cohort as every other figure), visible ones only. The cohort
    # is an IN list rather than a join: without an index on questions.created_at (and without planner
    # statistics) SQLite drives a join from the answers side and reads every answer; the list makes it look
    # answers up by question instead (3x faster on a million posts). PostgreSQL plans both as a semi-join.
    cohort = Answer.question_id.in_(select(Question.id).where(*asked))
    accepted = and_(Answer.is_accepted.is_(True), Answer.accepted_at.is_not(None))
    community, staff, solutions = (
        int(value or 0)
        for value in session.execute(
            select(
                _count_if(Answer.is_staff.is_(False)),
                _count_if(Answer.is_staff.is_(True)),
                _count_if(accepted),
            ).where(cohort, Answer.is_hidden.is_(False))
        ).one()
    )
    solution_times = (
        select(seconds_between(Question.created_at, Answer.accepted_at).label("seconds"))
        .select_from(Answer)
        .join(Question, Question.id == Answer.question_id)
        .where(cohort, Answer.is_hidden.is_(False), accepted)
    )
    return Dashboard(
        window=window,
        asked=total,
        answered=answered,
        answered_within=dict(zip(ANSWERED_WITHIN_HOURS, within, strict=True)),
        median_first_answer=_percentile(session, waits, answered, 50),
        p90_first_answer=_percentile(session, waits, answered, 90),
        solved=solved,
        median_solution=_percentile(session, solution_times, solutions, 50),
        unanswered=unanswered,
        community_answers=community,
        staff_answers=staff,
        cases=_case_figures(session, window),
        helpers=_top_helpers(session, window),
        deflected=deflected,
        ticket_cost=ticket_cost,
        series=_weekly(session, window),
    )


def _case_figures(session: Session, window: Window) -> CaseFigures:
    response = seconds_between(Case.opened_at, Case.first_staff_response_at)
    target = _first_response_target()
    responded = Case.first_staff_response_at.is_not(None)
    row = session.execute(
        _opened(
            window.since,
            window.now,
            window.board,
            select(
                func.count(),
                func.count(Case.first_staff_response_at),
                _count_if(and_(responded, response <= target)),
                # A case still waiting past its target is a miss too: leaving it out would flatter the share.
                _count_if(or_(responded, seconds_between(Case.opened_at, _at(window.now)) > target)),
                _count_if(
                    or_(
                        and_(Case.status.in_(OPEN_STATES), Case.due_at < window.now),
                        and_(Case.status.in_(DONE_STATES), response > target),
                    )
                ),
            ).select_from(Case),
        )
    ).one()
    opened, answered, within, passed, overdue = (int(value or 0) for value in row)
    count = func.count().label("cases")
    by_category = session.execute(
        _opened(window.since, window.now, window.board, select(Case.category, count).select_from(Case))
        .group_by(Case.category)
        .order_by(count.desc(), Case.category)
    ).all()
    responses = _opened(
        window.since, window.now, window.board, select(response.label("seconds")).select_from(Case)
    ).where(responded)
    return CaseFigures(
        opened=opened,
        by_category=[(category, int(n)) for category, n in by_category],
        responded=answered,
        median_first_response=_percentile(session, responses, answered, 50),
        within_target=within,
        target_passed=passed,
        overdue=overdue,
    )


def _top_helpers(session: Session, window: Window) -> list[tuple[User, int]]:
    """The leaderboard's rule over this period. Over all boards, as on the public leaderboard: a point event
    names a post, not a board, and joining every event of 90 days to its post to find the board costs more
    than all the other figures together (see bench/insights.py)."""
    return reputation.earned_between(session, window.since, window.now, TOP_HELPERS)


# --- weekly series ------------------------------------------------------------------------------


def _week_of(column: Any, now: datetime) -> ColumnElement[int]:
    """0 for the seven days up to `now`, 1 for the seven before, ...: plain comparisons of stored times, so
    exact on every database (no date functions, no float arithmetic)."""
    return case(*[(column >= now - timedelta(days=7 * (week + 1)), week) for week in range(WEEKS)])


def _weekly(session: Session, window: Window) -> dict[str, list[WeekPoint]]:
    now, board = window.now, window.board
    since = now - timedelta(days=7 * WEEKS)
    asked = _asked(since, now, board)

    # The week is computed once in a subquery and grouped on outside: PostgreSQL cannot match a GROUP BY
    # expression holding bound parameters against the same expression in the select list.
    weekly_questions = (
        select(_week_of(Question.created_at, now).label("week"), Question.is_solved.label("solved"))
        .where(*asked)
        .subquery()
    )
    questions = {
        week: (int(n), int(solved or 0))
        for week, n, solved in session.execute(
            select(weekly_questions.c.week, func.count(), _count_if(weekly_questions.c.solved.is_(True))).group_by(
                weekly_questions.c.week
            )
        )
    }

    # One median per week in one pass: rank each week's waits with window functions (SQLite >= 3.25 and
    # PostgreSQL) and keep the nearest-rank middle one, rather than twelve ORDER BY ... OFFSET statements.
    weekly_waits = (
        select(
            _week_of(Question.created_at, now).label("week"),
            seconds_between(Question.created_at, Question.first_answer_at).label("seconds"),
        )
        .where(*asked, Question.first_answer_at.is_not(None))
        .subquery()
    )
    ranked = select(
        weekly_waits.c.week,
        weekly_waits.c.seconds,
        func.row_number().over(partition_by=weekly_waits.c.week, order_by=weekly_waits.c.seconds).label("position"),
        func.count().over(partition_by=weekly_waits.c.week).label("answered"),
    ).subquery()
    medians = {
        week: float(seconds)
        for week, seconds in session.execute(
            select(ranked.c.week, ranked.c.seconds).where(ranked.c.position == (ranked.c.answered * 50 + 99) // 100)
        )
    }

    weekly_cases = _opened(
        since, now, board, select(_week_of(Case.opened_at, now).label("week")).select_from(Case)
    ).subquery()
    cases = {
        week: int(n)
        for week, n in session.execute(select(weekly_cases.c.week, func.count()).group_by(weekly_cases.c.week))
    }

    starts = [(week, now - timedelta(days=7 * (week + 1))) for week in reversed(range(WEEKS))]  # oldest first
    return {
        "questions_asked": [WeekPoint(start, questions.get(week, (0, 0))[0]) for week, start in starts],
        "median_hours_to_first_answer": [
            WeekPoint(start, medians[week] / 3600 if week in medians else None) for week, start in starts
        ],
        "share_solved": [
            WeekPoint(start, _share(questions[week][1], questions[week][0]) if week in questions else None)
            for week, start in starts
        ],
        "escalations": [WeekPoint(start, int(cases.get(week, 0))) for week, start in starts],
    }


# --- the unanswered list ------------------------------------------------------------------------


@dataclass(frozen=True)
class Unanswered:
    window: Window
    questions: list[Question]  # with .board loaded


def unanswered(
    session: Session, viewer: User, query: InsightsQuery, *, now: datetime | None = None, limit: int = UNANSWERED_LIMIT
) -> Unanswered:
    """The questions behind the dashboard's "unanswered after 24 hours" figure, newest first."""
    require(viewer, "work_cases")
    window = _window(session, query, now)
    questions = session.scalars(
        select(Question)
        .options(joinedload(Question.board))
        .where(*_asked(window.since, window.now, window.board), *_waiting(window.now))
        .order_by(Question.created_at.desc(), Question.id.desc())
        .limit(limit)
    )
    return Unanswered(window, list(questions))


# --- export -------------------------------------------------------------------------------------


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

"""The SQL behind the insights figures: durations, counts, percentiles, the case figures and the weekly series.

Every figure is a COUNT, a SUM(CASE ...) or a GROUP BY computed by the database; medians and percentiles are
one ORDER BY ... LIMIT 1 OFFSET k each, with k taken from a count the same filters produced. No rows are
loaded into Python to be counted, so the dashboard costs the same number of statements on any amount of data.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Float, Select, and_, case, func, literal, or_, select
from sqlalchemy.exc import CompileError
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import Session
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.elements import ColumnElement
from sqlalchemy.sql.functions import FunctionElement

from app.auth.visibility import public_questions
from app.db import UTCDateTime
from app.escalation import rules, workflow
from app.escalation.models import Case
from app.forum.models import Board, Question

WEEKS = 12
UNANSWERED_AFTER = timedelta(hours=24)
DONE_STATES = ("resolved", "closed")  # a case is only ever closed after it was resolved


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


def count_if(condition: ColumnElement[bool]) -> ColumnElement[int]:
    return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)


def percentile(session: Session, durations: Select[Any], count: int, percent: int) -> float | None:
    """The nearest-rank percentile of the one-column `durations`, which holds `count` rows: an observed value,
    never an interpolation, and the same on every database."""
    if count <= 0:
        return None
    rank = -(-count * percent // 100)  # ceil(count * percent / 100) in integers: no float rounding
    column = durations.selected_columns[0]
    value = session.scalar(durations.order_by(column).limit(1).offset(rank - 1))
    return None if value is None else float(value)


def share(part: int, whole: int) -> float | None:
    return part / whole if whole else None


# --- which questions and cases ------------------------------------------------------------------


def asked_in(since: datetime, now: datetime, board: Board | None) -> list[ColumnElement[bool]]:
    """Questions asked in [since, now) on the board. These figures describe public community performance,
    so hidden questions (removed by moderators) and private ones (withdrawn into a support case) are left
    out; the escalation figures, on the other hand, count every case, private question or not."""
    conditions = [Question.created_at >= since, Question.created_at < now, public_questions()]
    if board is not None:
        conditions.append(Question.board_id == board.id)
    return conditions


def still_waiting(now: datetime) -> list[ColumnElement[bool]]:
    """Unanswered for over a day, and still open to answers: no visible answer (the forum's own "unanswered"),
    not locked, not closed as a duplicate (nobody can act on those)."""
    return [
        Question.answer_count == 0,
        Question.created_at < now - UNANSWERED_AFTER,
        Question.is_locked.is_(False),
        Question.duplicate_of_id.is_(None),
    ]


def opened_in(since: datetime, now: datetime, board: Board | None, statement: Select[Any]) -> Select[Any]:
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


# --- the case figures ---------------------------------------------------------------------------


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
        return share(self.within_target, self.target_passed)

    @property
    def overdue_share(self) -> float | None:
        return share(self.overdue, self.opened)


def case_figures(session: Session, since: datetime, now: datetime, board: Board | None) -> CaseFigures:
    """The support cases opened in [since, now) on the board's questions: how fast staff answered them."""
    response = seconds_between(Case.opened_at, Case.first_staff_response_at)
    target = _first_response_target()
    responded = Case.first_staff_response_at.is_not(None)
    row = session.execute(
        opened_in(
            since,
            now,
            board,
            select(
                func.count(),
                func.count(Case.first_staff_response_at),
                count_if(and_(responded, response <= target)),
                # A case still waiting past its target is a miss too: leaving it out would flatter the share.
                count_if(or_(responded, seconds_between(Case.opened_at, _at(now)) > target)),
                count_if(
                    or_(
                        and_(Case.status.in_(workflow.OPEN_STATES), Case.due_at < now),
                        and_(Case.status.in_(DONE_STATES), response > target),
                    )
                ),
            ).select_from(Case),
        )
    ).one()
    opened, answered, within, passed, overdue = (int(value or 0) for value in row)
    count = func.count().label("cases")
    by_category = session.execute(
        opened_in(since, now, board, select(Case.category, count).select_from(Case))
        .group_by(Case.category)
        .order_by(count.desc(), Case.category)
    ).all()
    responses = opened_in(since, now, board, select(response.label("seconds")).select_from(Case)).where(responded)
    return CaseFigures(
        opened=opened,
        by_category=[(category, int(n)) for category, n in by_category],
        responded=answered,
        median_first_response=percentile(session, responses, answered, 50),
        within_target=within,
        target_passed=passed,
        overdue=overdue,
    )


# --- weekly series ------------------------------------------------------------------------------


@dataclass(frozen=True)
class WeekPoint:
    start: datetime
    value: float | None


def _week_of(column: Any, now: datetime) -> ColumnElement[int]:
    """0 for the seven days up to `now`, 1 for the seven before, ...: plain comparisons of stored times, so
    exact on every database (no date functions, no float arithmetic)."""
    return case(*[(column >= now - timedelta(days=7 * (week + 1)), week) for week in range(WEEKS)])


def weekly(session: Session, now: datetime, board: Board | None) -> dict[str, list[WeekPoint]]:
    """The last WEEKS weeks up to `now`, oldest first: questions asked, median hours to the first answer,
    share solved, and cases opened."""
    since = now - timedelta(days=7 * WEEKS)
    cohort = asked_in(since, now, board)

    # The week is computed once in a subquery and grouped on outside: PostgreSQL cannot match a GROUP BY
    # expression holding bound parameters against the same expression in the select list.
    weekly_questions = (
        select(_week_of(Question.created_at, now).label("week"), Question.is_solved.label("solved"))
        .where(*cohort)
        .subquery()
    )
    questions = {
        week: (int(n), int(solved or 0))
        for week, n, solved in session.execute(
            select(weekly_questions.c.week, func.count(), count_if(weekly_questions.c.solved.is_(True))).group_by(
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
        .where(*cohort, Question.first_answer_at.is_not(None))
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

    weekly_cases = opened_in(
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
            WeekPoint(start, share(questions[week][1], questions[week][0]) if week in questions else None)
            for week, start in starts
        ],
        "escalations": [WeekPoint(start, int(cases.get(week, 0))) for week, start in starts],
    }

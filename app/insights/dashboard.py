"""The insights dashboard for a period and a board, and the list behind its "unanswered" figure."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from flask_babel import lazy_gettext as _
from sqlalchemy import and_, exists, func, select
from sqlalchemy.orm import Session, joinedload

from app.accounts.models import User
from app.auth.permissions import require
from app.auth.visibility import answers_in_thread, public_answers
from app.db import utcnow
from app.errors import BadRequest
from app.escalation.models import Case
from app.forum.models import Answer, Board, Question
from app.insights.figures import (
    CaseFigures,
    WeekPoint,
    asked_in,
    case_figures,
    count_if,
    percentile,
    seconds_between,
    share,
    still_waiting,
    weekly,
)
from app.reputation import service as reputation

PERIODS = (7, 30, 90)
DEFAULT_PERIOD = 30
ANSWERED_WITHIN_HOURS = (1, 24, 48)
UNANSWERED_LIMIT = 100
TOP_HELPERS = 5

CATEGORY_LABELS = {
    "billing": _("Billing"),
    "account": _("Account"),
    "privacy": _("Privacy"),
    "legal": _("Legal"),
    "other": _("Other"),
}


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


# --- the dashboard ------------------------------------------------------------------------------


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
        return share(self.answered_within[hours], self.asked)

    @property
    def solved_share(self) -> float | None:
        return share(self.solved, self.asked)

    @property
    def staff_answer_share(self) -> float | None:
        return share(self.staff_answers, self.community_answers + self.staff_answers)

    @property
    def deflection_value(self) -> float:
        return self.deflected * self.ticket_cost


def dashboard(
    session: Session, viewer: User, query: InsightsQuery, *, ticket_cost: float, now: datetime | None = None
) -> Dashboard:
    """Every figure of the dashboard for the period and board in `query`."""
    require(viewer, "work_cases")
    window = _window(session, query, now)
    asked = asked_in(window.since, window.now, window.board)
    wait = seconds_between(Question.created_at, Question.first_answer_at)

    # Shares are of every question asked, answered or not: "answered within a day" means out of all asked.
    row = session.execute(
        select(
            func.count(),
            func.count(Question.first_answer_at),
            *[count_if(wait <= hours * 3600) for hours in ANSWERED_WITHIN_HOURS],
            count_if(Question.is_solved.is_(True)),
            count_if(and_(*still_waiting(window.now))),
            # Solved with no case ever opened on it: a support ticket the community made unnecessary.
            count_if(and_(Question.is_solved.is_(True), ~exists().where(Case.question_id == Question.id))),
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
                count_if(Answer.is_staff.is_(False)),
                count_if(Answer.is_staff.is_(True)),
                count_if(accepted),
            ).where(cohort, answers_in_thread(None))  # the cohort's threads are public: no join needed
        ).one()
    )
    solution_times = (
        select(seconds_between(Question.created_at, Answer.accepted_at).label("seconds"))
        .select_from(Answer)
        .join(Question, Question.id == Answer.question_id)
        .where(cohort, public_answers(), accepted)
    )
    return Dashboard(
        window=window,
        asked=total,
        answered=answered,
        answered_within=dict(zip(ANSWERED_WITHIN_HOURS, within, strict=True)),
        median_first_answer=percentile(session, waits, answered, 50),
        p90_first_answer=percentile(session, waits, answered, 90),
        solved=solved,
        median_solution=percentile(session, solution_times, solutions, 50),
        unanswered=unanswered,
        community_answers=community,
        staff_answers=staff,
        cases=case_figures(session, window.since, window.now, window.board),
        helpers=_top_helpers(session, window),
        deflected=deflected,
        ticket_cost=ticket_cost,
        series=weekly(session, window.now, window.board),
    )


def _top_helpers(session: Session, window: Window) -> list[tuple[User, int]]:
    """The leaderboard's rule over this period. Over all boards, as on the public leaderboard: a point event
    names a post, not a board, and joining every event of 90 days to its post to find the board costs more
    than all the other figures together (see bench/insights.py)."""
    return reputation.earned_between(session, window.since, window.now, TOP_HELPERS)


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
        .where(*asked_in(window.since, window.now, window.board), *still_waiting(window.now))
        .order_by(Question.created_at.desc(), Question.id.desc())
        .limit(limit)
    )
    return Unanswered(window, list(questions))

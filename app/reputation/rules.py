"""Every number of the reputation system in one place: point values, caps, ranks and badges."""

from __future__ import annotations

import os
from dataclasses import dataclass, replace
from datetime import timedelta

from app.marks import N_


@dataclass(frozen=True)
class PointRules:
    answer_posted: int = 2
    answer_posted_per_day: int = 10  # at most this many answers a day earn points
    kudo_on_answer: int = 10
    kudo_on_question: int = 5
    kudo_points_per_day: int = 200  # cap on points a member receives from kudos in a day
    same_pair_kudos_per_day: int = 3  # kudos from one member to another that still earn points
    answer_accepted: int = 15
    solution_marked: int = 2  # to the asker who marks a solution on their own question
    kudos_per_minute: str = "20 per minute"


@dataclass(frozen=True)
class Rank:
    key: str
    name: str
    points: int
    solutions: int = 0
    superfan: bool = False


@dataclass(frozen=True)
class Badge:
    key: str
    name: str
    description: str  # may hold %(n)d, filled with `count`
    count: int = 0

    @property
    def icon_path(self) -> str:
        return f"img/badges/{self.key}.svg"


RANKS: tuple[Rank, ...] = (
    Rank("newcomer", N_("Newcomer"), 0),
    Rank("contributor", N_("Contributor"), 50),
    Rank("helper", N_("Helper"), 250),
    Rank("expert", N_("Expert"), 1000, solutions=10),
    Rank("superfan", N_("Superfan"), 2500, solutions=25, superfan=True),
    Rank("superfan-gold", N_("Superfan Gold"), 10000, solutions=100, superfan=True),
)
RANK_BY_KEY = {rank.key: rank for rank in RANKS}

# Members of this rank or above may mark a solution on a question whose asker went quiet.
ACCEPT_FOR_ABSENT_ASKER_RANK = "expert"
ASKER_ABSENT_AFTER = timedelta(days=7)
# The fast responder badge counts answers posted within this time of the question.
FAST_ANSWER_WITHIN = timedelta(hours=1)

FAST_RESPONDER_ANSWERS = 10
POPULAR_ANSWER_KUDOS = 25
PROBLEM_SOLVER_SOLUTIONS = 10
SOLUTION_MACHINE_SOLUTIONS = 100
HELPING_STREAK_DAYS = 7

BADGES: tuple[Badge, ...] = (
    Badge("first-answer", N_("First Answer"), N_("Posted a first answer.")),
    Badge("first-solution", N_("First Solution"), N_("Wrote a first answer that was accepted as the solution.")),
    Badge("problem-solver", N_("Problem Solver"), N_("Wrote %(n)d accepted solutions."), PROBLEM_SOLVER_SOLUTIONS),
    Badge(
        "solution-machine", N_("Solution Machine"), N_("Wrote %(n)d accepted solutions."), SOLUTION_MACHINE_SOLUTIONS
    ),
    Badge(
        "fast-responder",
        N_("Fast Responder"),
        N_("Posted %(n)d answers within an hour of the question that were accepted or received kudos."),
        FAST_RESPONDER_ANSWERS,
    ),
    Badge(
        "popular-answer", N_("Popular Answer"), N_("Wrote an answer that received %(n)d kudos."), POPULAR_ANSWER_KUDOS
    ),
    Badge("welcomer", N_("Welcomer"), N_("Gave the first answer on a member's first question.")),
    Badge("helping-streak", N_("Helping Streak"), N_("Answered on %(n)d days in a row."), HELPING_STREAK_DAYS),
    Badge("superfan", N_("Superfan"), N_("Reached the Superfan rank.")),
)
BADGE_BY_KEY = {badge.key: badge for badge in BADGES}


def rank_for(points: int, solutions: int) -> Rank:
    """The highest rank whose point and solution thresholds are both met."""
    current = RANKS[0]
    for rank in RANKS:
        if points >= rank.points and solutions >= rank.solutions:
            current = rank
    return current


def next_rank(rank: Rank) -> Rank | None:
    index = RANKS.index(rank)
    return RANKS[index + 1] if index + 1 < len(RANKS) else None


def rank_at_least(points: int, solutions: int, key: str) -> bool:
    return RANKS.index(rank_for(points, solutions)) >= RANKS.index(RANK_BY_KEY[key])


def _from_environment() -> PointRules:
    """Point values can be changed per deployment: POINTS_<NAME>=<value>, e.g. POINTS_KUDO_ON_ANSWER=8."""
    rules = PointRules()
    overrides = {}
    for name, default in vars(rules).items():
        raw = os.environ.get(f"POINTS_{name.upper()}")
        if raw is not None:
            overrides[name] = raw if isinstance(default, str) else int(raw)
    return replace(rules, **overrides)


POINTS = _from_environment()

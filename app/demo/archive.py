"""The demo community's older months: everyday threads for each product, asked by its regulars and answered by
its helpers, so that members stand at every rank up to Superfan Gold (see rules.RANKS).

Everything goes through the real services (asking, answering, kudos, accepting a solution), so the ledger, the
cached totals, ranks, badges and notifications are what members would have earned. Each thread is dated back as
soon as it is written (timeline.backdate_todays_points): the daily caps then count that thread's day, not months
of activity at once.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from itertools import cycle

from sqlalchemy.orm import Session

from app.accounts import service as accounts
from app.accounts.models import User
from app.auth.roles import Role
from app.db import utcnow
from app.demo import timeline
from app.demo.archive_data import HELPERS, PROBLEMS, PRODUCTS, REGULARS, UNANSWERED
from app.demo.data import DEMO_PASSWORD
from app.forum import service as forum
from app.forum.models import Answer, Question
from app.reputation import service as reputation

OLDEST_DAYS, NEWEST_DAYS = 200, 4  # the older threads span these days before the seed


@dataclass(frozen=True)
class Thread:
    board: str
    title: str
    body: str
    answer: str
    tags: tuple[str, ...]


def threads() -> list[Thread]:
    """Every problem for every product of its board, products in turn so each month sees every kind."""
    return [
        Thread(board, title.format(p=product), body.format(p=product), answer.format(p=product), tags)
        for index in range(3)
        for board, title, body, answer, tags in PROBLEMS
        for product in PRODUCTS[board][index : index + 1]
    ]


def helper_turns() -> list[tuple[str, tuple[int, ...]] | None]:
    """Who answers each thread, spread evenly over time (a helper's share of the threads at every point), and
    None for the threads left to the rest of the community (answered, not solved)."""
    total = len(threads())
    slots: list[tuple[float, int, tuple[str, tuple[int, ...]] | None]] = []
    for order, (username, count, kudos) in enumerate(HELPERS):
        slots += [((i + 0.5) / count, order, (username, kudos)) for i in range(count)]
    rest = total - len(slots)
    slots += [((i + 0.5) / rest, len(HELPERS), None) for i in range(rest)]
    return [turn for _position, _order, turn in sorted(slots, key=lambda slot: (slot[0], slot[1]))][:total]


def register_regulars(session: Session, password_hash: str) -> list[User]:
    regulars = []
    for spec in REGULARS:
        email = f"{spec['username'].replace('_', '.')}@example.net"
        user = accounts.register(
            session,
            accounts.Registration(spec["username"], email, DEMO_PASSWORD, spec["locale"]),
            password_hash=password_hash,
        )
        user.display_name, user.bio, user.email_verified_at = spec["display_name"], spec["bio"], utcnow()
        regulars.append(user)
    session.flush()
    return regulars


def seed_archive(session: Session, users: dict[str, User]) -> dict[str, int]:
    """Write the older threads; returns how many questions and answers."""
    now = utcnow()
    timeline.backdate_todays_points(session)  # the recent threads' points: their own days, not today's caps
    members = [u for u in users.values() if u.role == Role.MEMBER]
    askers, others = cycle(members), cycle([u for u in users.values() if u.role in (Role.MEMBER, Role.MODERATOR)])
    all_threads, turns = threads(), helper_turns()
    answers = 0
    for index, (thread, turn) in enumerate(zip(all_threads, turns, strict=True)):
        asked = now - timedelta(days=OLDEST_DAYS - (OLDEST_DAYS - NEWEST_DAYS) * index / len(all_threads))
        asked -= timedelta(minutes=(index * 137) % 600)  # not all at the same time of day
        helper = users[turn[0]] if turn else None
        asker = next(m for m in askers if m is not helper)
        question = _ask(session, asker, thread.board, thread.title, thread.body, thread.tags, asked)
        if helper is not None:
            kudos = turn[1][index % len(turn[1])]
            when, turn_of = asked + timedelta(minutes=15 + (index * 53) % 240), index % len(members)
            fans = members[turn_of:] + members[:turn_of]  # a different few each time
            _solve(session, question, asker, helper, thread.answer, when, fans, kudos)
            answers += 1
        if helper is None or index % 4 == 0:  # the one answer of the rest; a second voice in some solved threads
            other = next(o for o in others if o.id not in (asker.id, helper.id if helper else None))
            body = thread.answer if helper is None else SECOND_OPINIONS[index % len(SECOND_OPINIONS)]
            _answer(session, question, other, body, asked + timedelta(hours=3 + index % 20))
            answers += 1
        timeline.settle_question_times(session, question)
        timeline.backdate_todays_points(session)
    for index, (board, title, body, tags) in enumerate(UNANSWERED):
        asker = next(askers)
        _ask(session, asker, board, title, body, tags, now - timedelta(days=1 + 3 * index, hours=index))
    return {"questions": len(all_threads) + len(UNANSWERED), "answers": answers}


def _ask(
    session: Session, asker: User, board: str, title: str, body: str, tags: tuple[str, ...], when: datetime
) -> Question:
    question = forum.ask_question(session, asker, forum.QuestionDraft(board, title, body, tuple(tags), "en"))
    timeline.backdate(session, question, when)
    return question


def _answer(session: Session, question: Question, author: User, body: str, when: datetime) -> Answer:
    answer = forum.post_answer(session, author, question.id, forum.AnswerDraft(body, "en"))
    timeline.backdate(session, answer, min(when, utcnow()))
    return answer


def _solve(
    session: Session,
    question: Question,
    asker: User,
    helper: User,
    body: str,
    when: datetime,
    members: list[User],
    kudos: int,
) -> None:
    """The helper's answer, kudos from the first `kudos` members (in the order given) who are neither its author
    nor the asker, and the asker's accepting it."""
    answer = _answer(session, question, helper, body, when)
    for fan in [m for m in members if m.id not in (helper.id, asker.id)][:kudos]:
        reputation.give_kudo(session, fan, "answer", answer.id)
    reputation.accept_answer(session, asker, question.id, answer.id)


SECOND_OPINIONS = (
    "Same here on mine; the steps above sorted it.",
    "I had this last month. Support confirmed it's a known issue and the next update fixes it.",
    "Worth checking the Nimbus status page first, in case it's not just you.",
    "Thanks for asking this — I was about to. Following.",
    "One more thing that helped me: restart after changing the setting, not just sign out.",
)


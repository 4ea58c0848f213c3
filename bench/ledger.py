"""Time the reputation reads (verify, leaderboards, superfans, a member's ledger) on a million point events.

    .venv/bin/python -m bench.ledger [--events N] [--users U] [--questions Q] [--db PATH] [--reuse]

1. Builds the database at --db with bench.seed (the forum: Q questions, ~3 answers each, U members; a few
   busy members write most answers) and adds N point_events rows spread over the last year (Core
   executemany, fixed random seed, keys "bench:<i>", so (user_id, reason, key) is unique), mostly earned by
   the same busy members. Besides bench.seed's admin and staff (ids 1-6), every --staff-every'th member is
   staff. Cached points are set to the ledger sums and solution counts to the accepted answers written for
   someone else, so verify finds no drift.
   With --reuse, the file at --db is used as it is when its schema is current.
2. Creates the app on it and, inside an app context with ``db.new_session(write=False)`` (what
   `flask points verify` uses), calls the real service functions: ``reputation.verify``,
   ``top_helpers(session, "week" | "month" | "all")``, ``superfans``, ``ledger`` (first page and a page
   deep in the busiest member's history); --warmup untimed calls, then --repeat timed ones each.
3. Times `flask points verify` once through ``app.test_cli_runner()``, prints EXPLAIN QUERY PLAN for each
   operation's statements, the results table, the database size and the versions.

Targets: leaderboards under 50 ms, verify within a few seconds, ledger pages within the 10 ms page budget.
"""

from __future__ import annotations

import argparse
import os
import platform
import random
import sqlite3
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from importlib.metadata import version
from pathlib import Path
from typing import Any

import sqlalchemy
from flask import Flask
from sqlalchemy import Engine, bindparam, func, select, update
from sqlalchemy.orm import Session

from app import create_app
from app.accounts.models import User
from app.db import Base, db
from app.reputation import service as reputation
from app.reputation.models import PointEvent
from bench.pages import QueryRecorder, database_size, set_statistics
from bench.seed import BatchInserter, SeedConfig, build_database, member_cum_weights, schema_differences

DEFAULT_DB = Path("/tmp/agora-ledger-bench.db")  # noqa: S108 - a benchmark scratch file, by design
SEED = 20_260_102
LEADERBOARD_TARGET_MS = 50.0
VERIFY_TARGET_MS = 3000.0
PAGE_TARGET_MS = 10.0
STAFF_EVERY = 200  # besides bench.seed's admin and staff (ids 1-6), every 200th member is staff
ZIPF_EXPONENT = 0.9  # how unevenly answers and events fall on members: a few very busy ones, a long tail

# (reason, delta, weight): what the app writes (app/reputation/service.py), roughly in these proportions.
REASONS: tuple[tuple[str, int, float], ...] = (
    ("answer_posted", 2, 40),
    ("kudo_received", 10, 24),
    ("kudo_received", 5, 10),
    ("answer_accepted", 15, 9),
    ("solution_marked", 2, 6),
    ("kudo_withdrawn", -10, 4),
    ("kudo_withdrawn", -5, 2),
    ("acceptance_undone", -15, 2),
    ("post_hidden", -12, 2),
    ("post_restored", 12, 1),
)
ANSWER_REASONS = {"answer_posted", "answer_accepted", "solution_marked", "acceptance_undone"}


# --- building -----------------------------------------------------------------------------------


@dataclass
class LedgerSeed:
    """Loads the point events after bench.seed's forum rows (see bench.seed.build_database's `extra`)."""

    events: int
    users: int
    forum_seed: int  # bench.seed's, for the members' order of busyness
    staff_every: int = STAFF_EVERY
    seed: int = SEED
    log: Callable[[str], None] = print

    def __call__(self, inserter: BatchInserter) -> None:
        started = time.perf_counter()
        rng = random.Random(self.seed)
        conn = inserter.conn
        users: Any = Base.metadata.tables["users"]
        answers = inserter.counts.get("answers", 0)
        questions = inserter.counts.get("questions", 0)

        # More staff, so the leaderboards have busy members to leave out (bench.seed makes ids 1-6 staff).
        extra_staff = list(range(self.staff_every, self.users + 1, self.staff_every)) if self.staff_every else []
        if extra_staff:
            conn.execute(update(users).where(users.c.id.in_(extra_staff)).values(role="staff"))

        # The members who write the most answers (bench.seed, same order) earn the most points.
        user_cum = member_cum_weights(self.users, ZIPF_EXPONENT, self.forum_seed)
        reason_cum = list(_cumulative(weight for _, _, weight in REASONS))

        end = datetime.now(UTC).replace(second=0, microsecond=0)
        span = timedelta(days=365).total_seconds()
        # Ids follow time, as when the app writes them one by one.
        offsets = sorted(rng.random() * span for _ in range(self.events))
        user_ids = rng.choices(range(1, self.users + 1), cum_weights=user_cum, k=self.events)
        reasons = rng.choices(REASONS, cum_weights=reason_cum, k=self.events)
        totals = dict.fromkeys(range(1, self.users + 1), 0)
        step = max(1, self.events // 5)
        start = end - timedelta(seconds=span)
        for i in range(self.events):
            user_id = user_ids[i]
            reason, delta, _weight = reasons[i]
            totals[user_id] += delta
            on_answer = reason in ANSWER_REASONS or rng.random() < 0.8
            inserter.add("point_events", {
                "id": i + 1, "user_id": user_id, "delta": delta, "reason": reason, "key": f"bench:{i}",
                "question_id": None if on_answer or not questions else rng.randint(1, questions),
                "answer_id": rng.randint(1, answers) if on_answer and answers else None,
                "actor_id": rng.randint(1, self.users), "created_at": start + timedelta(seconds=offsets[i]),
            })
            if (i + 1) % step == 0:
                self.log(f"  point events {i + 1:>9,}/{self.events:,}  {time.perf_counter() - started:6.1f}s")
        inserter.flush()
        # The cached totals are the ledger sums: verify must find nothing to report.
        conn.execute(update(users).values(points=0))
        conn.execute(
            update(users).where(users.c.id == bindparam("uid")).values(points=bindparam("total")),
            [{"uid": user_id, "total": total} for user_id, total in totals.items() if total],
        )


def _cumulative(weights: Any) -> Any:
    total = 0.0
    for weight in weights:
        total += weight
        yield total


def prepare_database(args: argparse.Namespace) -> None:
    path: Path = args.db
    if args.reuse and path.exists():
        differences = schema_differences(path)
        if not differences:
            print(f"Reusing {path}")
            return
        print(f"Not reusing {path}: the models changed since it was built ({', '.join(differences[:5])})")
    config = SeedConfig(questions=args.questions, users=args.users, answerer_skew=ZIPF_EXPONENT)
    loader = LedgerSeed(events=args.events, users=args.users, forum_seed=config.seed, staff_every=args.staff_every)
    print(f"Building {path}: {args.events:,} point events, {args.users:,} users, {args.questions:,} questions "
          f"(~{config.answers_per_question:g} answers each; seeds {config.seed}, {loader.seed})")
    report = build_database(path, config, extra=loader)
    print(f"Seeded {report.total_rows:,} rows in {report.seconds:.1f}s ({report.rows_per_second:,.0f} rows/s): "
          + ", ".join(f"{table} {count:,}" for table, count in sorted(report.rows.items())))


# --- measuring ----------------------------------------------------------------------------------


@dataclass
class Operation:
    name: str
    call: Callable[[Session], int]  # returns how many rows it produced (a sanity check)
    target_ms: float
    explain: bool = True


@dataclass
class Result:
    op: Operation
    times_ms: list[float] = field(default_factory=list)  # wall clock, the figure the targets are about
    cpu_ms: list[float] = field(default_factory=list)  # this process's CPU time: steadier on a busy machine
    queries: int = 0
    rows: int = 0
    statements: list[tuple[str, Any]] = field(default_factory=list)

    @property
    def p50(self) -> float:
        return statistics.median(self.times_ms)

    @property
    def p95(self) -> float:
        if len(self.times_ms) < 2:
            return self.times_ms[0]
        return statistics.quantiles(self.times_ms, n=20, method="inclusive")[18]

    @property
    def worst(self) -> float:
        return max(self.times_ms)

    @property
    def cpu_p50(self) -> float:
        return statistics.median(self.cpu_ms)

    @property
    def verdict(self) -> str:
        if self.p50 >= self.op.target_ms:
            return "MISS"
        return "ok" if self.p95 < self.op.target_ms else "p95 over"


def measure(app: Flask, op: Operation, recorder: QueryRecorder, warmup: int, repeat: int) -> Result:
    result = Result(op)
    for attempt in range(warmup + repeat):
        session = db.new_session(write=False)
        try:
            recorder.reset()
            started, cpu = time.perf_counter(), time.process_time()
            rows = op.call(session)
            elapsed, cpu_elapsed = (time.perf_counter() - started) * 1000, (time.process_time() - cpu) * 1000
        finally:
            session.close()
        if attempt >= warmup:
            result.times_ms.append(elapsed)
            result.cpu_ms.append(cpu_elapsed)
            result.rows, result.queries, result.statements = rows, len(recorder.statements), recorder.statements
    return result


def busiest_member(engine: Engine, depth: float = 0.8) -> tuple[int, int, int]:
    """(user id, events, the id a `before` cursor `depth` of the way into their history would carry)."""
    with engine.connect() as conn:
        user_id, events = conn.execute(
            select(PointEvent.user_id, func.count().label("n")).group_by(PointEvent.user_id)
            .order_by(func.count().desc(), PointEvent.user_id).limit(1)
        ).one()
        before = conn.scalar(
            select(PointEvent.id).where(PointEvent.user_id == user_id).order_by(PointEvent.id.desc())
            .offset(int(events * depth)).limit(1)
        )
    return user_id, events, before


def operations(user_id: int, deep_before: int, verify_target_ms: float) -> list[Operation]:
    def verify(session: Session) -> int:
        drifts = reputation.verify(session)
        if drifts:
            raise RuntimeError(f"verify found {len(drifts)} drifts, e.g. {drifts[:3]}")
        return len(drifts)

    def leaderboard(period: str) -> Callable[[Session], int]:
        return lambda session: len(reputation.top_helpers(session, period))

    def ledger_page(before: int | None) -> Callable[[Session], int]:
        def call(session: Session) -> int:
            user = session.get(User, user_id)
            assert user is not None
            return len(reputation.ledger(session, user, before=before).events)
        return call

    return [
        Operation("verify (points + solutions)", verify, verify_target_ms),
        Operation("top_helpers week", leaderboard("week"), LEADERBOARD_TARGET_MS),
        Operation("top_helpers month", leaderboard("month"), LEADERBOARD_TARGET_MS),
        Operation("top_helpers all", leaderboard("all"), LEADERBOARD_TARGET_MS),
        Operation("superfans", lambda session: len(reputation.superfans(session)), LEADERBOARD_TARGET_MS),
        Operation("ledger, first page", ledger_page(None), PAGE_TARGET_MS),
        Operation("ledger, deep page", ledger_page(deep_before), PAGE_TARGET_MS),
    ]


def time_cli_verify(app: Flask) -> tuple[float, int, str]:
    runner = app.test_cli_runner()
    started = time.perf_counter()
    outcome = runner.invoke(args=["points", "verify"])
    elapsed = (time.perf_counter() - started) * 1000
    return elapsed, outcome.exit_code, outcome.output.strip().splitlines()[-1] if outcome.output.strip() else ""


# --- reporting ----------------------------------------------------------------------------------


def _one_line(statement: str, width: int = 160) -> str:
    text = " ".join(statement.split())
    return text if len(text) <= width else text[: width - 1] + "…"


def print_plans(path: Path, results: Sequence[Result], repeat: int = 5) -> None:
    """Each operation's statements, run straight on sqlite3 (median ms), with EXPLAIN QUERY PLAN."""
    print("\nStatements of one call per operation, timed straight on sqlite3 (median), with their plans:")
    conn = sqlite3.connect(path)
    try:
        for result in results:
            if not result.op.explain:
                continue
            print(f"\n== {result.op.name}")
            for number, (statement, parameters) in enumerate(result.statements, start=1):
                params = parameters if parameters is not None else ()
                plan = conn.execute(f"EXPLAIN QUERY PLAN {statement}", params).fetchall()
                samples = []
                for _ in range(repeat):
                    started = time.perf_counter()
                    rows = conn.execute(statement, params).fetchall()
                    samples.append((time.perf_counter() - started) * 1000)
                print(f"  {number}. {statistics.median(samples):9.3f} ms  {len(rows):>5} rows  {_one_line(statement)}")
                if params:
                    print(f"       params: {params}")
                for row in plan:
                    print(f"       plan: {'  ' * _depth(plan, row)}{row[3]}")
    finally:
        conn.close()


def _depth(plan: list[tuple[Any, ...]], row: tuple[Any, ...]) -> int:
    parents = {node: parent for node, parent, *_ in plan}
    depth, parent = 0, row[1]
    while parent in parents:
        depth, parent = depth + 1, parents[parent]
    return depth


def print_table(results: Sequence[Result], repeat: int, cli: tuple[float, int, str]) -> None:
    cli_name = "flask points verify (CLI, once)"
    width = max(len(cli_name), *(len(result.op.name) for result in results))
    header = (f"{'operation':<{width}}  {'runs':>4}  {'rows':>5}  {'queries':>7}  {'p50 ms':>8}  {'p95 ms':>8}  "
              f"{'max ms':>8}  {'CPU p50':>8}  {'target':>7}")
    print(f"\nService calls inside an app context, db.new_session(write=False), up to {repeat} timed calls each:\n")
    print(header)
    print("-" * len(header))
    for r in results:
        print(f"{r.op.name:<{width}}  {len(r.times_ms):>4}  {r.rows:>5}  {r.queries:>7}  {r.p50:>8.2f}  "
              f"{r.p95:>8.2f}  {r.worst:>8.2f}  {r.cpu_p50:>8.2f}  {f'<{r.op.target_ms:g}':>7}  {r.verdict}")
    elapsed, exit_code, last_line = cli
    print(f"{cli_name:<{width}}  {1:>4}  {'':>5}  {'':>7}  {elapsed:>8.2f}  {'':>8}  "
          f"{'':>8}  {'':>8}  {f'<{VERIFY_TARGET_MS:g}':>7}  exit {exit_code}: {last_line}")
    print("\nrows: what the call returned (drifts for verify, members for the boards, events for a ledger page);"
          "\nqueries: statements sent (transaction control and PRAGMAs left out); ms: wall clock per call, "
          "session checkout included;\nCPU p50: this process's CPU time per call (unlike wall time, not inflated by "
          "other processes).")


def print_data(engine: Engine, staff: int) -> None:
    now = datetime.now(UTC)
    with engine.connect() as conn:
        users = conn.scalar(select(func.count()).select_from(User)) or 0
        events = conn.scalar(select(func.count()).select_from(PointEvent)) or 0
        week, month = (
            conn.scalar(select(func.count()).select_from(PointEvent).where(PointEvent.created_at >= now - span)) or 0
            for span in (timedelta(days=7), timedelta(days=30))
        )
        members = select(func.count(func.distinct(PointEvent.user_id)))
        in_week = conn.scalar(members.where(PointEvent.created_at >= now - timedelta(days=7))) or 0
    print(f"\nData: {users:,} members ({staff:,} staff or admins), {events:,} point events; last 7 days {week:,} "
          f"events from {in_week:,} members, last 30 days {month:,} events")


def print_environment(path: Path, stats: bool) -> None:
    print(f"Database: {path}  ({database_size(path)}); planner statistics (sqlite_stat1): "
          f"{'present' if stats else 'absent'}")
    print(f"Python {platform.python_version()} ({platform.python_implementation()}), SQLite {sqlite3.sqlite_version}, "
          f"SQLAlchemy {sqlalchemy.__version__}, Flask {version('flask')}, {platform.platform()}, "
          f"{os.cpu_count()} CPUs")


# --- main ---------------------------------------------------------------------------------------


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.ledger", description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=1_000_000, help="point events (default 1,000,000)")
    parser.add_argument("--users", type=int, default=20_000, help="members (default 20,000)")
    parser.add_argument("--questions", type=int, default=250_000,
                        help="forum questions, ~3 answers each, which verify's solution count reads "
                             "(default 250,000: about a million posts, as bench.pages)")
    parser.add_argument("--staff-every", type=int, default=STAFF_EVERY,
                        help=f"make every Nth member staff, besides ids 1-6 (default {STAFF_EVERY}; 0: none)")
    parser.add_argument("--db", type=Path, default=DEFAULT_DB, help=f"SQLite file (default {DEFAULT_DB})")
    parser.add_argument("--reuse", action="store_true", help="reuse the database at --db when it exists")
    parser.add_argument("--repeat", type=int, default=30, help="timed calls per operation (default 30)")
    parser.add_argument("--verify-repeat", type=int, default=5, help="timed verify calls (default 5)")
    parser.add_argument("--warmup", type=int, default=3, help="untimed calls per operation first (default 3)")
    parser.add_argument("--stats", choices=("keep", "analyze", "drop"), default="keep",
                        help="planner statistics: leave as they are (default), run ANALYZE, or delete them")
    args = parser.parse_args(argv)
    if args.events < 100 or args.users < 10 or args.questions < 10 or args.repeat < 2 or args.verify_repeat < 1:
        parser.error("need --events >= 100, --users >= 10, --questions >= 10, --repeat >= 2, --verify-repeat >= 1")
    return args


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    args.db = path = args.db.resolve()
    prepare_database(args)
    stats = set_statistics(path, args.stats)

    app = create_app({"ENV_NAME": "testing", "DATABASE_URL": f"sqlite:///{path}", "RATELIMIT_ENABLED": False})
    with app.app_context():
        engine: Engine = app.extensions["agora_db"].engine
        user_id, user_events, deep_before = busiest_member(engine)
        with engine.connect() as conn:
            staff = conn.scalar(select(func.count()).where(User.role.in_(reputation.STAFF_ROLES))) or 0
        print(f"\nMeasuring: busiest member #{user_id} has {user_events:,} events; the deep ledger page starts "
              f"80% into them (before id {deep_before:,})")
        recorder = QueryRecorder(engine)
        results = []
        try:
            for op in operations(user_id, deep_before, VERIFY_TARGET_MS):
                repeat = args.verify_repeat if op.name.startswith("verify") else args.repeat
                warmup = min(args.warmup, 1) if op.name.startswith("verify") else args.warmup
                results.append(measure(app, op, recorder, warmup, repeat))
                print(f"  {op.name}: p50 {results[-1].p50:.2f} ms")
        finally:
            recorder.close()
        cli = time_cli_verify(app)
        engine.dispose()

    print_plans(path, results)
    print_data(app.extensions["agora_db"].engine, staff)
    print_table(results, args.repeat, cli)
    print()
    print_environment(path, stats)
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Time the community-insights dashboard on a SQLite database of about a million posts.

    .venv/bin/python -m bench.insights [--db PATH] [--reuse] [--repeat N] [--explain] [--try-indexes]

1. Builds the database at --db with bench.seed (250,000 questions, ~3 answers each: about a million posts),
   plus --events point events over the last year (bench.ledger's loader, so top helpers have a ledger to
   rank) and --cases support cases on the questions of the last 120 days. With --reuse, the file at --db
   is used when its schema is current (bench.pages builds the same forum); cases are added to it when it
   has none, with Core executemany.
2. Creates the app on it and times, --warmup untimed then --repeat timed calls each, the whole dashboard
   service (``insights.service.dashboard``) for 30 and 90 days, all boards and the biggest board, the
   unanswered list, and the HTTP pages (``GET /insights``, ``/insights.csv``) through ``app.test_client()``
   signed in as staff.
3. Prints the results table and every statement of the slowest call straight on sqlite3 with its
   EXPLAIN QUERY PLAN (all calls with --explain). With --try-indexes it then adds the indexes the plans
   ask for, measures the service again, and drops them: the evidence for an index suggestion, without
   changing the models.
"""

from __future__ import annotations

import argparse
import random
import sqlite3
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from flask import Flask
from sqlalchemy import Connection, Engine, func, insert, select
from sqlalchemy.orm import Session

from app import create_app
from app.accounts import sessions
from app.accounts.models import User
from app.db import Base, db, make_engine
from app.escalation import rules
from app.forum.models import Board, Question
from app.insights import service
from app.insights.views import bp as insights_bp
from bench.ledger import LedgerSeed, Operation, Result, measure, print_plans
from bench.pages import QueryRecorder, print_environment, set_statistics
from bench.seed import BatchInserter, SeedConfig, build_database, schema_differences

DEFAULT_DB = Path("/tmp/agora-bench.db")  # noqa: S108 - a benchmark scratch file, shared with bench.pages
SEED = 20_260_103
SERVICE_TARGET_MS = 250.0  # a staff page opened a few times a day: a quarter of a second is plenty
PAGE_TARGET_MS = 400.0
CASE_SPAN_DAYS = 120
CATEGORY_WEIGHTS = {"billing": 40, "account": 30, "privacy": 10, "legal": 5, "other": 15}
PRIORITY_WEIGHTS = {"low": 15, "normal": 60, "high": 20, "urgent": 5}
# Indexes the plans ask for (see the report): cohort filters on when things were asked or opened.
CANDIDATE_INDEXES = (
    "CREATE INDEX IF NOT EXISTS bench_ix_questions_board_created ON questions (board_id, created_at)",
    "CREATE INDEX IF NOT EXISTS bench_ix_questions_created ON questions (created_at)",
    "CREATE INDEX IF NOT EXISTS bench_ix_cases_opened ON cases (opened_at)",
)


# --- building -----------------------------------------------------------------------------------


def seed_cases(conn: Connection, count: int, seed: int = SEED, log: Callable[[str], None] = print) -> int:
    """`count` cases on random questions of the last CASE_SPAN_DAYS days, with realistic response times and
    states (Core executemany). Returns how many were added."""
    rng = random.Random(seed)
    now = datetime.now(UTC)
    cases: Any = Base.metadata.tables["cases"]
    questions: Any = Base.metadata.tables["questions"]
    users: Any = Base.metadata.tables["users"]
    recent = conn.execute(
        select(questions.c.id, questions.c.author_id, questions.c.created_at).where(
            questions.c.created_at >= now - timedelta(days=CASE_SPAN_DAYS)
        )
    ).all()
    moderators = list(conn.scalars(select(users.c.id).where(users.c.role.in_(("moderator", "staff", "admin")))))
    if not recent or not moderators:
        return 0
    first_id = (conn.scalar(select(func.max(cases.c.id))) or 0) + 1
    categories, priorities = list(CATEGORY_WEIGHTS), list(PRIORITY_WEIGHTS)
    rows = []
    for offset, (question_id, author_id, asked) in enumerate(rng.sample(recent, min(count, len(recent)))):
        asked = asked.replace(tzinfo=UTC) if asked.tzinfo is None else asked
        opened = min(now - timedelta(minutes=5), asked + timedelta(hours=rng.uniform(0.2, 72)))
        category = rng.choices(categories, weights=list(CATEGORY_WEIGHTS.values()))[0]
        priority = rng.choices(priorities, weights=list(PRIORITY_WEIGHTS.values()))[0]
        target = rules.first_response_target(category, priority)
        # Most first responses come well within target, a tail comes late, some cases are still waiting.
        delay = timedelta(seconds=rng.expovariate(1 / (target.total_seconds() * 0.6)))
        responded = opened + delay if opened + delay < now and rng.random() < 0.93 else None
        age = now - opened
        if responded is None:
            status = "new"
        elif age < timedelta(days=3):
            status = rng.choice(("open", "open", "waiting_on_customer", "resolved"))
        else:
            status = rng.choices(("resolved", "closed", "open", "waiting_on_customer"), weights=(45, 45, 6, 4))[0]
        due = opened + (rules.resolution_target(category, priority) if responded else target)
        rows.append(
            {
                "id": first_id + offset,
                "question_id": question_id,
                "answer_id": None,
                "customer_id": author_id,
                "opened_by_id": rng.choice((author_id, rng.choice(moderators))),
                "assignee_id": rng.choice(moderators) if responded else None,
                "source": rng.choice(("moderator", "customer", "rule")),
                "category": category,
                "priority": priority,
                "status": status,
                "public_note": "",
                "public_resolution": None,
                "opened_at": opened,
                "first_staff_response_at": responded,
                "resolved_at": responded + timedelta(hours=rng.uniform(1, 48))
                if status in ("resolved", "closed") and responded
                else None,
                "closed_at": None,
                "due_at": due,
                "updated_at": responded or opened,
            }
        )
    for start in range(0, len(rows), 1000):
        conn.execute(insert(cases), rows[start : start + 1000])
    log(f"  {len(rows):,} cases added over the last {CASE_SPAN_DAYS} days")
    return len(rows)


@dataclass
class ForumExtras:
    """bench.seed's `extra`: point events (bench.ledger's loader), then cases, before the indexes come back."""

    events: int
    cases: int
    users: int
    forum_seed: int

    def __call__(self, inserter: BatchInserter) -> None:
        if self.events:
            # staff_every=0: only bench.seed's own staff, so the forum is the one bench.pages measures.
            LedgerSeed(events=self.events, users=self.users, forum_seed=self.forum_seed, staff_every=0)(inserter)
        seed_cases(inserter.conn, self.cases)


def prepare_database(args: argparse.Namespace) -> None:
    path: Path = args.db
    if args.reuse and path.exists():
        differences = schema_differences(path)
        if not differences:
            print(f"Reusing {path}")
            engine = _engine(path)
            with engine.begin() as conn:
                if not conn.scalar(select(func.count()).select_from(Base.metadata.tables["cases"])):
                    seed_cases(conn, args.cases)
            engine.dispose()
            return
        print(
            f"Not reusing {path}: the models changed since it was built ({', '.join(differences[:5])}"
            f"{', …' if len(differences) > 5 else ''})"
        )
    config = SeedConfig()
    print(
        f"Building {path}: {config.questions:,} questions, ~{config.answers_per_question:g} answers each, "
        f"{args.events:,} point events, {args.cases:,} cases"
    )
    extras = ForumExtras(events=args.events, cases=args.cases, users=config.users, forum_seed=config.seed)
    report = build_database(path, config, extra=extras)
    print(
        f"Seeded {report.total_rows:,} rows in {report.seconds:.1f}s ({report.rows_per_second:,.0f} rows/s): "
        + ", ".join(f"{table} {count:,}" for table, count in sorted(report.rows.items()))
    )


def _engine(path: Path) -> Engine:
    return make_engine(f"sqlite:///{path}")


# --- measuring ----------------------------------------------------------------------------------


@dataclass
class PageResult:
    name: str
    url: str
    times_ms: list[float] = field(default_factory=list)
    cpu_ms: list[float] = field(default_factory=list)
    queries: int = 0
    size: int = 0

    @property
    def p50(self) -> float:
        return statistics.median(self.times_ms)

    @property
    def p95(self) -> float:
        return statistics.quantiles(self.times_ms, n=20, method="inclusive")[18]


def service_operations(staff: User, board_slug: str) -> list[Operation]:
    def dashboard(days: int, board: str | None) -> Callable[[Session], int]:
        query = service.InsightsQuery(days, board)
        return lambda session: service.dashboard(session, staff, query, ticket_cost=12.0).asked

    def unanswered(days: int) -> Callable[[Session], int]:
        return lambda session: len(service.unanswered(session, staff, service.InsightsQuery(days)).questions)

    return [
        Operation("dashboard, 30 days, all boards", dashboard(30, None), SERVICE_TARGET_MS),
        Operation("dashboard, 90 days, all boards", dashboard(90, None), SERVICE_TARGET_MS),
        Operation(f"dashboard, 30 days, {board_slug}", dashboard(30, board_slug), SERVICE_TARGET_MS),
        Operation(f"dashboard, 90 days, {board_slug}", dashboard(90, board_slug), SERVICE_TARGET_MS),
        Operation("unanswered list, 90 days", unanswered(90), SERVICE_TARGET_MS),
    ]


def measure_pages(
    app: Flask, staff_id: int, urls: Sequence[tuple[str, str]], recorder: QueryRecorder, warmup: int, repeat: int
) -> list[PageResult]:
    results = [PageResult(name, url) for name, url in urls]
    with app.app_context(), db.scope() as setup:
        staff = setup.get(User, staff_id)
        sessions.start(setup, staff, "bench")  # a live sign-in session, as the user loader demands
        setup.commit()
        cookie_id = staff.get_id()
    with app.test_client() as client:
        with client.session_transaction() as session:
            session["_user_id"], session["_fresh"] = cookie_id, True
        for attempt in range(warmup + repeat):
            for result in results:
                recorder.reset()
                started, cpu = time.perf_counter(), time.process_time()
                response = client.get(result.url)
                elapsed, cpu_elapsed = (time.perf_counter() - started) * 1000, (time.process_time() - cpu) * 1000
                if response.status_code != 200:
                    raise RuntimeError(f"{result.url} answered {response.status_code}")
                if attempt >= warmup:
                    result.times_ms.append(elapsed)
                    result.cpu_ms.append(cpu_elapsed)
                    result.queries, result.size = len(recorder.statements), len(response.get_data())
    return results


def measure_service(
    app: Flask, ops: Sequence[Operation], recorder: QueryRecorder, warmup: int, repeat: int
) -> list[Result]:
    with app.app_context():
        return [measure(app, op, recorder, warmup, repeat) for op in ops]


# --- reporting ----------------------------------------------------------------------------------


def _verdict(p50: float, p95: float, target: float) -> str:
    return "MISS" if p50 >= target else "ok" if p95 < target else "p95 over"


def print_table(title: str, service_results: Sequence[Result], pages: Sequence[PageResult]) -> None:
    rows = [
        (r.op.name, r.queries, r.p50, r.p95, max(r.times_ms), statistics.median(r.cpu_ms), r.op.target_ms)
        for r in service_results
    ]
    rows += [
        (f"GET {p.url}", p.queries, p.p50, p.p95, max(p.times_ms), statistics.median(p.cpu_ms), PAGE_TARGET_MS)
        for p in pages
    ]
    width = max(len(row[0]) for row in rows)
    header = (
        f"{'operation':<{width}}  {'queries':>7}  {'p50 ms':>8}  {'p95 ms':>8}  {'max ms':>8}  "
        f"{'CPU p50':>8}  {'target':>7}"
    )
    print(f"\n{title}\n")
    print(header)
    print("-" * len(header))
    for name, queries, p50, p95, worst, cpu, target in rows:
        print(
            f"{name:<{width}}  {queries:>7}  {p50:>8.1f}  {p95:>8.1f}  {worst:>8.1f}  {cpu:>8.1f}  "
            f"{f'<{target:g}':>7}  {_verdict(p50, p95, target)}"
        )


# --- main ---------------------------------------------------------------------------------------


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.insights", description=__doc__.splitlines()[0])
    parser.add_argument("--db", type=Path, default=DEFAULT_DB, help=f"SQLite file (default {DEFAULT_DB})")
    parser.add_argument("--reuse", action="store_true", help="reuse the database at --db when its schema is current")
    parser.add_argument("--events", type=int, default=500_000, help="point events when building (default 500,000)")
    parser.add_argument("--cases", type=int, default=4_000, help="support cases to add (default 4,000)")
    parser.add_argument("--repeat", type=int, default=20, help="timed calls per operation (default 20)")
    parser.add_argument("--warmup", type=int, default=2, help="untimed calls per operation first (default 2)")
    parser.add_argument("--explain", action="store_true", help="print the statements and plans of every call")
    parser.add_argument(
        "--try-indexes", action="store_true", help="measure again with the suggested indexes added (then drop them)"
    )
    parser.add_argument(
        "--stats",
        choices=("keep", "analyze", "drop"),
        default="keep",
        help="planner statistics: as they are (default), run ANALYZE, or delete them",
    )
    args = parser.parse_args(argv)
    if args.repeat < 2 or args.warmup < 0:
        parser.error("need --repeat >= 2 and --warmup >= 0")
    return args


def _explain(path: Path, results: Sequence[Result], everything: bool) -> None:
    if everything:
        print_plans(path, results)
        return
    slowest = max(results, key=lambda result: result.p50)
    print_plans(path, [slowest])


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    path: Path = args.db.resolve()
    args.db = path
    prepare_database(args)
    stats = set_statistics(path, args.stats)

    app = create_app({"ENV_NAME": "testing", "DATABASE_URL": f"sqlite:///{path}", "RATELIMIT_ENABLED": False})
    if "insights" not in app.blueprints:  # until app/__init__.py registers it
        app.register_blueprint(insights_bp)
    engine: Engine = app.extensions["agora_db"].engine
    with engine.connect() as conn:
        staff_id = conn.scalar(select(User.id).where(User.role == "staff").order_by(User.id).limit(1))
        board_slug, board_questions = conn.execute(
            select(Board.slug, Board.question_count).order_by(Board.question_count.desc()).limit(1)
        ).one()
        totals = {
            name: conn.scalar(select(func.count()).select_from(Base.metadata.tables[name]))
            for name in ("questions", "answers", "cases", "point_events")
        }
        newest = conn.scalar(select(func.max(Question.created_at)))
    print(
        "Rows: "
        + ", ".join(f"{name} {count:,}" for name, count in totals.items())
        + f"; newest question {newest:%Y-%m-%d %H:%M}; biggest board {board_slug} ({board_questions:,} questions)"
    )
    with app.app_context():
        session = db.new_session(write=False)
        staff = session.get(User, staff_id)
        session.expunge(staff)  # the service only reads its role
        session.close()

    recorder = QueryRecorder(engine)
    ops = service_operations(staff, board_slug)
    urls = [
        ("dashboard", "/insights"),
        ("dashboard 90 days, board", f"/insights?period=90&board={board_slug}"),
        ("CSV", "/insights.csv?period=90"),
    ]
    try:
        print(
            f"\nTiming {len(ops)} service calls and {len(urls)} pages: {args.warmup} warm-up + {args.repeat} "
            "timed runs each"
        )
        results = measure_service(app, ops, recorder, args.warmup, args.repeat)
        pages = measure_pages(app, staff_id, urls, recorder, args.warmup, args.repeat)
        print_table(f"Insights on {path.name} ({args.repeat} timed runs each; SQLite, one process):", results, pages)
        _explain(path, results, args.explain)
        if args.try_indexes:
            conn = sqlite3.connect(path)
            try:
                for statement in CANDIDATE_INDEXES:
                    started = time.perf_counter()
                    conn.execute(statement)
                    print(f"\n{statement}  ({time.perf_counter() - started:.1f}s)")
                conn.commit()
                engine.dispose()  # new connections see the new schema
                with_indexes = measure_service(app, ops, recorder, args.warmup, args.repeat)
                pages_with = measure_pages(app, staff_id, urls, recorder, args.warmup, args.repeat)
                print_table("With the suggested indexes:", with_indexes, pages_with)
                _explain(path, with_indexes, args.explain)
            finally:
                for statement in CANDIDATE_INDEXES:
                    conn.execute(f"DROP INDEX IF EXISTS {statement.split()[5]}")
                conn.commit()
                conn.close()
    finally:
        recorder.close()
        engine.dispose()
    print_environment(path, stats)
    return 0


if __name__ == "__main__":
    sys.exit(main())

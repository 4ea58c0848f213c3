"""Time Agora's main pages, server side, on a SQLite database of about a million posts.

    .venv/bin/python -m bench.pages [--questions N] [--answers-per-question M] [--db PATH] [--reuse]

1. Builds the database at --db with bench.seed (Core executemany, fixed random seed), or reuses the
   file there with --reuse.
2. Creates the app on it and, through ``app.test_client()`` (the whole WSGI stack: routing, session,
   views, SQLAlchemy, Jinja), requests each page --warmup times, then --repeat times on the clock,
   counting the SQL statements each request sends (transaction control and PRAGMAs left out).
3. Runs the statements one page sent straight on sqlite3 to split server time into SQL and the rest
   (with --explain, also prints each statement's EXPLAIN QUERY PLAN), then prints the results table,
   the database size and the Python/SQLite versions.

Design targets: question and board pages under 10 ms of server time, at most 6 queries per page.
"""

from __future__ import annotations

import argparse
import os
import platform
import sqlite3
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from importlib.metadata import version
from pathlib import Path
from typing import Any

import sqlalchemy
from flask import Flask, url_for
from flask.testing import FlaskClient
from sqlalchemy import Engine, event, func, select

from app import create_app
from app.forum.models import Board, Question, Tag, question_tags
from app.forum.service import Cursor
from bench.seed import SeedConfig, SeedReport, build_database, schema_differences

DEFAULT_DB = Path("/tmp/agora-bench.db")  # noqa: S108 - a benchmark scratch file, by design
TARGET_MS = 10.0
TARGET_QUERIES = 6
DEEP_ROW = 20_000  # the "after" cursor of this row opens the board list ~1,000 pages deep
CONTROL_STATEMENTS = ("BEGIN", "COMMIT", "ROLLBACK", "SAVEPOINT", "RELEASE", "PRAGMA")


# --- what to request ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Targets:
    """The rows the measured pages show, looked up in the database (so --reuse works on any build)."""

    board_slug: str
    board_questions: int
    deep_row: int
    deep_cursor: str
    popular_tag: str
    popular_tag_questions: int
    tag_deep_row: int
    tag_deep_cursor: str  # the popular tag's list on the board, tag_deep_row rows in
    rare_tag: str
    rare_tag_questions: int
    big_question: tuple[int, str, int]  # id, slug, answers
    ordinary_question: tuple[int, str, int]


def find_targets(engine: Engine, page_size: int = 20, typical_answers: int = 3) -> Targets:
    """The first board, a cursor DEEP_ROW rows into it (and into its most used tag's list), its most used
    tag and its least used tag that
    still fills a page, the question with the most answers, and one a third of the way in with
    `typical_answers` answers (any answered one if none has exactly that many)."""
    with engine.connect() as conn:
        board_id, board_slug, board_questions = conn.execute(
            select(Board.id, Board.slug, Board.question_count).order_by(Board.position, Board.id).limit(1)
        ).one()
        deep_row = max(1, min(DEEP_ROW, board_questions - page_size - 1))
        at, last_id = conn.execute(
            select(Question.last_activity_at, Question.id)
            .where(Question.board_id == board_id)
            .order_by(Question.last_activity_at.desc(), Question.id.desc())
            .offset(deep_row - 1)
            .limit(1)
        ).one()

        uses = func.count().label("uses")
        tag_use = (
            select(Tag.id, Tag.name, uses)
            .join(question_tags, question_tags.c.tag_id == Tag.id)
            .join(Question, Question.id == question_tags.c.question_id)
            .where(Question.board_id == board_id)
            .group_by(Tag.id)
        )
        popular = conn.execute(tag_use.order_by(uses.desc(), Tag.id).limit(1)).one()
        # The tag list pages on the tag rows' copies of (last_activity_at, question id).
        tag_deep_row = max(1, min(DEEP_ROW, popular.uses - page_size - 1))
        tag_at, tag_last_id = conn.execute(
            select(question_tags.c.last_activity_at, question_tags.c.question_id)
            .where(question_tags.c.tag_id == popular.id, question_tags.c.board_id == board_id)
            .order_by(question_tags.c.last_activity_at.desc(), question_tags.c.question_id.desc())
            .offset(tag_deep_row - 1)
            .limit(1)
        ).one()
        rare = conn.execute(tag_use.having(uses > page_size).order_by(uses, Tag.id).limit(1)).one_or_none()

        question = select(Question.id, Question.slug, Question.answer_count).limit(1)
        big = conn.execute(question.order_by(Question.answer_count.desc(), Question.id)).one()
        third = (conn.scalar(select(func.max(Question.id))) or 0) // 3
        later = question.where(Question.id >= third).order_by(Question.id)
        ordinary = (conn.execute(later.where(Question.answer_count == typical_answers)).one_or_none()
                    or conn.execute(later.where(Question.answer_count > 0)).one())
    rare = rare or popular
    return Targets(
        board_slug=board_slug,
        board_questions=board_questions,
        deep_row=deep_row,
        deep_cursor=Cursor(at, last_id).encode(),
        popular_tag=popular.name,
        popular_tag_questions=popular.uses,
        tag_deep_row=tag_deep_row,
        tag_deep_cursor=Cursor(tag_at, tag_last_id).encode(),
        rare_tag=rare.name,
        rare_tag_questions=rare.uses,
        big_question=(big.id, big.slug, big.answer_count),
        ordinary_question=(ordinary.id, ordinary.slug, ordinary.answer_count),
    )


@dataclass(frozen=True)
class Page:
    name: str
    url: str
    marker: bytes  # counted in the HTML as a sanity check: question rows or answers shown
    targeted: bool  # covered by the design targets (board and question pages)
    member: bool = False  # requested signed in as a member (who wrote neither the question nor its answers)


def pages_to_measure(app: Flask, targets: Targets) -> list[Page]:
    slug = targets.board_slug
    big_id, big_slug, _ = targets.big_question
    ordinary_id, ordinary_slug, _ = targets.ordinary_question
    row, answer = b'class="question-row', b'id="answer-'
    with app.test_request_context():
        return [
            Page("home", url_for("forum.index"), row, False),
            Page("board, page 1", url_for("forum.board", slug=slug), row, True),
            Page(f"board, after row {targets.deep_row:,}", url_for("forum.board", slug=slug,
                                                                   after=targets.deep_cursor), row, True),
            Page("board, unanswered", url_for("forum.board", slug=slug, filter="unanswered"), row, True),
            Page(f"board, tag {targets.popular_tag} ({targets.popular_tag_questions:,} here)",
                 url_for("forum.board", slug=slug, tag=targets.popular_tag), row, True),
            Page(f"board, tag {targets.popular_tag}, after row {targets.tag_deep_row:,}",
                 url_for("forum.board", slug=slug, tag=targets.popular_tag, after=targets.tag_deep_cursor), row, True),
            Page(f"board, tag {targets.rare_tag} ({targets.rare_tag_questions:,} here)",
                 url_for("forum.board", slug=slug, tag=targets.rare_tag), row, True),
            Page(f"all questions, tag {targets.popular_tag}", url_for("forum.questions", tag=targets.popular_tag),
                 row, True),
            Page(f"question, {targets.big_question[2]} answers", url_for("forum.question", question_id=big_id,
                                                                        slug=big_slug), answer, True),
            Page(f"question, {targets.ordinary_question[2]} answers",
                 url_for("forum.question", question_id=ordinary_id, slug=ordinary_slug), answer, True),
            Page(f"question, {targets.big_question[2]} answers, signed in",
                 url_for("forum.question", question_id=big_id, slug=big_slug), answer, True, member=True),
            Page(f"question, {targets.ordinary_question[2]} answers, signed in",
                 url_for("forum.question", question_id=ordinary_id, slug=ordinary_slug), answer, True, member=True),
        ]


# --- measuring ----------------------------------------------------------------------------------


class QueryRecorder:
    """Records the statements (and parameters) sent through an engine, transaction control left out."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.statements: list[tuple[str, Any]] = []
        event.listen(engine, "before_cursor_execute", self._record)

    def _record(self, _conn: Any, _cursor: Any, statement: str, parameters: Any, _context: Any,
                _executemany: bool) -> None:
        if not statement.lstrip().upper().startswith(CONTROL_STATEMENTS):
            self.statements.append((statement, parameters))

    def reset(self) -> None:
        self.statements = []

    def close(self) -> None:
        event.remove(self.engine, "before_cursor_execute", self._record)


@dataclass
class StatementTiming:
    statement: str
    parameters: Any
    median_ms: float
    rows: int
    plan: list[str]


@dataclass
class Result:
    page: Page
    times_ms: list[float] = field(default_factory=list)  # wall clock, the figure the targets are about
    cpu_ms: list[float] = field(default_factory=list)  # this process's CPU time: steadier on a busy machine
    query_counts: list[int] = field(default_factory=list)
    items: int = 0
    size: int = 0
    statements: list[StatementTiming] = field(default_factory=list)

    @property
    def p50(self) -> float:
        return statistics.median(self.times_ms)

    @property
    def p95(self) -> float:
        return statistics.quantiles(self.times_ms, n=20, method="inclusive")[18]

    @property
    def cpu_p50(self) -> float:
        return statistics.median(self.cpu_ms)

    @property
    def worst(self) -> float:
        return max(self.times_ms)

    @property
    def queries(self) -> str:
        low, high = min(self.query_counts), max(self.query_counts)
        return str(low) if low == high else f"{low}-{high}"

    @property
    def sql_ms(self) -> float:
        return sum(timing.median_ms for timing in self.statements)

    @property
    def verdict(self) -> str:
        if not self.page.targeted:
            return ""
        if max(self.query_counts) > TARGET_QUERIES or self.p50 >= TARGET_MS:
            return "MISS"
        return "ok" if self.p95 < TARGET_MS else "p95 over"


def _get(client: FlaskClient, page: Page) -> bytes:
    response = client.get(page.url)
    if response.status_code != 200:
        raise RuntimeError(f"{page.url} answered {response.status_code}")
    return response.get_data()


def sign_in_member(app: Flask, client: FlaskClient, question_id: int) -> None:
    """Sign `client` in as a member who took no part in the question (so the page shows every reader's controls
    a member gets: kudos buttons, flag links), the way Flask-Login records a real sign-in."""
    from app.accounts import sessions
    from app.accounts.models import User
    from app.db import db
    from app.forum.models import Answer

    with app.app_context(), db.scope() as setup:
        took_part = select(Answer.author_id).where(Answer.question_id == question_id).union(
            select(Question.author_id).where(Question.id == question_id))
        member = setup.scalars(select(User).where(User.role == "member", User.id.not_in(took_part))
                               .order_by(User.id).limit(1)).one()
        sessions.start(setup, member, "bench")
        setup.commit()
        user_id = member.get_id()
    with client.session_transaction() as stored:
        stored["_user_id"] = user_id
        stored["_fresh"] = True


def measure(clients: tuple[FlaskClient, FlaskClient], pages: Sequence[Page], recorder: QueryRecorder, warmup: int,
            repeat: int, log: Callable[[str], None] = print) -> list[Result]:
    """Request every page in turn, round after round, so a burst of load elsewhere hits them all alike.
    clients: a visitor's and a signed-in member's."""
    visitor, member = clients
    results = [Result(page) for page in pages]
    for _ in range(warmup):
        for page in pages:
            _get(member if page.member else visitor, page)
    for round_number in range(1, repeat + 1):
        for result in results:
            recorder.reset()
            wall, cpu = time.perf_counter(), time.process_time()
            body = _get(member if result.page.member else visitor, result.page)
            result.cpu_ms.append((time.process_time() - cpu) * 1000)
            result.times_ms.append((time.perf_counter() - wall) * 1000)
            result.query_counts.append(len(recorder.statements))
            if round_number == repeat:
                result.items, result.size = body.count(result.page.marker), len(body)
                result.statements = [StatementTiming(sql, params, 0.0, 0, []) for sql, params in recorder.statements]
        if round_number % max(1, repeat // 4) == 0:
            log(f"  {round_number}/{repeat} rounds")
    return results


def time_statements(path: Path, result: Result, repeat: int = 25) -> None:
    """Run the last request's statements straight on sqlite3: their cost without the ORM, and their plans."""
    conn = sqlite3.connect(path)
    try:
        for timing in result.statements:
            params = timing.parameters if timing.parameters is not None else ()
            timing.plan = [row[3] for row in conn.execute(f"EXPLAIN QUERY PLAN {timing.statement}", params)]
            samples = []
            for _ in range(repeat):
                started = time.perf_counter()
                rows = conn.execute(timing.statement, params).fetchall()
                samples.append((time.perf_counter() - started) * 1000)
            timing.median_ms = statistics.median(samples)
            timing.rows = len(rows)
    finally:
        conn.close()


# --- reporting ----------------------------------------------------------------------------------


def _one_line(statement: str, width: int = 150) -> str:
    text = " ".join(statement.split())
    return text if len(text) <= width else text[: width - 1] + "…"


def print_plans(results: Sequence[Result]) -> None:
    print("\nStatements of one request per page, timed straight on sqlite3 (median), with their plans:")
    for result in results:
        print(f"\n== {result.page.name}  {result.page.url[:90]}")
        for number, timing in enumerate(result.statements, start=1):
            print(f"  {number}. {timing.median_ms:7.3f} ms  {timing.rows:>4} rows  {_one_line(timing.statement)}")
            for step in timing.plan:
                print(f"       plan: {step}")


def print_table(results: Sequence[Result], repeat: int) -> None:
    name_width = max(len(result.page.name) for result in results)
    header = (f"{'page':<{name_width}}  {'shown':>5}  {'queries':>7}  {'p50 ms':>7}  {'p95 ms':>7}  {'max ms':>7}  "
              f"{'CPU p50':>7}  {'SQL ms':>6}  {'KB':>4}  target")
    print(f"\nServer-side time per request through app.test_client(), {repeat} requests each:\n")
    print(header)
    print("-" * len(header))
    for r in results:
        print(f"{r.page.name:<{name_width}}  {r.items:>5}  {r.queries:>7}  {r.p50:>7.2f}  {r.p95:>7.2f}  "
              f"{r.worst:>7.2f}  {r.cpu_p50:>7.2f}  {r.sql_ms:>6.2f}  {r.size / 1024:>4.0f}  {r.verdict}")
    print("\nshown: question rows or answers on the page (a sanity check); ms: wall-clock server time per request;"
          "\nCPU p50: this process's CPU time per request (unlike wall time, not inflated by other processes);"
          "\nSQL ms: the page's statements run straight on sqlite3 (median); the rest is Python: routing, ORM, Jinja."
          f"\ntarget: board and question pages p50 and p95 < {TARGET_MS:g} ms with <= {TARGET_QUERIES} queries "
          "('p95 over': only p50 meets it).")


def database_size(path: Path) -> str:
    sizes = {suffix or "db": Path(f"{path}{suffix}").stat().st_size
             for suffix in ("", "-wal") if Path(f"{path}{suffix}").exists()}
    return ", ".join(f"{name} {size / 1024**2:,.0f} MiB" for name, size in sizes.items())


def print_environment(path: Path, stats: bool) -> None:
    print(f"\nDatabase: {path}  ({database_size(path)}); planner statistics (sqlite_stat1): "
          f"{'present' if stats else 'absent'}")
    print(f"Python {platform.python_version()} ({platform.python_implementation()}), SQLite {sqlite3.sqlite_version}, "
          f"SQLAlchemy {sqlalchemy.__version__}, Flask {version('flask')}, {platform.platform()}, "
          f"{os.cpu_count()} CPUs")


# --- main ---------------------------------------------------------------------------------------


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.pages", description=__doc__.splitlines()[0])
    parser.add_argument("--questions", type=int, default=250_000, help="questions to create (default 250,000)")
    parser.add_argument("--answers-per-question", type=float, default=3.0,
                        help="mean answers per question (default 3: about 1,000,000 posts in all)")
    parser.add_argument("--db", type=Path, default=DEFAULT_DB, help=f"SQLite file (default {DEFAULT_DB})")
    parser.add_argument("--reuse", action="store_true", help="reuse the database at --db when it exists")
    parser.add_argument("--repeat", type=int, default=200, help="timed requests per page (default 200)")
    parser.add_argument("--warmup", type=int, default=20, help="untimed requests per page first (default 20)")
    parser.add_argument("--explain", action="store_true", help="print each page's statements and query plans")
    parser.add_argument("--stats", choices=("keep", "analyze", "drop"), default="keep",
                        help="planner statistics: leave as they are (default), run ANALYZE, or delete them; "
                             "a fresh database (and one made by `alembic upgrade`) has none")
    args = parser.parse_args(argv)
    if args.questions < 10 or args.repeat < 2 or args.warmup < 0 or args.answers_per_question < 0:
        parser.error("need --questions >= 10, --repeat >= 2, --warmup >= 0, --answers-per-question >= 0")
    return args


def prepare_database(args: argparse.Namespace, log: Callable[[str], None] = print) -> SeedReport | None:
    path: Path = args.db
    if args.reuse and path.exists():
        differences = schema_differences(path)
        if not differences:
            log(f"Reusing {path}")
            return None
        log(f"Not reusing {path}: the models changed since it was built ({', '.join(differences[:5])}"
            f"{', …' if len(differences) > 5 else ''})")
    config = SeedConfig(questions=args.questions, answers_per_question=args.answers_per_question)
    log(f"Building {path}: {config.questions:,} questions, ~{config.answers_per_question:g} answers each, "
        f"{config.users:,} users, {config.tags} tags (seed {config.seed})")
    report = build_database(path, config, log)
    log(f"Seeded {report.total_rows:,} rows in {report.seconds:.1f}s ({report.rows_per_second:,.0f} rows/s): "
        + ", ".join(f"{table} {count:,}" for table, count in sorted(report.rows.items())))
    return report


def set_statistics(path: Path, mode: str) -> bool:
    """Apply --stats and say whether the planner now has statistics."""
    conn = sqlite3.connect(path)
    try:
        if mode == "analyze":
            started = time.perf_counter()
            conn.execute("ANALYZE")
            conn.commit()
            print(f"ANALYZE took {time.perf_counter() - started:.1f}s")
        elif mode == "drop":
            for table in ("sqlite_stat1", "sqlite_stat4"):
                if conn.execute("SELECT 1 FROM sqlite_master WHERE name = ?", (table,)).fetchone():
                    conn.execute(f"DELETE FROM {table}")  # noqa: S608 - fixed names
            conn.commit()
        return conn.execute("SELECT 1 FROM sqlite_master WHERE name = 'sqlite_stat1'").fetchone() is not None and (
            conn.execute("SELECT count(*) FROM sqlite_stat1").fetchone()[0] > 0)
    finally:
        conn.close()


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    path: Path = args.db.resolve()
    args.db = path
    seed_report = prepare_database(args)
    stats = set_statistics(path, args.stats)

    app = create_app({"ENV_NAME": "testing", "DATABASE_URL": f"sqlite:///{path}", "RATELIMIT_ENABLED": False})
    engine: Engine = app.extensions["agora_db"].engine
    targets = find_targets(engine, page_size=app.config["PAGE_SIZE"])
    pages = pages_to_measure(app, targets)
    print(f"\nMeasuring {len(pages)} pages: {args.warmup} warm-up + {args.repeat} timed requests each "
          f"(board '{targets.board_slug}', {targets.board_questions:,} questions)")

    recorder = QueryRecorder(engine)
    try:
        visitor, member = app.test_client(), app.test_client()  # not `with`: two would share one context stack
        sign_in_member(app, member, targets.big_question[0])
        results = measure((visitor, member), pages, recorder, args.warmup, args.repeat)
    finally:
        recorder.close()
    engine.dispose()
    for result in results:
        time_statements(path, result)

    if args.explain:
        print_plans(results)
    if seed_report is not None:
        print(f"\nSeeding: {seed_report.total_rows:,} rows in {seed_report.seconds:.1f}s "
              f"({seed_report.rows_per_second:,.0f} rows/s)")
    print_table(results, args.repeat)
    print_environment(path, stats)
    return 0


if __name__ == "__main__":
    sys.exit(main())

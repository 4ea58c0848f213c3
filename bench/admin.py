"""Time the admin pages' lists at 50,000 members, server side.

    .venv/bin/python -m bench.admin [--members N] [--boards N] [--database-url URL] [--repeat N]

1. Builds a fresh database (a SQLite file at --db, or the PostgreSQL database at --database-url, which is
   emptied) with N members (fixed random seed: usernames, display names in several scripts, e-mail
   addresses, a few moderators and staff, points, some suspended), a few hundred flags and --boards boards.
2. Signs an admin in on ``app.test_client()`` and requests each admin list (first page, a deep keyset page,
   prefix searches that match many, few and no members, a role filter, a member's record, the boards list)
   --warmup times, then --repeat times on the clock, counting the SQL statements each request sends.
3. Prints the table: rows shown, queries, median and 95th percentile of server time in ms, against the
   design target of 50 ms.
"""

from __future__ import annotations

import argparse
import os
import platform
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote

import sqlalchemy
from sqlalchemy import Engine, create_engine, event, insert, select, text

from app import create_app
from app.accounts import passwords, sessions
from app.accounts.models import User
from app.db import Base, db, utcnow
from app.forum.models import Board, Question
from app.models import import_all_models
from app.moderation.models import Flag

TARGET_MS = 50.0
CONTROL_STATEMENTS = ("BEGIN", "COMMIT", "ROLLBACK", "SAVEPOINT", "RELEASE", "PRAGMA")
FIRST_NAMES = ("anna", "giorgos", "katarzyna", "piotr", "arben", "noa", "sam", "lucy", "maria", "jan", "elena",
               "dritan", "yael", "nina", "alex", "ola", "eleni", "tomasz", "besa", "dana")  # fmt: skip
DOMAINS = ("example.com", "mail.example", "nimbus.example")
DISPLAY_NAMES = ("Anna K.", "Γιώργος Π.", "Katarzyna W.", "Piotr Nowak", "Arben K.", "נועה לוי", "Sam Okafor",
                 "Lucy H.", "Μαρία", "Jan Kowalski", "")  # fmt: skip


def seed(engine: Engine, members: int, boards: int, rng: random.Random) -> tuple[int, str]:
    """Fill an empty schema; returns the admin's id and the username of a member with flagged questions."""
    password_hash = passwords.hash_password("bench-password-2026")  # one hash for all: seeding, not signing in
    now = utcnow()
    rows: list[dict[str, Any]] = []
    for n in range(members):
        first = rng.choice(FIRST_NAMES)
        username = f"{first}{n:05d}" if n else "bench_admin"
        role = "admin" if n == 0 else rng.choices(("member", "moderator", "staff"), (990, 7, 3))[0]
        suspended = role == "member" and rng.random() < 0.01
        rows.append({
            "username": username, "username_key": username.lower(), "email": f"{username}@{rng.choice(DOMAINS)}",
            "password_hash": password_hash, "display_name": rng.choice(DISPLAY_NAMES), "role": role,
            "points": int(rng.paretovariate(1.2)) - 1, "created_at": now, "locale": "en",
            "suspended_at": now if suspended else None, "suspension_reason": "Spam" if suspended else None,
        })  # fmt: skip
    with engine.begin() as conn:
        for start in range(0, len(rows), 5000):
            conn.execute(insert(User), rows[start : start + 5000])
        conn.execute(insert(Board), [{"slug": f"board-{n}", "name": f"Board {n}", "position": n, "created_at": now}
                                     for n in range(1, boards + 1)])  # fmt: skip
        board_id = conn.scalar(select(Board.id).limit(1))
        # The member whose record is measured: a few questions, each flagged by several others.
        author = conn.scalar(select(User.id).where(User.username_key != "bench_admin").order_by(User.id).limit(1))
        questions = [{"board_id": board_id, "author_id": author, "title": f"Question {n} about the bench",
                      "slug": f"question-{n}", "body_source": "A body.", "body_html": "<p>A body.</p>",
                      "render_version": 1, "created_at": now, "last_activity_at": now} for n in range(20)]  # fmt: skip
        conn.execute(insert(Question), questions)
        question_ids = list(conn.scalars(select(Question.id)))
        conn.execute(insert(Flag), [{"reporter_id": reporter, "question_id": qid, "reason": "spam", "note": "",
                                     "source": "member", "status": "pending", "created_at": now}
                                    for qid in question_ids for reporter in range(3, 23)])  # fmt: skip
        admin_id = conn.scalar(select(User.id).where(User.username_key == "bench_admin"))
        return admin_id, conn.scalar(select(User.username).where(User.id == author))


def fresh_engine(url: str) -> Engine:
    import_all_models()
    engine = create_engine(url)
    if engine.dialect.name == "postgresql":
        with engine.begin() as conn:
            conn.execute(text("DROP SCHEMA public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
    Base.metadata.create_all(engine)
    return engine


@dataclass
class Result:
    name: str
    url: str
    rows: int = 0
    queries: int = 0
    times_ms: list[float] = field(default_factory=list)
    cpu_ms: list[float] = field(default_factory=list)
    sql_ms: list[float] = field(default_factory=list)

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
    def sql_p50(self) -> float:
        return statistics.median(self.sql_ms)


@dataclass(frozen=True)
class Targets:
    deep_cursor: str  # a keyset cursor ~98% of the way through the members
    few_prefix: str  # a username prefix a handful of members share
    email_prefix: str  # one member's e-mail address up to the domain
    record_username: str  # a member with flagged questions


def find_targets(engine: Engine, record_username: str) -> Targets:
    with engine.connect() as conn:
        keys = list(conn.scalars(select(User.username_key).order_by(User.username_key)))
        email = conn.scalar(select(User.email).where(User.username_key == keys[len(keys) // 3]))
    return Targets(keys[int(len(keys) * 0.98)], keys[len(keys) // 2][:-1], email.split("@")[0] + "@", record_username)


def pages(targets: Targets) -> list[tuple[str, str, str]]:
    """(name, url, what a shown row looks like in the HTML, to count rows)."""
    member_row = 'href="/admin/members/'
    deep_cursor, record_username = targets.deep_cursor, targets.record_username
    return [
        ("baseline: rules page, no SQL", "/admin/reputation", "<tr><td>"),
        ("members, page 1", "/admin/members", member_row),
        ("members, deep page (keyset)", f"/admin/members?after={deep_cursor}", member_row),
        ("search 'anna' (many match)", "/admin/members?q=anna", member_row),
        (f"search '{targets.few_prefix}' (few)", f"/admin/members?q={targets.few_prefix}", member_row),
        ("search 'zz-nobody' (none)", "/admin/members?q=zz-nobody", member_row),
        ("search by e-mail prefix", f"/admin/members?q={quote(targets.email_prefix)}", member_row),
        ("role filter: staff", "/admin/members?role=staff", member_row),
        ("role filter: staff, 'nina'", "/admin/members?role=staff&q=nina", member_row),
        ("a member's record", f"/admin/members/{record_username}", 'data-fact="'),
        ("boards list", "/admin/boards", 'id="board-'),
    ]


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--members", type=int, default=50_000)
    parser.add_argument("--boards", type=int, default=40)
    parser.add_argument("--db", type=Path, default=Path(tempfile.gettempdir()) / "agora-bench-admin.db")
    parser.add_argument("--database-url", help="a PostgreSQL database to use instead of SQLite (it is emptied)")
    parser.add_argument("--warmup", type=int, default=5)
    parser.add_argument("--repeat", type=int, default=40)
    args = parser.parse_args(argv)

    if args.database_url:
        url = args.database_url
    else:
        args.db.unlink(missing_ok=True)
        url = f"sqlite:///{args.db}"
    app = create_app({"ENV_NAME": "testing", "DATABASE_URL": url, "RATELIMIT_ENABLED": False,
                      "SEARCH_INDEX_DIR": str(Path(tempfile.mkdtemp()) / "index")})  # fmt: skip
    started = time.perf_counter()
    engine = fresh_engine(url)
    with app.app_context():
        admin_id, flagged_member = seed(engine, args.members, args.boards, random.Random(2026))
    with engine.begin() as conn:
        conn.execute(text("ANALYZE"))  # planner statistics, as a production database has them
    where = url.rsplit("@", 1)[-1]
    print(f"Seeded {args.members:,} members, {args.boards} boards in {time.perf_counter() - started:.1f}s ({where})")

    targets = find_targets(engine, flagged_member)

    client = app.test_client()
    with app.app_context(), db.scope() as session:
        admin = session.get(User, admin_id)
        sessions.start(session, admin, "bench")
        session.commit()
        cookie_id = admin.get_id()
    with client.session_transaction() as sess:
        sess["_user_id"] = cookie_id
        sess["_fresh"] = True

    with app.app_context():
        app_engine = db.engine
    statements: list[str] = []
    sql_started: list[float] = []
    sql_time = [0.0]

    def record(_conn: Any, _cursor: Any, statement: str, *_rest: Any) -> None:
        sql_started.append(time.perf_counter())
        if not statement.lstrip().upper().startswith(CONTROL_STATEMENTS):
            statements.append(statement)

    def finished(*_args: Any) -> None:
        sql_time[0] += time.perf_counter() - sql_started.pop()

    event.listen(app_engine, "before_cursor_execute", record)
    event.listen(app_engine, "after_cursor_execute", finished)
    results = []
    for name, url_path, marker in pages(targets):
        result = Result(name, url_path)
        for round_ in range(args.warmup + args.repeat):
            statements.clear()
            sql_time[0] = 0.0
            began, cpu = time.perf_counter(), time.process_time()
            response = client.get(url_path)
            elapsed = (time.perf_counter() - began) * 1000
            cpu_elapsed = (time.process_time() - cpu) * 1000
            if response.status_code != 200:
                print(f"{name}: HTTP {response.status_code}", file=sys.stderr)
                return 1
            if round_ >= args.warmup:
                result.times_ms.append(elapsed)
                result.cpu_ms.append(cpu_elapsed)
                result.sql_ms.append(sql_time[0] * 1000)
        result.queries = len(statements)
        result.rows = response.get_data(as_text=True).count(marker)
        results.append(result)
    event.remove(app_engine, "before_cursor_execute", record)
    event.remove(app_engine, "after_cursor_execute", finished)

    columns = ("sql ms", "cpu ms", "p50 ms", "p95 ms")
    header = f"{'page':<30}  {'rows':>5}  {'queries':>7}  " + "  ".join(f"{c:>7}" for c in columns) + "  target"
    print(f"\nServer-side time per request through app.test_client(), {args.repeat} requests each:\n")
    print(header)
    print("-" * len(header))
    for r in results:
        verdict = "ok" if r.p95 < TARGET_MS else ("SLOW" if r.cpu_p50 >= TARGET_MS else "ok in CPU, SLOW on the clock")
        print(f"{r.name:<30}  {r.rows:>5}  {r.queries:>7}  {r.sql_p50:>7.2f}  {r.cpu_p50:>7.2f}  {r.p50:>7.2f}  "
              f"{r.p95:>7.2f}  {verdict} (<{TARGET_MS:.0f})")  # fmt: skip
    print("\nrows: members, boards or record facts on the page (a sanity check); sql ms: median time in the database")
    print("driver; cpu ms: median CPU time of the process; p50/p95 ms: wall-clock time of the whole request.")
    print(f"Load average when done: {' '.join(f'{x:.1f}' for x in os.getloadavg())} on {os.cpu_count()} CPUs")
    print(f"Python {platform.python_version()}, SQLAlchemy {sqlalchemy.__version__}, {engine.dialect.name} "
          f"{'.'.join(map(str, engine.dialect.server_version_info or ()))}")  # fmt: skip
    engine.dispose()
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""`python -m bench seed --comparison`: load the shared comparison data set into an Agora database.

The data set (../shared/bench/datagen.py: 2,000 members, 10,000 questions, 50,000 answers, one question with
50 answers) is the one every forum in the side-by-side comparison is seeded from, so the figures compare like
with like. It is loaded with bulk inserts (bench.seed's BatchInserter, secondary indexes dropped meanwhile),
but the result is a database the app accepts as its own: counters and last-activity copies match the rows,
every answer's points are in the ledger under the daily cap exactly as reputation.answer_posted grants them,
the cached totals are checked with reputation's own verify(), first-answer badges are awarded, the schema is
stamped at the Alembic head, and the search index is built by the real reindex. SQLite by default; any
SQLAlchemy URL (PostgreSQL) with --db.
"""

from __future__ import annotations

import argparse
import html
import importlib.util
import os
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from types import ModuleType
from typing import Any

from sqlalchemy import Engine, create_engine, func, select, text
from sqlalchemy.engine import make_url

from app.content import RENDER_VERSION, slugify
from app.db import Base
from app.models import import_all_models
from app.reputation import rules
from bench.seed import BatchInserter, _bulk_engine, remove_database, schema_differences

Log = Callable[[str], None]

ROOT = Path(__file__).resolve().parent.parent
DATAGEN = Path(os.environ.get("BENCH_DATAGEN", ROOT.parent / "shared" / "bench" / "datagen.py"))
DEFAULT_DB = ROOT / "instance" / "bench-comparison.db"
# Every member of the data set signs in with this password (one real hash, computed once): the HTTP
# benchmark signs in through the real form with it.
PASSWORD = "comparison-bench-password"  # benchmark data, never a real account
SIGNED_IN_USER = "user0002"  # not the hot question's author, so the page shows a reader's controls


def load_datagen(path: Path = DATAGEN) -> ModuleType:
    """Import datagen.py by path: it lives beside the checkout, shared by every forum's seeder."""
    if not path.exists():
        raise SystemExit(f"the comparison data generator is missing: {path} (set BENCH_DATAGEN)")
    spec = importlib.util.spec_from_file_location("comparison_datagen", path)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@dataclass
class ComparisonSeed:
    """What was loaded, and where: the benchmark needs the hot question and a member to sign in as."""

    url: str
    search_index_dir: str
    rows: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0
    reindex_seconds: float = 0.0
    hot_question_id: int = 1
    hot_question_slug: str = ""
    board_slug: str = ""
    search_word: str = "python"
    username: str = SIGNED_IN_USER
    password: str = PASSWORD


def paragraphs_html(source: str) -> str:
    """What app.content.render makes of the data set's text (paragraphs of plain words), without parsing
    60,000 bodies: tests/test_bench.py checks that both agree."""
    return "".join(f"<p>{html.escape(paragraph, quote=False)}</p>\n" for paragraph in source.split("\n\n"))


def _utc(moment: datetime) -> datetime:
    return moment.replace(tzinfo=UTC)


def _rows(data: dict[str, Any], password_hash: str) -> dict[str, list[dict[str, Any]]]:
    """Every table's rows, ids from 1 in the data set's order, counters computed from the rows themselves."""
    topics, replies = data["topics"], data["replies"]
    board_ids = [i + 1 for i in range(len(data["forums"]))]
    question_id = {topic["index"]: topic["index"] + 1 for topic in topics}
    tag_id = {name: i + 1 for i, name in enumerate(data["tags"])}

    answers, answer_revisions, events = [], [], []
    answer_times: dict[int, list[datetime]] = {}
    granted: dict[tuple[int, object], int] = {}  # (member, UTC day) -> answer_posted events, for the daily cap
    answered_by: dict[int, datetime] = {}  # member -> first answer, for the first-answer badge
    for answer_id, reply in enumerate(replies, start=1):
        topic = topics[reply["topic"]]
        author, created = reply["author"] + 1, _utc(reply["created"])
        qid = question_id[topic["index"]]
        answer_times.setdefault(qid, []).append(created)
        answers.append({
            "id": answer_id, "question_id": qid, "author_id": author, "body_source": reply["body"],
            "body_html": paragraphs_html(reply["body"]), "render_version": RENDER_VERSION, "is_staff": False,
            "kudos_count": 0, "created_at": created, "edited_at": None, "is_accepted": False,
            "accepted_at": None, "accepted_by_id": None, "is_hidden": False,
        })
        answer_revisions.append({
            "question_id": None, "answer_id": answer_id, "number": 1, "editor_id": author, "title": None,
            "tags": None, "body_source": reply["body"], "created_at": created,
        })
        answered_by.setdefault(author, created)
        day = created.date()
        # As reputation.answer_posted: no points on one's own question, at most N answers a day earn them.
        if author != topic["author"] + 1 and granted.get((author, day), 0) < rules.POINTS.answer_posted_per_day:
            granted[(author, day)] = granted.get((author, day), 0) + 1
            events.append({
                "user_id": author, "delta": rules.POINTS.answer_posted, "reason": "answer_posted",
                "key": f"answer:{answer_id}", "question_id": None, "answer_id": answer_id, "actor_id": author,
                "created_at": created,
            })

    points: dict[int, int] = {}
    for event in events:
        points[event["user_id"]] = points.get(event["user_id"], 0) + event["delta"]

    questions, question_revisions, question_tags = [], [], []
    board_counts = dict.fromkeys(board_ids, 0)
    for topic in topics:
        qid, board_id, created = question_id[topic["index"]], topic["forum"] + 1, _utc(topic["created"])
        times = sorted(answer_times.get(qid, []))
        last_activity = times[-1] if times else created
        board_counts[board_id] += 1
        questions.append({
            "id": qid, "board_id": board_id, "author_id": topic["author"] + 1, "title": topic["title"],
            "slug": slugify(topic["title"]), "body_source": topic["body"], "body_html": paragraphs_html(topic["body"]),
            "render_version": RENDER_VERSION, "is_solved": False, "answer_count": len(times), "kudos_count": 0,
            "view_count": 0, "created_at": created, "edited_at": None, "last_activity_at": last_activity,
            "first_answer_at": times[0] if times else None, "asker_active_at": created, "solution_seq": 0,
            "is_hidden": False,
        })
        question_revisions.append({
            "question_id": qid, "answer_id": None, "number": 1, "editor_id": topic["author"] + 1,
            "title": topic["title"], "tags": " ".join(topic["tags"]), "body_source": topic["body"],
            "created_at": created,
        })
        question_tags += [
            {"question_id": qid, "tag_id": tag_id[name], "board_id": board_id, "last_activity_at": last_activity}
            for name in topic["tags"]
        ]

    first = min(_utc(topic["created"]) for topic in topics)
    users = [{
        "id": i, "username": user["username"], "username_key": user["username"].lower(), "email": user["email"],
        "password_hash": password_hash, "display_name": user["username"].capitalize(), "bio": "", "locale": "en",
        "role": "member", "points": points.get(i, 0), "solution_count": 0, "created_at": first,
        "email_verified_at": first, "last_seen_at": None,
    } for i, user in enumerate(data["users"], start=1)]
    boards = [{
        "id": board_id, "slug": slugify(forum["title"]), "name": forum["title"], "description": forum["description"],
        "position": board_id, "question_count": board_counts[board_id], "created_at": first,
    } for board_id, forum in zip(board_ids, data["forums"], strict=True)]
    revisions = [{"id": i, **row} for i, row in enumerate(question_revisions + answer_revisions, start=1)]
    return {
        "boards": boards, "users": users, "tags": [{"id": i, "name": name} for name, i in tag_id.items()],
        "questions": questions, "question_tags": question_tags, "answers": answers, "revisions": revisions,
        "point_events": [{"id": i, **event} for i, event in enumerate(events, start=1)],
        "user_badges": [{"user_id": user_id, "badge": "first-answer", "awarded_at": at}
                        for user_id, at in sorted(answered_by.items())],
    }


def _engine(url: str, log: Log) -> Engine:
    """A fresh, empty schema at `url`: a new SQLite file, or PostgreSQL's public schema dropped and made again."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        path = Path(parsed.database or "")
        path.parent.mkdir(parents=True, exist_ok=True)
        remove_database(path)
        engine = _bulk_engine(path)
    else:
        engine = create_engine(url)
        log(f"  emptying {parsed.render_as_string(hide_password=True)} (DROP SCHEMA public CASCADE)")
        with engine.begin() as conn:
            conn.execute(text("DROP SCHEMA public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
    Base.metadata.create_all(engine)
    return engine


def _reset_sequences(engine: Engine) -> None:
    """PostgreSQL: the rows came with their ids, so move each id sequence past them for the app's inserts."""
    if engine.dialect.name != "postgresql":
        return
    with engine.begin() as conn:
        for table in Base.metadata.sorted_tables:
            if "id" in table.c and table.c.id.primary_key:
                conn.execute(text(  # the models' own table names, never input
                    f"SELECT setval(pg_get_serial_sequence('{table.name}', 'id'), "  # noqa: S608
                    f"(SELECT COALESCE(MAX(id), 0) + 1 FROM {table.name}), false)"
                ))


def _stamp(url: str) -> None:
    """Mark the schema as at the newest migration, as `alembic upgrade head` would have left it."""
    from alembic import command
    from alembic.config import Config as AlembicConfig

    config = AlembicConfig(str(ROOT / "alembic.ini"))
    config.set_main_option("script_location", str(ROOT / "migrations"))
    config.attributes["database_url"] = url
    config.attributes["skip_logging"] = True  # leave the caller's logging as it is
    command.stamp(config, "head")


def app_settings(url: str, search_index_dir: str) -> dict[str, Any]:
    """The settings an app over this database needs (create_app overrides); reused by the HTTP benchmark."""
    return {"DATABASE_URL": url, "SEARCH_INDEX_DIR": search_index_dir}


def reindex(url: str, search_index_dir: str) -> int:
    """Build the search index with the app's own reindex (what `flask search reindex` runs)."""
    from app import create_app
    from app.db import db
    from app.search import service as search

    app = create_app({"ENV_NAME": "production", "SECRET_KEY": "x" * 32, "PUBLIC_URL": "http://127.0.0.1",
                      **app_settings(url, search_index_dir)})
    with app.app_context():
        backend = app.extensions["agora_search"]
        with db.scope(write=False) as reader, db.scope(write=True) as writer:
            count = search.reindex(reader, writer, backend)
        db.engine.dispose()
    return count


def verify(url: str) -> list[str]:
    """What is inconsistent in the loaded database, in words (empty when all is well): the cached points
    against the ledger (reputation's own check), and the counters against the rows."""
    from sqlalchemy.orm import Session

    from app.forum.models import Answer, Board, Question
    from app.reputation.ledger import verify as verify_points

    engine = create_engine(url)
    problems: list[str] = []
    with Session(engine) as session:
        problems += [f"{d.username}: {d.field} {d.cached} != {d.actual}" for d in verify_points(session)]
        answers = select(func.count()).where(Answer.question_id == Question.id).scalar_subquery()
        wrong = session.scalar(select(func.count()).select_from(Question).where(Question.answer_count != answers))
        if wrong:
            problems.append(f"{wrong} questions with a wrong answer_count")
        in_board = select(func.count()).where(Question.board_id == Board.id).scalar_subquery()
        wrong = session.scalar(select(func.count()).select_from(Board).where(Board.question_count != in_board))
        if wrong:
            problems.append(f"{wrong} boards with a wrong question_count")
    engine.dispose()
    return problems


def seed_comparison(url: str, search_index_dir: str, log: Log = print) -> ComparisonSeed:
    """Generate the data set (DATASET_SCALE scales it), load it at `url`, stamp, reindex; raises if the
    result is inconsistent."""
    from app.accounts.passwords import hash_password

    import_all_models()
    datagen = load_datagen()
    started = time.perf_counter()
    data = datagen.generate()
    log(f"  generated {data['sizes']} in {time.perf_counter() - started:.1f}s")
    tables = _rows(data, hash_password(PASSWORD))
    engine = _engine(url, log)
    indexes = [index for table in Base.metadata.sorted_tables for index in table.indexes]
    with engine.begin() as conn:
        for index in indexes:
            index.drop(conn)
        inserter = BatchInserter(conn, 5_000)
        for table in Base.metadata.sorted_tables:  # parents before children
            inserter.extend(table.name, tables.get(table.name, ()))
            inserter.flush()
        for index in indexes:
            index.create(conn)
    _reset_sequences(engine)
    engine.dispose()
    _stamp(url)
    seed = ComparisonSeed(url=url, search_index_dir=search_index_dir, rows=dict(inserter.counts))
    seed.seconds = time.perf_counter() - started
    log(f"  loaded {sum(seed.rows.values()):,} rows in {seed.seconds:.1f}s; building the search index")
    indexing = time.perf_counter()
    indexed = reindex(url, search_index_dir)
    seed.reindex_seconds = time.perf_counter() - indexing
    log(f"  indexed {indexed:,} questions in {seed.reindex_seconds:.1f}s")
    if problems := verify(url):
        raise RuntimeError("the seeded database is inconsistent: " + "; ".join(problems[:10]))
    hot = tables["questions"][datagen.HOT_TOPIC_INDEX]
    seed.hot_question_id, seed.hot_question_slug = hot["id"], hot["slug"]
    seed.board_slug = tables["boards"][0]["slug"]
    seed.search_word = datagen.SEARCH_WORD
    return seed


def describe(url: str, search_index_dir: str) -> ComparisonSeed:
    """The ComparisonSeed of an already loaded database (for `bench http --reuse`)."""
    from app.forum.models import Board, Question

    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        path = Path(parsed.database or "")
        if not path.exists():
            raise SystemExit(f"nothing to reuse at {path}: run `python -m bench seed --comparison` first")
        if missing := schema_differences(path):  # the models moved on since it was loaded (e.g. after a merge)
            raise SystemExit(f"{path} predates the current models ({', '.join(missing[:5])}); seed it again")
    datagen = load_datagen()
    engine = create_engine(url)
    with engine.connect() as conn:
        hot = conn.execute(select(Question.id, Question.slug).order_by(Question.answer_count.desc(), Question.id)
                           .limit(1)).one()
        board = conn.scalar(select(Board.slug).order_by(Board.position).limit(1))
        counts = {table: conn.scalar(select(func.count()).select_from(Base.metadata.tables[table]))
                  for table in ("users", "questions", "answers")}
    engine.dispose()
    return ComparisonSeed(url=url, search_index_dir=search_index_dir, rows=counts, hot_question_id=hot.id,
                          hot_question_slug=hot.slug, board_slug=board or "", search_word=datagen.SEARCH_WORD)


def default_url() -> str:
    return f"sqlite:///{DEFAULT_DB}"


def index_dir_for(url: str) -> str:
    """Each seeded database gets its own search index beside it (SQLite) or under instance/ (PostgreSQL)."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        return str(Path(parsed.database or "").with_suffix(".search-index"))
    return str(ROOT / "instance" / f"bench-comparison-{parsed.database}.search-index")


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench seed --comparison", description=__doc__.splitlines()[0])
    parser.add_argument("--comparison", action="store_true", help="load the shared comparison data set")
    parser.add_argument("--db", default=None, help=f"SQLAlchemy URL (default sqlite:///{DEFAULT_DB}); "
                        "a PostgreSQL database is emptied first")
    parser.add_argument("--scale", type=float, default=None, help="DATASET_SCALE (default 1: the full set)")
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    if args.scale is not None:
        os.environ["DATASET_SCALE"] = str(args.scale)
    url = args.db or default_url()
    seed = seed_comparison(url, index_dir_for(url))
    print(f"Comparison data set loaded: {seed.rows.get('questions', 0):,} questions, "
          f"{seed.rows.get('answers', 0):,} answers, {seed.rows.get('users', 0):,} members in {seed.seconds:.1f}s "
          f"+ search index {seed.reindex_seconds:.1f}s; hot question /questions/{seed.hot_question_id}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Benchmark Agora's search: bulk reindex, commit-to-searchable latency, and query latency.

    .venv/bin/python -m bench.search [--questions 100000] [--answers 400000] [--db PATH] [--index DIR]
                                     [--reuse] [--backend whoosh|postgres] [--posts 50] [--repeat 300]
                                     [--budget 20] [--warmup 5] [--stage-repeat 60]

At the default size on 2 cores: about 18 minutes with Whoosh (most of it the reindex and the slow
queries, each kind capped at --budget seconds), about 8 with PostgreSQL.

1. Builds a SQLite database with bench.seed (Core executemany, fixed random seed: word-list titles and
   bodies, tags, boards, some questions solved), then mixes in Greek and Polish sentences and rare error
   codes; or reuses the file at --db with --reuse. The benchmark runs on a copy of it (step 3 writes), so
   the built file stays reusable.
2. Times ``app.search.service.reindex`` into a fresh index: documents/s, the share spent building
   documents from the database, and the index size on disk.
3. Posts --posts questions through ``app.forum.service.ask_question`` (a real write session), commits, runs
   ``app.search.service.drain_app`` and searches until the question is found: commit-to-searchable latency
   (with Whoosh, then again with the proposed change to ``WhooshBackend._open``).
4. Times ``app.search.service.search`` (the backend plus the reload of the hits through the database) for
   several kinds of query, round after round, then the whole HTTP stack once via ``app.test_client()``.
5. With the Whoosh backend, splits each query's time into stages on a stage-timed replica of
   ``WhooshBackend.search`` (checked to return the same hits), and times the changes proposed to it.

--backend postgres copies the SQLite database into a scratch PostgreSQL database (created, then dropped)
and runs steps 2-4 with SEARCH_BACKEND=postgres on it.

Design target: search answers in under 50 ms at p95 (stated for 1,000,000 posts).
"""

from __future__ import annotations

import argparse
import html
import os
import platform
import random
import re
import shutil
import sqlite3
import statistics
import sys
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from functools import lru_cache
from importlib.metadata import version
from pathlib import Path
from typing import Any

import bleach
import sqlalchemy
from flask import Flask
from sqlalchemy import bindparam, create_engine, select, text, update
from whoosh import index
from whoosh.filedb.filestore import FileStorage
from whoosh.highlight import ContextFragmenter, WholeFragmenter
from whoosh.qparser import FieldAliasPlugin, MultifieldParser, OrGroup, PlusMinusPlugin
from whoosh.query import Every

from app import content, create_app
from app.accounts.models import User
from app.db import Base, db
from app.forum.models import Board, Tag
from app.forum.service import QuestionDraft, ask_question
from app.models import import_all_models
from app.search import service, whoosh_backend, whoosh_schema
from app.search.backend import Hit, SearchBackend, SearchQuery, SearchResult
from app.search.documents import Document
from app.search.whoosh_backend import WhooshBackend
from bench.seed import VOCABULARY, BatchInserter, SeedConfig, SeedReport, TextPools, build_database, schema_differences

DEFAULT_DB = Path("/tmp/agora-search-bench.db")  # noqa: S108 - benchmark scratch files, by design
DEFAULT_INDEX = Path("/tmp/agora-search-bench-index")  # noqa: S108
DEFAULT_PG_ADMIN = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
TARGET_MS = 50.0
LATENCY_TIMEOUT_S = 10.0
VARIETY_SEED = 20_260_102

# Mixed into the word-list text, so that search meets other scripts and accents ("ladowarka" must find
# "Ładowarka") and a long tail of rare words (error codes), as real forums have.
GREEK_QUESTION = (
    "Ο φορητός υπολογιστής δεν φορτίζει μετά την ενημέρωση του BIOS.",
    "Η μπαταρία αδειάζει πολύ γρήγορα όταν η οθόνη είναι αναμμένη.",
    "Το ασύρματο δίκτυο αποσυνδέεται κάθε βράδυ.",
    "Ο λογαριασμός του Μαρτίου είναι λάθος και χρεώθηκα δύο φορές.",
)
POLISH_QUESTION = (
    "Bateria rozładowuje się w nocy, nawet gdy laptop jest uśpiony.",
    "Ładowarka piszczy, a dioda zasilania miga na czerwono.",
    "Faktura za październik jest błędna, proszę o korektę.",
    "Router gubi połączenie po aktualizacji oprogramowania.",
)
GREEK_ANSWER = (
    "Δοκίμασε να ενημερώσεις το υλικολογισμικό, εμένα με βοήθησε.",
    "Ευχαριστώ, λειτούργησε τέλεια!",
    "Άλλαξε τον φορτιστή και το πρόβλημα λύθηκε.",
)
POLISH_ANSWER = (
    "Spróbuj zaktualizować sterowniki, u mnie pomogło.",
    "Dziękuję, teraz działa bez zarzutu!",
    "Wymiana ładowarki rozwiązała problem.",
)
MULTILINGUAL_QUESTION_SHARE = 0.04
MULTILINGUAL_ANSWER_SHARE = 0.02
ERROR_CODE_SHARE = 0.02  # of questions; codes drawn from 4,096, so each one is in a handful of questions
ERROR_CODE = re.compile(r"error (0x8007[0-9A-F]{4})")

Log = Callable[[str], None]


def _ms(seconds: float) -> float:
    return seconds * 1000


def p95(values: Sequence[float]) -> float:
    return statistics.quantiles(values, n=20, method="inclusive")[18] if len(values) > 1 else values[0]


def _to_html(source: str) -> str:
    """As bench.seed stores body_html: one escaped <p> per paragraph."""
    return "\n".join(f"<p>{html.escape(paragraph, quote=False)}</p>" for paragraph in source.split("\n\n"))


# --- 1. the database ------------------------------------------------------------------------------


def add_variety(inserter: BatchInserter) -> None:
    """bench.seed's `extra` hook: append Greek and Polish sentences and error codes to some posts."""
    rng = random.Random(VARIETY_SEED)
    conn = inserter.conn
    plans = (
        ("questions", MULTILINGUAL_QUESTION_SHARE, GREEK_QUESTION + POLISH_QUESTION, ERROR_CODE_SHARE),
        ("answers", MULTILINGUAL_ANSWER_SHARE, GREEK_ANSWER + POLISH_ANSWER, 0.0),
    )
    for table_name, share, sentences, code_share in plans:
        table = Base.metadata.tables[table_name]
        changes: list[dict[str, Any]] = []
        for row_id, source in conn.execute(select(table.c.id, table.c.body_source).order_by(table.c.id)).all():
            extra: list[str] = []
            if rng.random() < share:
                extra.append(rng.choice(sentences))
            if code_share and rng.random() < code_share:
                extra.append(f"The event log shows error 0x8007{rng.randrange(4096):04X}.")
            if extra:
                body = f"{source} {' '.join(extra)}"
                changes.append({"row_id": row_id, "new_source": body, "new_html": _to_html(body)})
        if changes:
            conn.execute(
                update(table)
                .where(table.c.id == bindparam("row_id"))
                .values(body_source=bindparam("new_source"), body_html=bindparam("new_html")),
                changes,
            )


def _question_count(path: Path) -> int:
    conn = sqlite3.connect(path)
    try:
        return int(conn.execute("SELECT count(*) FROM questions").fetchone()[0])
    finally:
        conn.close()


def prepare_database(args: argparse.Namespace, log: Log = print) -> SeedReport | None:
    path: Path = args.db
    if args.reuse and path.exists():
        differences = schema_differences(path)
        questions = _question_count(path) if not differences else -1
        if not differences and questions == args.questions:
            log(f"Reusing {path}")
            return None
        reason = (f"the models changed ({', '.join(differences[:5])})" if differences
                  else f"it has {questions:,} questions, not {args.questions:,}")
        log(f"Not reusing {path}: {reason}")
    config = SeedConfig(questions=args.questions, answers_per_question=args.answers / args.questions)
    log(f"Building {path}: {config.questions:,} questions, ~{args.answers:,} answers, {config.users:,} users, "
        f"{config.tags} tags (seed {config.seed})")
    report = build_database(path, config, log, extra=add_variety)
    log(f"Seeded {report.total_rows:,} rows in {report.seconds:.1f}s ({report.rows_per_second:,.0f} rows/s)")
    return report


def working_copy(path: Path, log: Log = print) -> Path:
    """A copy of the database to run on: step 3 adds questions, and the built file must stay as built."""
    copy = path.with_name(path.name + ".run")
    for suffix in ("", "-wal", "-shm", "-journal"):
        Path(f"{copy}{suffix}").unlink(missing_ok=True)
    started = time.perf_counter()
    shutil.copyfile(path, copy)
    log(f"Copied the database to {copy} in {time.perf_counter() - started:.1f}s")
    return copy


@dataclass(frozen=True)
class Corpus:
    questions: int
    answers: int
    solved: int
    multilingual_questions: int
    rare_code: str
    rare_code_questions: int
    third_word: str  # the word in the share of questions closest to a third (issue 15's "common word" target)
    third_word_share: float


def describe_corpus(path: Path) -> Corpus:
    conn = sqlite3.connect(path)
    try:
        questions, solved = conn.execute("SELECT count(*), coalesce(sum(is_solved), 0) FROM questions").fetchone()
        answers = conn.execute("SELECT count(*) FROM answers").fetchone()[0]
        multilingual = conn.execute(
            "SELECT count(*) FROM questions WHERE body_source LIKE '%φορ%' OR body_source LIKE '%ł%'"
        ).fetchone()[0]
        row = conn.execute("SELECT body_source FROM questions WHERE body_source LIKE '%error 0x8007%' "
                           "ORDER BY id LIMIT 1").fetchone()
        match = ERROR_CODE.search(row[0]) if row else None
        code = match.group(1) if match else "0x8007FFFF"
        with_code = conn.execute("SELECT count(*) FROM questions WHERE body_source LIKE ?",
                                 (f"%{code}%",)).fetchone()[0]
        third_word, third_share = _word_in_a_third(conn)
    finally:
        conn.close()
    return Corpus(questions, answers, solved, multilingual, code, with_code, third_word, third_share)


def _word_in_a_third(conn: sqlite3.Connection, sample: int = 2000) -> tuple[str, float]:
    """The word (of 4+ letters) whose share of questions (title and body, a sample) is closest to a third."""
    rows = conn.execute("SELECT title || ' ' || body_source FROM questions ORDER BY id LIMIT ?", (sample,)).fetchall()
    seen: dict[str, int] = {}
    for (text_,) in rows:
        for word in set(re.findall(r"[a-z]{4,}", text_.lower())):
            seen[word] = seen.get(word, 0) + 1
    word = min(seen, key=lambda w: abs(seen[w] / len(rows) - 1 / 3))
    return word, seen[word] / len(rows)


# --- PostgreSQL: a scratch copy of the SQLite database --------------------------------------------------


def _pg_url(admin_url: str, database: str) -> str:
    return admin_url.rsplit("/", 1)[0] + "/" + database


def create_postgres_copy(sqlite_path: Path, admin_url: str, log: Log = print) -> str:
    """Create a scratch database, build the schema and COPY every non-empty SQLite table into it."""
    name = f"agora_search_bench_{os.getpid()}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    url = _pg_url(admin_url, name)
    import_all_models()
    target = create_engine(url)
    source = create_engine(f"sqlite:///{sqlite_path}")
    started = time.perf_counter()
    Base.metadata.create_all(target)
    indexes = [table_index for table in Base.metadata.sorted_tables for table_index in table.indexes]
    with target.begin() as conn:
        for table_index in indexes:
            table_index.drop(conn)
    raw = target.raw_connection()
    copied = 0
    try:
        driver: Any = raw.driver_connection
        with source.connect() as reader:
            for table in Base.metadata.sorted_tables:
                columns = ", ".join(f'"{column}"' for column in table.c.keys())
                rows = reader.execution_options(yield_per=20_000).execute(select(table))
                with driver.cursor() as cursor, cursor.copy(f'COPY "{table.name}" ({columns}) FROM STDIN') as copy:
                    for row in rows:
                        copy.write_row(tuple(row))
                        copied += 1
                driver.commit()
    finally:
        raw.close()
    with target.begin() as conn:
        for table_index in indexes:
            table_index.create(conn)
        for table in Base.metadata.sorted_tables:
            if "id" in table.c and table.c.id.primary_key and table.c.id.autoincrement:
                quoted = f'"{table.name}"'  # from the models, not from input
                sequence = f"pg_get_serial_sequence('{quoted}', 'id')"
                conn.execute(text(f"SELECT setval({sequence}, coalesce((SELECT max(id) FROM {quoted}), 1))"))  # noqa: S608
    with target.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("ANALYZE"))
    target.dispose()
    source.dispose()
    log(f"Copied {copied:,} rows into PostgreSQL database {name} in {time.perf_counter() - started:.1f}s")
    return url


def drop_postgres_copy(admin_url: str, url: str) -> None:
    name = url.rsplit("/", 1)[1]
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


# --- 2. bulk reindex ------------------------------------------------------------------------------


class TimedDocuments:
    """Wraps the documents iterator: the time spent building documents (SQL, ORM, Markdown to text)."""

    def __init__(self, documents: Iterable[Document]) -> None:
        self.documents = documents
        self.seconds = 0.0
        self.count = 0
        self.exhausted_at = 0.0

    def __iter__(self) -> Iterator[Document]:
        iterator = iter(self.documents)
        while True:
            started = time.perf_counter()
            try:
                document = next(iterator)
            except StopIteration:
                self.exhausted_at = time.perf_counter()
                self.seconds += self.exhausted_at - started
                return
            self.seconds += time.perf_counter() - started
            self.count += 1
            yield document


class TimingBackend:
    """A SearchBackend that delegates to the real one, timing the documents fed to `rebuild`."""

    def __init__(self, inner: SearchBackend) -> None:
        self.inner = inner
        self.name = inner.name
        self.documents: TimedDocuments | None = None

    def locked(self, wait: bool = False) -> AbstractContextManager[None]:
        return self.inner.locked(wait)

    def write(self, documents: dict[int, Document | None]) -> None:
        self.inner.write(documents)

    def apply(self, documents: dict[int, Document | None]) -> bool:
        return self.inner.apply(documents)

    def search(self, query: SearchQuery) -> SearchResult:
        return self.inner.search(query)

    def similar(self, title: str, limit: int = 5) -> list[int]:
        return self.inner.similar(title, limit)

    def count(self) -> int:
        return self.inner.count()

    def rebuild(self, documents: Iterable[Document], progress: Callable[[int], None] | None = None) -> int:
        self.documents = TimedDocuments(documents)
        return self.inner.rebuild(self.documents, progress)


@dataclass
class ReindexResult:
    documents: int
    seconds: float
    building_s: float  # inside the documents iterator: SQL, ORM, content.plain_text
    writing_s: float  # the backend taking the documents in
    finishing_s: float  # after the last document: commit (Whoosh: merge/optimize), swap, outbox cleanup
    index_bytes: int
    index_files: int

    @property
    def per_second(self) -> float:
        return self.documents / self.seconds if self.seconds else 0.0


def directory_size(path: Path) -> tuple[int, int]:
    files = [p for p in path.rglob("*") if p.is_file()]
    return sum(p.stat().st_size for p in files), len(files)


def index_size(app: Flask) -> tuple[int, int]:
    """(bytes, files) of the live index: the Whoosh generation directory, or PostgreSQL's table + indexes."""
    backend = app.extensions["agora_search"]
    if backend.name == "whoosh":
        return directory_size(Path(backend.root / "current").resolve())
    with app.app_context(), db.engine.connect() as conn:
        size = conn.scalar(text("SELECT pg_total_relation_size('search_documents')"))
    return int(size or 0), 0


def run_reindex(app: Flask, total: int, log: Log = print) -> ReindexResult:
    backend = TimingBackend(app.extensions["agora_search"])
    step = max(1, total // 10)
    done = 0
    started = time.perf_counter()

    def progress(n: int) -> None:
        nonlocal done
        done += n
        if done % step == 0:
            elapsed = time.perf_counter() - started
            log(f"  {done:>9,}/{total:,} documents  {elapsed:6.1f}s  {done / elapsed:,.0f} docs/s")

    with app.app_context():
        reader, writer = db.new_session(write=False), db.new_session(write=True)
        try:
            count = service.reindex(reader, writer, backend, progress)
        finally:
            reader.close()
            writer.close()
    ended = time.perf_counter()
    timed = backend.documents
    assert timed is not None
    building = timed.seconds
    finishing = ended - timed.exhausted_at
    size, files = index_size(app)
    return ReindexResult(count, ended - started, building, ended - started - building - finishing, finishing,
                         size, files)


# --- 3. commit-to-searchable latency --------------------------------------------------------------


@dataclass
class IncrementalResult:
    label: str
    commit_ms: list[float] = field(default_factory=list)  # session.commit() of ask_question's work
    drain_ms: list[float] = field(default_factory=list)  # drain_app: outbox -> documents -> index
    searchable_ms: list[float] = field(default_factory=list)  # commit returned -> the search finds it
    searches: list[int] = field(default_factory=list)  # searches needed until found (1: at once)
    failures: int = 0


def measure_incremental(app: Flask, posts: int, label: str, log: Log = print) -> IncrementalResult:
    """Ask `posts` questions one by one; after each commit, drain the outbox and search until it is found."""
    rng = random.Random(VARIETY_SEED + 7 + posts)
    backend: SearchBackend = app.extensions["agora_search"]
    nonce = f"{time.time_ns() % 1_000_000:06d}"
    result = IncrementalResult(label)
    with app.app_context():
        setup = db.new_session(write=False)
        try:
            boards = list(setup.scalars(select(Board.slug).order_by(Board.position)))
            members = list(setup.scalars(select(User.id).where(User.role == "member").order_by(User.id)
                                         .limit(posts)))
            tags = list(setup.scalars(select(Tag.name).order_by(Tag.id).limit(40)))
        finally:
            setup.close()
        pools = {slug: TextPools.build(VOCABULARY.get(slug, VOCABULARY["community-lounge"]), rng, size=50)
                 for slug in boards}
        for number in range(posts):
            slug = boards[number % len(boards)]
            pool = pools[slug]
            token = f"benchq{nonce}n{number:03d}"  # one word no other document has
            body = (" ".join(rng.sample(pool.question_sentences, 3)) + f" Ticket reference {token}. "
                    + rng.choice(POLISH_QUESTION + GREEK_QUESTION))
            draft = QuestionDraft(board_slug=slug, title=rng.choice(pool.titles)[:150], body=body,
                                  tags=tuple(rng.sample(tags, 2)))
            session = db.new_session(write=True)
            try:
                author = session.get(User, members[number % len(members)])
                question = ask_question(session, author, draft)
                question_id = question.id
                started = time.perf_counter()
                session.commit()
                committed = time.perf_counter()
            finally:
                session.close()
            applied = service.drain_app(app)
            drained = time.perf_counter()
            searches = 0
            found = False
            while time.perf_counter() - committed < LATENCY_TIMEOUT_S:
                searches += 1
                if any(hit.id == question_id for hit in backend.search(SearchQuery(text=token)).hits):
                    found = True
                    break
                time.sleep(0.005)
            if not found or applied < 1:
                result.failures += 1
                log(f"  question {question_id}: drain applied {applied} rows, found: {found}")
                continue
            result.commit_ms.append(_ms(committed - started))
            result.drain_ms.append(_ms(drained - committed))
            result.searchable_ms.append(_ms(time.perf_counter() - committed))
            result.searches.append(searches)
    return result


class NoMmapWhooshBackend(WhooshBackend):
    """WhooshBackend with the one-line change proposed for `_open`: the index's storage without mmap.

    Whoosh's CompoundStorage maps a segment file and wraps each sub-file in a BufferFile, which copies it
    into a BytesIO: every searcher (and writer) opened on a large compound segment copies its postings,
    terms and stored fields. Without mmap, CompoundStorage reads sub-files in place."""

    def _open(self) -> index.Index:
        with whoosh_backend._open_lock:
            if not self.current.exists():
                self._swap_to(self._new_generation())
            target = os.readlink(self.current)
            if self._index is None or target != self._target:
                self._index = FileStorage(str(self.current), supports_mmap=False).open_index()
                self._target = target
            return self._index


# --- 4. search latency ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Case:
    name: str
    query: SearchQuery


def search_cases(corpus: Corpus) -> list[Case]:
    return [
        Case(f"a third of questions ({corpus.third_word})", SearchQuery(corpus.third_word)),
        Case("common term", SearchQuery("battery")),
        Case(f"rare term ({corpus.rare_code})", SearchQuery(corpus.rare_code)),
        Case("two words", SearchQuery("keyboard backlight")),
        Case("phrase", SearchQuery('"firmware update"')),
        Case("misspelling (did you mean)", SearchQuery("baterry")),
        Case("board + solved filter", SearchQuery("router", board="broadband", solved=True)),
        Case("sort=newest", SearchQuery("battery", sort="newest")),
        Case("page 10, common term", SearchQuery("battery", page=10)),
        Case("folded accent (ladowarka)", SearchQuery("ladowarka")),
        Case("filters only, no words", SearchQuery("", board="laptops", solved=False)),
    ]


@dataclass
class CaseResult:
    case: Case
    times_ms: list[float] = field(default_factory=list)
    cpu_ms: list[float] = field(default_factory=list)
    backend_ms: list[float] = field(default_factory=list)  # backend.search alone (a separate pass)
    reload_ms: list[float] = field(default_factory=list)  # the reload of the hits through the DB alone
    total: int = 0
    capped: bool = False  # more than `total` matched (the search counted up to its cap)
    shown: int = 0
    suggestion: str | None = None

    @property
    def p50(self) -> float:
        return statistics.median(self.times_ms)

    @property
    def p95(self) -> float:
        return p95(self.times_ms)


def round_robin(count: int, action: Callable[[int], float], repeat: int, budget_s: float,
                warmup: int = 0) -> list[list[float]]:
    """Run action(i) for i in range(count) in turn, round after round (a burst of load elsewhere then hits
    every item alike): `warmup` untimed rounds, then until each item has `repeat` samples or has spent
    `budget_s` seconds (at least 5 samples). action returns the elapsed seconds it measured."""
    for _ in range(warmup):
        for item in range(count):
            action(item)
    samples: list[list[float]] = [[] for _ in range(count)]
    spent = [0.0] * count
    active = set(range(count))
    while active:
        for item in sorted(active):
            elapsed = action(item)
            samples[item].append(_ms(elapsed))
            spent[item] += elapsed
            if len(samples[item]) >= repeat or (spent[item] >= budget_s and len(samples[item]) >= 5):
                active.discard(item)
    return samples


def measure_searches(app: Flask, cases: Sequence[Case], warmup: int, repeat: int, budget_s: float
                     ) -> list[CaseResult]:
    """service.search for every case (a new read session each, as a request has); then backend.search
    alone, to split off the reload of the hits through the database."""
    backend: SearchBackend = app.extensions["agora_search"]
    results = [CaseResult(case) for case in cases]

    def searched(item: int) -> float:
        result = results[item]
        session = db.new_session(write=False)
        try:
            wall, cpu = time.perf_counter(), time.process_time()
            found = service.search(session, backend, result.case.query)
            cpu_s, wall_s = time.process_time() - cpu, time.perf_counter() - wall
        finally:
            session.close()
        result.cpu_ms.append(_ms(cpu_s))
        result.total, result.shown = found.result.total, len(found.questions)
        result.capped = found.result.capped
        result.suggestion = found.result.suggestion
        return wall_s

    def backend_only(item: int) -> float:
        started = time.perf_counter()
        backend.search(results[item].case.query)
        return time.perf_counter() - started

    hit_ids = [[hit.id for hit in backend.search(result.case.query).hits] for result in results]

    def reload_only(item: int) -> float:
        session = db.new_session(write=False)
        try:
            started = time.perf_counter()
            service._visible(session, hit_ids[item])  # what service.search adds to backend.search
            return time.perf_counter() - started
        finally:
            session.close()

    with app.app_context():
        for result, times in zip(results, round_robin(len(results), searched, repeat, budget_s, warmup), strict=True):
            result.times_ms = times
            result.cpu_ms = result.cpu_ms[-len(times):]
        for result, times in zip(results, round_robin(len(results), backend_only, max(20, repeat // 3),
                                                      budget_s / 3), strict=True):
            result.backend_ms = times
        for result, times in zip(results, round_robin(len(results), reload_only, max(20, repeat // 3),
                                                      budget_s / 10), strict=True):
            result.reload_ms = times
    return results


@dataclass
class HttpResult:
    url: str
    times_ms: list[float]
    results_shown: int
    size: int


def measure_http(app: Flask, url: str, warmup: int = 10, repeat: int = 100) -> HttpResult:
    times: list[float] = []
    body = b""
    with app.test_client() as client:
        for number in range(warmup + repeat):
            started = time.perf_counter()
            response = client.get(url)
            elapsed = time.perf_counter() - started
            if response.status_code != 200:
                raise RuntimeError(f"{url} answered {response.status_code}")
            body = response.get_data()
            if number >= warmup:
                times.append(_ms(elapsed))
    return HttpResult(url, times, body.count(b'<li class="result'), len(body))


# --- 5. where Whoosh's time goes: a stage-timed replica, and the proposed changes --------------------------


STAGES = ("open+parse", "search+count", "did-you-mean", "highlight", "sanitize")
# Cumulative: each variant keeps the changes of the ones before it.
VARIANTS = ("as is", "no mmap", "+ word suggest", "+ no terms=True", "+ no exact count", "+ light sanitize",
            "+ 3 fields")
VARIANT_NOTES = {
    "as is": "a replica of WhooshBackend.search as of this writing",
    "no mmap": "_open: FileStorage(path, supports_mmap=False).open_index() instead of index.open_dir(path)",
    "+ word suggest": "did-you-mean (still only when nothing was found) corrects the query's folded, unstemmed "
                      "words (searcher.suggest on title, then body) instead of correct_query on the stems",
    "+ no terms=True": "search without terms=True: with it, a filtered search's total counts the unfiltered "
                       "matches (the highlighter finds the terms without it)",
    "+ no exact count": "search(limit=page*per_page + 1), no len(results): the total is exact when Whoosh "
                        "counted anyway or found fewer, else a lower bound shown as 'N+' ('more than N')",
    "+ light sanitize": "hits sanitised by a Cleaner that allows only <mark> (no linkify filter): the "
                        "highlighter's output is escaped text plus <mark>",
    "+ 3 fields": "parse over title, body, answers: best_answer's text is already in answers "
                  "(changes the scores, so the order of hits)",
}


@dataclass
class StagedRun:
    ids: list[int]
    total: int
    suggestion: str | None
    stages: dict[str, float]
    exact: bool = True  # False: total is a lower bound


def suggest_words(searcher: Any, query_text: str) -> str | None:
    """The proposed did-you-mean: each word of the query that no document has (after folding and stemming,
    as indexed) is swapped for the closest folded, unstemmed title or body word (edit distance <= 2)."""
    reader = searcher.reader()
    fixes: dict[str, str] = {}
    for word in set(re.findall(r"\w+", query_text)):
        folded = [token.text for token in whoosh_schema.PLAIN(word)]
        stems = [token.text for token in whoosh_schema.ANALYZER(word)]
        if not folded or any((name, stem) in reader for name in ("title", "body", "answers") for stem in stems):
            continue
        for name in ("title", "body"):
            better = searcher.suggest(name, folded[0], limit=1, maxdist=2, prefix=1)
            if better and better[0] != folded[0]:
                fixes[word] = better[0]
                break
    return re.sub(r"\w+", lambda m: fixes.get(m.group(0), m.group(0)), query_text) if fixes else None


def whoosh_staged(ix: Any, backend: WhooshBackend, query: SearchQuery, variant: str) -> StagedRun:
    """WhooshBackend.search step by step on the index `ix`, with each stage timed; `variant` (see VARIANTS)
    says which of the proposed changes apply."""
    level = VARIANTS.index(variant)
    stages = dict.fromkeys(STAGES, 0.0)
    mark = time.perf_counter()

    def lap(stage: str) -> None:
        nonlocal mark
        now = time.perf_counter()
        stages[stage] += now - mark
        mark = now

    if level < 1:
        ix = backend._open()
    if level < 6:
        parser = backend._parser(ix)
    else:
        parser = MultifieldParser(["title", "body", "answers"], schema=ix.schema, group=OrGroup.factory(0.9))
        parser.add_plugin(PlusMinusPlugin())
        parser.add_plugin(FieldAliasPlugin({"tags": ["tag"]}))
    query_text = query.text.strip()
    parsed = parser.parse(query_text) if query_text else Every()
    with ix.searcher() as searcher:
        lap("open+parse")
        suggestion = None
        kwargs: dict[str, Any] = {"filter": backend._filter(query), "terms": level < 3}
        if query.sort == "newest" or not query_text:
            kwargs["sortedby"] = "created"
            kwargs["reverse"] = True
        pagenum = max(1, query.page)
        exact = True
        if level < 4:
            page = searcher.search_page(parsed, pagenum, pagelen=query.per_page, **kwargs)
            results, total = page.results, page.total
            shown = list(page)
        else:
            wanted = pagenum * query.per_page + 1  # one more than the page: is there a next page?
            results = searcher.search(parsed, limit=wanted, **kwargs)
            exact = results.has_exact_length() or results.scored_length() < wanted
            total = len(results) if exact else results.scored_length()
            shown = list(results[(pagenum - 1) * query.per_page: pagenum * query.per_page])
        lap("search+count")
        if query_text and not total:
            suggestion = backend._suggest(searcher, query_text) if level < 2 else (
                suggest_words(searcher, query_text))
        lap("did-you-mean")
        results.formatter = whoosh_schema.FORMATTER
        raw: list[tuple[int, str, str, str]] = []
        for hit in shown:
            results.fragmenter = WholeFragmenter()
            title = hit.highlights("title") or whoosh_schema.escape(hit["title"])
            results.fragmenter = ContextFragmenter(maxchars=220, surround=60)
            snippet = hit.highlights("body", top=2) or whoosh_schema.escape(hit.get("body", "")[:220])
            answer = hit.highlights("best_answer") or whoosh_schema.escape(hit.get("best_answer", "")[:200])
            raw.append((hit["id"], title, snippet, answer))
        lap("highlight")
        clean = content.sanitize if level < 5 else _marks_only().clean
        hits = [Hit(i, clean(t), clean(s), clean(a)) for i, t, s, a in raw]
        lap("sanitize")
    return StagedRun([hit.id for hit in hits], total, suggestion, stages, exact)


@lru_cache(maxsize=1)
def _marks_only() -> bleach.Cleaner:
    """The proposed sanitiser for search hits: <mark> only; anything else is escaped."""
    return bleach.Cleaner(tags={"mark"}, attributes={}, strip=True, strip_comments=True)


@dataclass
class StageResult:
    case: Case
    variant: str
    runs: list[StagedRun] = field(default_factory=list)
    same_hits: bool = True  # the same ids in the same order as the real backend
    same_suggestion: bool = True

    def stage_ms(self, stage: str) -> float:
        return _ms(statistics.median(run.stages[stage] for run in self.runs))

    @property
    def totals_ms(self) -> list[float]:
        return [_ms(sum(run.stages.values())) for run in self.runs]


def measure_stages(app: Flask, cases: Sequence[Case], repeat: int, budget_s: float) -> list[StageResult]:
    backend: WhooshBackend = app.extensions["agora_search"]
    expected = [backend.search(case.query) for case in cases]
    no_mmap = FileStorage(str(backend.current), supports_mmap=False).open_index()
    results: list[StageResult] = []
    for variant in VARIANTS:
        row = [StageResult(case, variant) for case in cases]

        def staged(item: int, row: list[StageResult] = row, variant: str = variant) -> float:
            run = whoosh_staged(no_mmap, backend, row[item].case.query, variant)
            row[item].runs.append(run)
            return sum(run.stages.values())

        round_robin(len(cases), staged, repeat, budget_s, warmup=1)
        for result, want in zip(row, expected, strict=True):
            result.runs = result.runs[1:]  # the warm-up run
            last = result.runs[-1]
            result.same_hits = last.ids == [hit.id for hit in want.hits]
            result.same_suggestion = last.suggestion == want.suggestion
        results += row
    return results


# --- reporting ------------------------------------------------------------------------------------


def print_reindex(result: ReindexResult, backend: str) -> None:
    print(f"\n2. Bulk reindex ({backend}): service.reindex into a fresh index")
    print(f"   {result.documents:,} documents in {result.seconds:.1f}s = {result.per_second:,.0f} documents/s")
    print(f"   building documents (SQL, ORM, Markdown -> text): {result.building_s:6.1f}s "
          f"({result.building_s / result.seconds:.0%})")
    print(f"   backend taking documents in:                     {result.writing_s:6.1f}s "
          f"({result.writing_s / result.seconds:.0%})")
    print(f"   after the last document (commit/merge, swap):    {result.finishing_s:6.1f}s "
          f"({result.finishing_s / result.seconds:.0%})")
    files = f" in {result.index_files} files" if result.index_files else ""
    print(f"   index size: {result.index_bytes / 1024**2:,.1f} MiB{files}")


def print_incremental(results: Sequence[IncrementalResult]) -> None:
    print("\n3. Commit to searchable: questions posted through forum.service.ask_question, committed, then "
          "search.service.drain_app,\n   then searched for a word only that question has (ms)")
    print(f"   {'backend':<28} {'posts':>5}  {'commit p50':>10}  {'drain p50':>9} {'p95':>6}  "
          f"{'searchable p50':>14} {'p95':>6} {'max':>6}  failures")
    for r in results:
        if not r.searchable_ms:
            print(f"   {r.label:<28} no question became searchable ({r.failures} failures)")
            continue
        print(f"   {r.label:<28} {len(r.searchable_ms):>5}  {statistics.median(r.commit_ms):>10.1f}  "
              f"{statistics.median(r.drain_ms):>9.1f} {p95(r.drain_ms):>6.1f}  "
              f"{statistics.median(r.searchable_ms):>14.1f} {p95(r.searchable_ms):>6.1f} "
              f"{max(r.searchable_ms):>6.1f}  {r.failures} (searches until found: max {max(r.searches)})")


def print_searches(results: Sequence[CaseResult], http: HttpResult) -> None:
    width = max(len(result.case.name) for result in results)
    header = (f"   {'query':<{width}}  {'total':>7}  {'shown':>5}  {'n':>4}  {'p50 ms':>7}  {'p95 ms':>7}  "
              f"{'max ms':>7}  {'CPU p50':>7}  {'backend':>7}  {'reload':>6}  target")
    print("\n4. Search latency through search.service.search (backend + reload of the hits through the DB):")
    print(header)
    print("   " + "-" * (len(header) - 3))
    for r in results:
        backend = statistics.median(r.backend_ms)
        verdict = "ok" if r.p95 < TARGET_MS else "MISS"
        note = f"  did you mean: {r.suggestion}" if r.suggestion else ""
        total = f"{r.total:,}{'+' if r.capped else ''}"
        print(f"   {r.case.name:<{width}}  {total:>7}  {r.shown:>5}  {len(r.times_ms):>4}  {r.p50:>7.1f}  "
              f"{r.p95:>7.1f}  {max(r.times_ms):>7.1f}  {statistics.median(r.cpu_ms):>7.1f}  {backend:>7.1f}  "
              f"{statistics.median(r.reload_ms):>6.1f}  {verdict}{note}")
    print(f"   HTTP GET {http.url} via app.test_client(), {len(http.times_ms)} requests: "
          f"p50 {statistics.median(http.times_ms):.1f} ms, p95 {p95(http.times_ms):.1f} ms, "
          f"max {max(http.times_ms):.1f} ms ({http.results_shown} results, {http.size / 1024:.0f} KB)")
    print("   total: documents matched ('+': counted up to the cap, SEARCH_MATCH_CAP); shown: hits after the reload;\n"
          "   n: timed queries (up to --repeat, within --budget seconds); backend: backend.search alone (p50, a\n"
          "   separate pass); reload: the DB reload of the hits alone (service._visible, p50);\n"
          f"   target: p95 < {TARGET_MS:g} ms.")


def print_stages(results: Sequence[StageResult]) -> None:
    print("\n5. Where WhooshBackend.search spends its time: a stage-timed replica (medians, ms), as is and with\n"
          "   the proposed changes, each variant keeping the ones above it:")
    for variant in VARIANTS:
        print(f"     {variant:<18} {VARIANT_NOTES[variant]}")
    width = max(len(result.case.name) for result in results)
    header = (f"   {'query':<{width}}  {'variant':<17}  " + "  ".join(f"{s:>12}" for s in STAGES)
              + f"  {'p50':>6}  {'p95':>6}  {'total':>7}  same hits/suggestion")
    for variant in VARIANTS:
        print()
        print(header)
        print("   " + "-" * (len(header) - 3))
        for r in (result for result in results if result.variant == variant):
            stages = "  ".join(f"{r.stage_ms(stage):>12.1f}" for stage in STAGES)
            last = r.runs[-1]
            note = f"  -> {last.suggestion}" if last.suggestion else ""
            total = f"{last.total:,}" + ("" if last.exact else "+")
            print(f"   {r.case.name:<{width}}  {r.variant:<17}  {stages}  {statistics.median(r.totals_ms):>6.1f}  "
                  f"{p95(r.totals_ms):>6.1f}  {total:>7}  {'yes' if r.same_hits else 'NO'}/"
                  f"{'yes' if r.same_suggestion else 'no'}{note}")
    print("   same: the replica's hits (ids and order) and suggestion against the real backend's: for 'as is'\n"
          "   this checks the replica; for a variant, it shows what the change alters. total: N+ is a lower bound.")


def postgres_version(url: str) -> str:
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            return str(conn.scalar(text("SHOW server_version")))
    finally:
        engine.dispose()


def print_environment(args: argparse.Namespace, path: Path, corpus: Corpus, pg_version: str | None) -> None:
    size = path.stat().st_size
    print(f"\nData: {corpus.questions:,} questions, {corpus.answers:,} answers ({corpus.questions + corpus.answers:,} "
          f"posts), {corpus.solved:,} solved, {corpus.multilingual_questions:,} questions with Greek/Polish text; "
          f"rare term {corpus.rare_code} in {corpus.rare_code_questions} question(s)")
    print(f"Database: {args.db} ({size / 1024**2:,.0f} MiB; the run used a copy)")
    versions = (f"Python {platform.python_version()}, SQLite {sqlite3.sqlite_version}, SQLAlchemy "
                f"{sqlalchemy.__version__}, Flask {version('flask')}, whoosh3 {version('whoosh3')}")
    if pg_version:
        versions += f", PostgreSQL {pg_version}, psycopg {version('psycopg')}"
    print(f"{versions}\n{platform.platform()}, {os.cpu_count()} CPUs")


# --- main -----------------------------------------------------------------------------------------


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.search", description=__doc__.splitlines()[0])
    parser.add_argument("--questions", type=int, default=100_000, help="questions (default 100,000)")
    parser.add_argument("--answers", type=int, default=400_000, help="answers, about (default 400,000)")
    parser.add_argument("--db", type=Path, default=DEFAULT_DB, help=f"SQLite file (default {DEFAULT_DB})")
    parser.add_argument("--index", type=Path, default=DEFAULT_INDEX,
                        help=f"Whoosh index directory, emptied first (default {DEFAULT_INDEX})")
    parser.add_argument("--reuse", action="store_true", help="reuse the database at --db when it fits")
    parser.add_argument("--backend", choices=("whoosh", "postgres"), default="whoosh")
    parser.add_argument("--pg-admin-url", default=os.environ.get("BENCH_PG_ADMIN_URL", DEFAULT_PG_ADMIN),
                        help="PostgreSQL URL used to create and drop the scratch database (--backend postgres)")
    parser.add_argument("--reuse-index", action="store_true",
                        help="Whoosh: keep the index at --index when there is one (built from the same --db), "
                             "instead of reindexing")
    parser.add_argument("--queries-only", action="store_true",
                        help="only the query latencies (step 4): no posting, no stage timings")
    parser.add_argument("--posts", type=int, default=50, help="questions posted for step 3 (default 50)")
    parser.add_argument("--repeat", type=int, default=300, help="timed queries per kind, at most (default 300)")
    parser.add_argument("--budget", type=float, default=20.0,
                        help="seconds of timed queries per kind, after which it stops (default 20; at least 5 "
                             "queries): keeps the run short when a kind of query is slow")
    parser.add_argument("--warmup", type=int, default=5, help="untimed queries per kind first (default 5)")
    parser.add_argument("--stage-repeat", type=int, default=60,
                        help="runs per query and variant of the stage-timed replica, at most (default 60; 0: skip)")
    args = parser.parse_args(argv)
    if args.questions < 10 or args.answers < 0 or args.repeat < 5 or args.posts < 1 or args.warmup < 0:
        parser.error("need --questions >= 10, --answers >= 0, --repeat >= 5, --posts >= 1, --warmup >= 0")
    return args


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    args.db = args.db.resolve()
    started = time.perf_counter()
    seed_report = prepare_database(args)
    corpus = describe_corpus(args.db)
    run_db = working_copy(args.db)
    pg_url = create_postgres_copy(run_db, args.pg_admin_url) if args.backend == "postgres" else None
    keep_index = args.reuse_index and args.backend == "whoosh" and (args.index / "current").exists()
    if not keep_index:
        shutil.rmtree(args.index, ignore_errors=True)
    app = create_app({
        "ENV_NAME": "testing",
        "DATABASE_URL": pg_url or f"sqlite:///{run_db}",
        "SEARCH_BACKEND": args.backend,
        "SEARCH_INDEX_DIR": str(args.index),
        "RATELIMIT_ENABLED": False,
    })
    real_backend = app.extensions["agora_search"]
    pg_version = postgres_version(pg_url) if pg_url else None
    try:
        reindex, incremental = None, []
        if keep_index:
            print(f"\nKeeping the index at {args.index}")
        else:
            print(f"\nReindexing {corpus.questions:,} questions ({args.backend})")
            reindex = run_reindex(app, corpus.questions)
        if not args.queries_only:
            print(f"\nPosting {args.posts} questions, each made searchable before the next")
            incremental = [measure_incremental(app, args.posts, f"{args.backend} (as is)")]
        cases = search_cases(corpus)
        print(f"\nSearching: {len(cases)} kinds of query, {args.warmup} warm-up + up to {args.repeat} timed each")
        searches = measure_searches(app, cases, args.warmup, args.repeat, args.budget)
        print("Timing the HTTP path")
        http = measure_http(app, "/search?q=battery")
        stages: list[StageResult] = []
        if args.backend == "whoosh" and not args.queries_only:
            posts = max(5, args.posts // 2)
            print(f"\nPosting {posts} more questions with the no-mmap change to WhooshBackend._open")
            app.extensions["agora_search"] = NoMmapWhooshBackend(args.index)
            incremental.append(measure_incremental(app, posts, "whoosh, _open without mmap"))
            app.extensions["agora_search"] = real_backend
            if args.stage_repeat:
                print(f"\nStage timings: up to {args.stage_repeat} runs per query and variant")
                stages = measure_stages(app, cases, args.stage_repeat, args.budget / 5)
    finally:
        app.extensions["agora_search"] = real_backend
        with app.app_context():
            db.engine.dispose()
        if hasattr(real_backend, "engine"):
            real_backend.engine.dispose()
        if pg_url:
            drop_postgres_copy(args.pg_admin_url, pg_url)
        for suffix in ("", "-wal", "-shm", "-journal"):
            Path(f"{run_db}{suffix}").unlink(missing_ok=True)

    print("\n" + "=" * 100)
    if seed_report is not None:
        print(f"1. Seeding: {seed_report.total_rows:,} rows in {seed_report.seconds:.1f}s "
              f"({seed_report.rows_per_second:,.0f} rows/s)")
    if reindex is not None:
        print_reindex(reindex, args.backend)
    if incremental:
        print_incremental(incremental)
    print_searches(searches, http)
    if stages:
        print_stages(stages)
    print_environment(args, args.db, corpus, pg_version)
    print(f"Whole run: {time.perf_counter() - started:.0f}s")
    return 0


if __name__ == "__main__":
    sys.exit(main())

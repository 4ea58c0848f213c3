"""The PostgreSQL backend: full-text search over the `search_documents` table, shared by every app server."""

from __future__ import annotations

import html
import logging
import re
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from datetime import time as dtime
from typing import Any

from sqlalchemy import Connection, text

from app import content
from app.db import make_engine
from app.search.backend import (
    MATCH_CAP,
    READY,
    Hit,
    IndexBusy,
    LockedWriter,
    SearchQuery,
    SearchResult,
    counted,
    match_limit,
)
from app.search.documents import Document, clip

# Every SQL string here is assembled from constant fragments; user input travels only as bound parameters.
# ruff: noqa: S608
log = logging.getLogger(__name__)

# One writer at a time across every process (the Whoosh lock's twin); the number is arbitrary but fixed.
WRITER_LOCK = 0x41_676F_7261  # "Agora"
REBUILD_LOCK = WRITER_LOCK + 1  # held only by the transaction of a rebuild, so `rebuilding()` can tell
# pg_locks shows a bigint advisory key as two halves.
REBUILDING = (
    "SELECT EXISTS (SELECT FROM pg_locks WHERE locktype = 'advisory' AND granted AND objsubid = 1"
    f" AND classid = {REBUILD_LOCK >> 32} AND objid = {REBUILD_LOCK & 0xFFFF_FFFF})"
)
# 'simple' (no stemming: posts come in many languages) plus unaccent, so "cafe" finds "café" *and* ts_headline
# marks "café": wrapping texts in unaccent() would fold the vectors but leave highlighting blind to accents.
CONFIG = "agora_search"
CONFIG_EXISTS = f"SELECT EXISTS (SELECT FROM pg_ts_config WHERE cfgname = '{CONFIG}' AND pg_ts_config_is_visible(oid))"
CONFIG_DDL = (
    "CREATE EXTENSION IF NOT EXISTS unaccent",
    f"CREATE TEXT SEARCH CONFIGURATION {CONFIG} (COPY = simple)",
    f"ALTER TEXT SEARCH CONFIGURATION {CONFIG} ALTER MAPPING FOR word, numword, hword, numhword, hword_part,"
    " hword_numpart WITH unaccent, simple",
)
CFG = "CAST(:cfg AS regconfig)"
WEIGHTS = "'{0.1, 0.2, 0.4, 1.0}'"  # D, C (answers), B (body), A (title): a title match counts most
# Texts are plain, but the parser reads "<stdio.h>" or "<script>" as tags and drops the words in them: so every
# text (indexed, queried or headlined) is HTML-escaped first, and entities are tokens the parser keeps whole.
# That also makes ts_headline safe: the only tags in its output are the <mark>s it adds.
ESCAPED = "replace(replace(replace({}, '&', '&amp;'), '<', '&lt;'), '>', '&gt;')"
VECTOR = (
    f"setweight(to_tsvector({CFG}, {ESCAPED.format(':title')}), 'A')"
    f" || setweight(to_tsvector({CFG}, {ESCAPED.format(':body')}), 'B')"
    f" || setweight(to_tsvector({CFG}, {ESCAPED.format(':answers')}), 'C')"
)
UPSERT = text(
    f"INSERT INTO search_documents (question_id, vector, title, body, best_answer) VALUES (:id, {VECTOR}, :title,"
    " :body, :best_answer) ON CONFLICT (question_id) DO UPDATE SET vector = EXCLUDED.vector, title = EXCLUDED.title,"
    " body = EXCLUDED.body, best_answer = EXCLUDED.best_answer"
)
DOCUMENTS = "FROM search_documents d JOIN questions q ON q.id = d.question_id"
# app.auth.visibility.public_questions(), spelled in this module's raw SQL: even a stale document in the table
# is never shown unless its question is public now (tests/test_search_suggestions.py holds both to the same rule).
PUBLIC = "WHERE NOT q.is_hidden AND NOT q.is_private"
MARKS = "StartSel=<mark>, StopSel=</mark>"
SNIPPET = f'{MARKS}, MaxWords=35, MinWords=15, MaxFragments=2, FragmentDelimiter=" … "'
FIELD = re.compile(r"(?<!\S)(-?)(tag|board):(\S+)", re.IGNORECASE)
BATCH = 500
# "Did you mean" candidates: the words of the titles and bodies of the latest documents. ts_stat reads every
# vector it is given and there is no words table, so the sample is bounded: about 50 ms on a large forum, paid
# only by searches that found nothing.
# Only public questions' words: a withdrawn question's document may linger until its outbox row is applied.
VOCABULARY = f"SELECT d.vector {DOCUMENTS} {PUBLIC} ORDER BY d.question_id DESC LIMIT 1000"


class PostgresBackend(LockedWriter):
    """Documents live in `search_documents`; every read joins `questions`, whose flags decide what is public."""

    name = "postgres"

    def __init__(self, url: str, match_cap: int = MATCH_CAP) -> None:
        self.engine = make_engine(url)
        self.match_cap = match_cap
        self._config: str | None = None
        self._trigrams: bool | None = None

    def state(self) -> str:
        return READY  # the table is part of the schema; an out-of-step table shows in the counts

    def missing(self) -> bool:
        return False

    def healthy(self) -> bool:
        return True

    def rebuilding(self) -> bool:
        with self.engine.connect() as conn:
            return bool(conn.scalar(text(REBUILDING)))

    def create(self) -> None:
        """Nothing to create: the table is part of the schema."""

    def reset(self) -> None:
        """Nothing to start over: the table lives in the database and `rebuild` replaces its rows."""

    # --- database features, set up on first use ----------------------------------------------------

    def _ddl(self, check: str, statements: Iterable[str]) -> bool:
        """Run `statements` unless `check` already holds; False when they can't run (no contrib, no rights)."""
        try:
            with self.engine.begin() as conn:
                if not conn.scalar(text(check)):
                    for statement in statements:
                        conn.execute(text(statement))
            return True
        except Exception as error:  # a race with another process, or the extension isn't installable
            log.warning("search: %s", str(error).splitlines()[0])
            with self.engine.connect() as conn:
                return bool(conn.scalar(text(check)))

    def config(self) -> str:
        if self._config is None:
            folded = self._ddl(CONFIG_EXISTS, CONFIG_DDL)
            if not folded:
                log.warning("search: unaccent unavailable, accents are not folded")
            self._config = CONFIG if folded else "simple"
        return self._config

    def _has_trigrams(self) -> bool:
        if self._trigrams is None:
            check = "SELECT EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'pg_trgm')"
            self._trigrams = self._ddl(check, ["CREATE EXTENSION IF NOT EXISTS pg_trgm"])
        return self._trigrams

    # --- writing -----------------------------------------------------------------------------------

    def _row(self, doc: Document) -> dict[str, Any]:
        return {
            "id": doc.id,
            "cfg": self.config(),
            "title": doc.title,
            "body": doc.body,
            "answers": f"{doc.answers} {doc.best_answer}",
            "best_answer": doc.best_answer,
        }

    @contextmanager
    def locked(self, wait: bool = False) -> Iterator[None]:
        """A session-level advisory lock on a connection of its own, held for the block."""
        with self.engine.connect() as conn:
            if wait:
                conn.execute(text("SELECT pg_advisory_lock(:key)"), {"key": WRITER_LOCK})
            elif not conn.scalar(text("SELECT pg_try_advisory_lock(:key)"), {"key": WRITER_LOCK}):
                raise IndexBusy("another process is writing the search documents")
            conn.commit()
            try:
                yield
            finally:
                conn.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": WRITER_LOCK})
                conn.commit()

    def write(self, documents: dict[int, Document | None]) -> None:
        self.config()  # outside the write transaction: its DDL must not roll back with a failed batch
        with self.engine.begin() as conn:
            gone = [question_id for question_id, doc in documents.items() if doc is None]
            if gone:
                conn.execute(text("DELETE FROM search_documents WHERE question_id = ANY(:ids)"), {"ids": gone})
            rows = [self._row(doc) for doc in documents.values() if doc is not None]
            if rows:
                conn.execute(UPSERT, rows)

    def rebuild(self, documents: Iterable[Document], progress: Callable[[int], None] | None = None) -> int:
        self.config()
        count = 0
        with self.engine.begin() as conn:
            conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": REBUILD_LOCK})
            conn.execute(text("DELETE FROM search_documents"))  # readers see the old rows until the commit
            rows: list[dict[str, Any]] = []
            for doc in documents:
                rows.append(self._row(doc))
                count += 1
                if progress:
                    progress(1)
                if len(rows) >= BATCH:
                    conn.execute(UPSERT, rows)
                    rows = []
            if rows:
                conn.execute(UPSERT, rows)
        return count

    def count(self) -> int:
        with self.engine.connect() as conn:
            return conn.scalar(text(f"SELECT count(*) {DOCUMENTS} {PUBLIC}")) or 0

    def version(self) -> str:
        """No version without a query (the table is shared by every server): caches keyed by it live by their
        TTL, and what they hold is re-checked against the questions' flags on every use anyway."""
        return self.name

    # --- reading -----------------------------------------------------------------------------------

    def _where(self, query: SearchQuery, fields: list[tuple[str, str, bool]]) -> tuple[str, dict[str, Any]]:
        """SQL conditions (constant fragments) and their bound values for the filters; fields: (kind, value, wanted)."""
        where: list[str] = []
        params: dict[str, Any] = {}
        for i, (kind, value, wanted) in enumerate(fields):
            if kind == "board":
                operator = "=" if wanted else "IS DISTINCT FROM"  # an unknown board excludes nothing
                where.append(f"q.board_id {operator} (SELECT id FROM boards WHERE slug = :f{i})")
                params[f"f{i}"] = value.lower()
            else:
                where.append(
                    f"{'' if wanted else 'NOT '}EXISTS (SELECT 1 FROM question_tags qt JOIN tags t"
                    f" ON t.id = qt.tag_id WHERE qt.question_id = q.id AND t.name = :f{i})"
                )
                params[f"f{i}"] = content.normalize_tag(value)
        if query.solved is not None:
            where.append("q.is_solved = :solved")
            params["solved"] = query.solved
        if query.language:
            where.append("q.language = :language")
            params["language"] = query.language
        if query.unanswered:
            where.append("q.answer_count = 0")
        if query.date_from:
            where.append("q.created_at >= :date_from")
            params["date_from"] = datetime.combine(query.date_from, dtime.min, UTC)
        if query.date_to:  # the whole day (UTC), as in Whoosh's DateRange
            where.append("q.created_at < :date_to")
            params["date_to"] = datetime.combine(query.date_to + timedelta(days=1), dtime.min, UTC)
        return "".join(f" AND {condition}" for condition in where), params

    def search(self, query: SearchQuery) -> SearchResult:
        fields = [(kind.lower(), value.strip("\"'"), not minus) for minus, kind, value in FIELD.findall(query.text)]
        fields += [(kind, value, True) for kind, value in (("board", query.board), ("tag", query.tag)) if value]
        words = FIELD.sub(" ", query.text).strip()
        where, params = self._where(query, fields)
        limit = match_limit(query, self.match_cap)
        params.update(
            cfg=self.config(), text=words, limit=query.per_page, offset=(max(1, query.page) - 1) * query.per_page,
            pool=limit, counted=limit + 1,
        )
        source, order = f"{DOCUMENTS} {PUBLIC}{where}", "q.created_at DESC, q.id DESC"
        texts, joins, ranked = "d.title, left(d.body, 221), left(d.best_answer, 201)", "", ""
        if words:
            joins = f"CROSS JOIN websearch_to_tsquery({CFG}, {ESCAPED.format(':text')}) AS tq(query)"
            source = f"{DOCUMENTS} {joins} {PUBLIC} AND d.vector @@ tq.query{where}"
            if query.sort != "newest":
                # Relevance among the newest `pool` matches: ts_rank_cd reads each match's whole vector, so ranking
                # all of a common word's matches cost most of the search; the newest ones are found by walking
                # the primary key backwards (question ids grow with time) and stop at the pool's size.
                order = f"ts_rank_cd({WEIGHTS}, d.vector, tq.query, 1) DESC, pool.created_at DESC, pool.id DESC"
                ranked = (
                    f"WITH pool AS (SELECT d.question_id AS id, q.created_at {source} ORDER BY d.question_id DESC"
                    f" LIMIT :pool) SELECT pool.id, row_number() OVER (ORDER BY {order}) AS n FROM pool"
                    f" JOIN search_documents d ON d.question_id = pool.id {joins} ORDER BY {order}"
                )
            texts = (
                f"ts_headline({CFG}, {ESCAPED.format('d.title')}, tq.query, '{MARKS}, HighlightAll=true'),"
                f" ts_headline({CFG}, {ESCAPED.format('d.body')}, tq.query, '{SNIPPET}'),"
                f" ts_headline({CFG}, {ESCAPED.format('d.best_answer')}, tq.query, '{SNIPPET}')"
            )
        ranked = ranked or (
            f"SELECT d.question_id AS id, row_number() OVER (ORDER BY {order}) AS n {source} ORDER BY {order}"
        )
        # How the texts start and end, to show where a headline leaves text out.
        texts += ", left(d.body, 60), right(d.body, 60), left(d.best_answer, 60), right(d.best_answer, 60)"
        page = (  # rank the matches, then headline only the page's rows
            f"WITH page AS ({ranked} LIMIT :limit OFFSET :offset) SELECT page.id, {texts} FROM page"
            f" JOIN search_documents d ON d.question_id = page.id {joins} ORDER BY page.n"
        )
        with self.engine.connect() as conn:
            # Counting stops one past the limit: enough to say "1,000+", without visiting every match.
            matches = conn.scalar(text(f"SELECT count(*) FROM (SELECT 1 {source} LIMIT :counted) AS m"), params) or 0
            total, capped = counted(matches, limit)
            rows = conn.execute(text(page), params).all()
            suggestion = self._suggest(conn, query.text, words) if words and not total else None
        hits = []
        for ident, title, body, answer, body_head, body_tail, answer_head, answer_tail in rows:
            if words:
                body = _with_ellipses(body, body_head, body_tail)
                answer = _with_ellipses(answer, answer_head, answer_tail)
            else:
                plain = (title or "", clip(body or "", 220), clip(answer or "", 200))
                title, body, answer = (html.escape(value, quote=False) for value in plain)
            hits.append(Hit(ident, *(content.marks_only(value or "") for value in (title, body, answer))))
        return SearchResult(hits, total, suggestion, capped=capped)

    def _suggest(self, conn: Connection, original: str, words: str) -> str | None:
        """Words found in no document, swapped for the closest word of recent documents (pg_trgm similarity)."""
        if not self._has_trigrams():
            return None
        params: dict[str, Any] = {"cfg": self.config(), "vocabulary": VOCABULARY}
        known = text(f"SELECT EXISTS (SELECT FROM search_documents WHERE vector @@ plainto_tsquery({CFG}, :word))")
        # Proving a word absent must be a GIN lookup: for EXISTS the planner likes a seq scan that stops at the
        # first match, which for a missing word reads the whole table. (SET LOCAL ends with this transaction.)
        conn.execute(text("SET LOCAL enable_seqscan = off"))
        candidates = sorted({w for w in re.findall(r"(?<![-\w])\w+", words) if w.lower() != "or"})[:8]
        params["words"] = [w for w in candidates if not conn.scalar(known, {**params, "word": w})][:3]
        if not params["words"]:
            return None
        rows = conn.execute(
            text(
                "WITH vocabulary AS MATERIALIZED (SELECT word, ndoc FROM ts_stat(:vocabulary, 'ab'))"
                " SELECT w.word, (SELECT v.word FROM vocabulary v WHERE similarity(v.word, w.lexeme) >= 0.4"
                "  ORDER BY similarity(v.word, w.lexeme) DESC, v.ndoc DESC LIMIT 1)"
                f" FROM (SELECT word, (tsvector_to_array(to_tsvector({CFG}, word)))[1] AS lexeme"
                "  FROM unnest(CAST(:words AS text[])) AS word) w"
            ),
            params,
        ).all()
        fixes = {word: better for word, better in rows if better}
        return re.sub(r"\w+", lambda m: fixes.get(m.group(0), m.group(0)), original) if fixes else None

    def similar(self, title: str, limit: int = 5) -> list[int]:
        """Questions whose title or body share words with a draft title; solved ones first among the best."""
        # \w+ words hold no tsquery operators or quotes, so joining them with | is a safe OR query.
        words = re.findall(r"\w+", title)[:20]
        if not words:
            return []
        sql = (  # the best matches on title and body (not answers), then the solved ones among them first
            f"SELECT id FROM (SELECT q.id, q.is_solved, ts_rank_cd({WEIGHTS}, d.vector, tq.query, 1) AS rank"
            f" {DOCUMENTS} CROSS JOIN to_tsquery({CFG}, :q) AS tq(query) {PUBLIC} AND d.vector @@ tq.query"
            " AND ts_filter(d.vector, '{a,b}') @@ tq.query ORDER BY rank DESC, q.id DESC LIMIT :pool) best"
            " ORDER BY is_solved DESC, rank DESC, id DESC LIMIT :limit"
        )
        with self.engine.connect() as conn:
            params = {"cfg": self.config(), "q": " | ".join(words), "pool": limit * 3, "limit": limit}
            return list(conn.scalars(text(sql), params))


def _spaced(text: str) -> str:
    return " ".join(html.unescape(re.sub(r"</?mark>", "", text)).split())


def _with_ellipses(headline: str | None, head: str | None, tail: str | None) -> str:
    """A headline with "…" where the text goes on before or after it (ts_headline cuts on words, silently)."""
    if not headline:
        return ""
    shown, head, tail = _spaced(headline), _spaced(head or ""), _spaced(tail or "")
    starts = bool(head) and (shown.startswith(head[:20]) or head.startswith(shown[:20]))
    ends = bool(tail) and (shown.endswith(tail[-20:]) or tail.endswith(shown[-20:]))
    return ("" if starts else "… ") + headline + ("" if ends else " …")

"""The Whoosh backend: an index on local disk, rebuilt into a new directory and swapped in atomically."""

from __future__ import annotations

import logging
import os
import shutil
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from datetime import datetime
from datetime import time as dtime
from itertools import islice
from pathlib import Path

from whoosh import index
from whoosh.filedb.filestore import FileStorage
from whoosh.index import LockError
from whoosh.qparser import FieldAliasPlugin, MultifieldParser, OrGroup, PlusMinusPlugin
from whoosh.query import And, DateRange, Every, Or, Term

from app import content
from app.search.backend import (
    MATCH_CAP,
    MISSING,
    READY,
    UNREADABLE,
    Hit,
    IndexBusy,
    IndexUnavailable,
    LockedWriter,
    SearchQuery,
    SearchResult,
    counted,
    match_limit,
)
from app.search.documents import Document, clip
from app.search.snippets import marked
from app.search.whoosh_schema import ANALYZER, PLAIN, SCHEMA, escape, fields
from app.search.whoosh_scoring import KeptLengthsBM25F

log = logging.getLogger(__name__)
_open_lock = threading.Lock()
WEIGHTING = KeptLengthsBM25F()
# One writer at a time across processes: an flock on a file beside the generations, so it outlives any one of
# them and a rebuild can hold it while it builds the next.
WRITER_LOCK = "WRITER"
REBUILDING = "REBUILDING"  # present while a rebuild runs, so other processes can say so


class WhooshBackend(LockedWriter):
    """`root/current` is a symlink to the live generation directory, so a rebuild swaps in with one rename."""

    name = "whoosh"

    def __init__(self, root: str | os.PathLike, match_cap: int = MATCH_CAP) -> None:
        self.root = Path(root)
        self.match_cap = match_cap
        self._index: index.Index | None = None
        self._target: str | None = None

    # --- opening -------------------------------------------------------------------------------

    @property
    def current(self) -> Path:
        return self.root / "current"

    def _new_generation(self) -> Path:
        self.root.mkdir(parents=True, exist_ok=True)
        path = self.root / f"gen-{time.time_ns()}"
        path.mkdir()
        index.create_in(str(path), SCHEMA)
        return path

    def _swap_to(self, generation: Path) -> None:
        link = self.root / f".current-{time.time_ns()}"
        link.symlink_to(generation.name)
        os.replace(link, self.current)  # atomic: readers see the old or the new index, never neither

    def _open(self) -> index.Index:
        """The live index; never an empty stand-in: a lost index must be rebuilt, not quietly replaced."""
        with _open_lock:
            try:
                target = os.readlink(self.current)
            except OSError:
                raise IndexUnavailable(f"no search index at {self.current}") from None
            if self._index is None or target != self._target:
                try:
                    # Without mmap: with it, Whoosh copies each part of the segment file into memory on every
                    # searcher and writer it opens (~150 ms a search on 500k posts; 1 ms without).
                    self._index = FileStorage(str(self.current), supports_mmap=False).open_index()
                except Exception as error:
                    raise IndexUnavailable(f"search index unreadable at {self.current}") from error
                self._target = target
            return self._index

    def _unavailable(self, error: Exception) -> Exception:
        """What to raise for a failed read or write: IndexUnavailable when the index itself is broken."""
        if isinstance(error, IndexUnavailable) or self.state() == READY:
            return error
        return IndexUnavailable(f"search index unreadable at {self.current}")

    def missing(self) -> bool:
        return not self.current.exists()

    def state(self) -> str:
        if self.missing():
            return MISSING
        try:
            with self._open().searcher() as searcher:
                searcher.doc_count()  # opens every segment
                next(searcher.all_stored_fields(), None)
            return READY
        except Exception:
            log.exception("search index unreadable at %s", self.current)
            return UNREADABLE

    def healthy(self) -> bool:
        return self.state() == READY

    def rebuilding(self) -> bool:
        marker = self.root / REBUILDING
        if not marker.exists():
            return False
        lock = FileStorage(str(self.root)).lock(WRITER_LOCK)
        if not lock.acquire(blocking=False):
            return True
        try:  # the marker of a rebuild that crashed: nobody holds the lock
            marker.unlink(missing_ok=True)
        finally:
            lock.release()
        return False

    def create(self) -> None:
        first_start = not self.root.exists()  # a root without `current` held an index that was lost
        if first_start:
            with self.locked(wait=True):
                if self.missing():
                    self.reset()

    def reset(self) -> None:
        """Start over with an empty index (the caller then re-adds every document)."""
        with _open_lock:
            self._index = None
        self._swap_to(self._new_generation())

    # --- writing -------------------------------------------------------------------------------

    @contextmanager
    def locked(self, wait: bool = False) -> Iterator[None]:
        self.root.mkdir(parents=True, exist_ok=True)
        lock = FileStorage(str(self.root)).lock(WRITER_LOCK)
        if not lock.acquire(blocking=wait):
            raise IndexBusy(f"another writer holds {self.root / WRITER_LOCK}")
        try:
            yield
        finally:
            lock.release()

    def write(self, documents: dict[int, Document | None]) -> None:
        ix = self._open()
        try:
            writer = ix.writer(timeout=0.0)
        except LockError:
            raise IndexBusy("the generation's own write lock is taken") from None
        except Exception as error:
            raise self._unavailable(error) from error
        try:
            if "language" not in writer.schema:  # an index built before posts had a language: add the field
                writer.add_field("language", SCHEMA["language"])
            for question_id, doc in documents.items():
                if doc is None:
                    writer.delete_by_term("id", question_id)
                else:
                    writer.update_document(**fields(doc))
            writer.commit()
        except Exception as error:
            writer.cancel()
            raise self._unavailable(error) from error

    def rebuild(self, documents: Iterable[Document], progress: Callable[[int], None] | None = None) -> int:
        self.root.mkdir(parents=True, exist_ok=True)
        marker = self.root / REBUILDING
        marker.touch()
        try:
            generation = self._new_generation()
            writer = index.open_dir(str(generation)).writer(limitmb=256, procs=1)
            count = 0
            try:
                for doc in documents:
                    writer.add_document(**fields(doc))
                    count += 1
                    if progress:
                        progress(1)
                writer.commit(optimize=True)
            except BaseException:
                writer.cancel()
                shutil.rmtree(generation, ignore_errors=True)
                raise
            self._swap_to(generation)
            # Every other generation is dead now: the one replaced, and any left by a rebuild that failed.
            for old in self.root.glob("gen-*"):
                if old != generation:
                    shutil.rmtree(old, ignore_errors=True)
            return count
        finally:
            marker.unlink(missing_ok=True)

    def count(self) -> int:
        try:
            with self._open().searcher() as searcher:
                return searcher.doc_count()
        except Exception as error:
            raise self._unavailable(error) from error

    def version(self) -> tuple[str | None, int]:
        """The live generation and its latest commit: a directory listing, no searcher opened."""
        try:
            ix = self._open()
            return self._target, ix.latest_generation()
        except Exception as error:
            raise self._unavailable(error) from error

    # --- reading -------------------------------------------------------------------------------

    def _parser(self, ix: index.Index) -> MultifieldParser:
        parser = MultifieldParser(
            ["title", "body", "answers", "best_answer"], schema=ix.schema, group=OrGroup
        )
        parser.add_plugin(PlusMinusPlugin())
        parser.add_plugin(FieldAliasPlugin({"tags": ["tag"]}))
        return parser

    def _filter(self, query: SearchQuery):
        terms = []
        if query.board:
            terms.append(Term("board", query.board))
        if query.tag:
            terms.append(Term("tags", content.normalize_tag(query.tag)))
        if query.solved is not None:
            terms.append(Term("solved", query.solved))
        if query.language:
            terms.append(Term("language", query.language))
        if query.unanswered:
            terms.append(Term("answered", False))
        if query.date_from or query.date_to:
            start = datetime.combine(query.date_from, dtime.min) if query.date_from else None
            end = datetime.combine(query.date_to, dtime.max) if query.date_to else None
            terms.append(DateRange("created", start, end))
        return And(terms) if terms else None

    def search(self, query: SearchQuery) -> SearchResult:
        try:
            return self._search(query)
        except Exception as error:
            raise self._unavailable(error) from error

    def _search(self, query: SearchQuery) -> SearchResult:
        ix = self._open()
        parser = self._parser(ix)
        text = query.text.strip()
        parsed = parser.parse(text) if text else Every()
        page, per_page = max(1, query.page), query.per_page
        with ix.searcher(weighting=WEIGHTING) as searcher:
            suggestion = None
            # No terms=True: with it, a filtered search reported the unfiltered total.
            kwargs = {"filter": self._filter(query)}
            if query.sort == "newest" or not text:
                kwargs["sortedby"] = "created"
                kwargs["reverse"] = True
            # The top page * per_page only: scoring skips whole blocks that can't reach them (search_page's own
            # count then walked every match again, unfiltered).
            results = searcher.search(parsed, limit=page * per_page, **kwargs)
            total, capped = self._count(searcher, results, parsed, kwargs["filter"], match_limit(query, self.match_cap))
            if text and total == 0:
                suggestion = self._suggest(searcher, text)
            terms = _query_terms(searcher, parsed) if text else {}
            hits = []
            for hit in results[(page - 1) * per_page : page * per_page]:
                stored = hit.fields()
                body, best = stored.get("body", ""), stored.get("best_answer", "")
                title = marked(stored["title"], terms.get("title", ()), whole=True) or escape(stored["title"])
                snippet = marked(body, terms.get("body", ())) or escape(clip(body, 220))
                answer = marked(best, terms.get("best_answer", ()), top=3) or escape(clip(best, 200))
                marks = (content.marks_only(title), content.marks_only(snippet), content.marks_only(answer))
                hits.append(Hit(stored["id"], *marks))
            return SearchResult(hits, total, suggestion, capped=capped)

    @staticmethod
    def _count(searcher, results, parsed, filter_query, limit: int) -> tuple[int, bool]:
        """The matches, counted up to `limit` (then "capped"): exact for free when the collector saw them all
        (a sorted search), else by walking the matching documents, filter applied, and stopping past the limit."""
        if results.has_exact_length():
            return counted(len(results), limit)
        if filter_query is None and _at_least(searcher, parsed) > limit:
            return counted(limit + 1, limit)  # "1,000+" without walking a thousand matches
        wanted = And([parsed, filter_query]) if filter_query is not None else parsed
        return counted(sum(1 for _ in islice(searcher.docs_for_query(wanted), limit + 1)), limit)

    @staticmethod
    def _suggest(searcher, text: str) -> str | None:
        """ "Did you mean", only when nothing matched: each word no document contains is replaced by the
        closest word of the index's own (unstemmed) spelling words; correcting stemmed terms suggested
        half-words ("bateria" for "baterry"). Deleted documents' words stay in a segment's word lists until a
        merge, so a word counts only when a live document holds it (the service then checks the viewer
        may see what it finds)."""
        words, changed = [], False
        for word in (token.text for token in PLAIN(text)):
            if len(word) < 3 or not word.isalpha() or _live(searcher, word):
                words.append(word)
                continue
            candidates = searcher.suggest("title", word, limit=5, maxdist=2, prefix=1) + searcher.suggest(
                "body", word, limit=5, maxdist=2, prefix=1
            )
            found = next((candidate for candidate in candidates if _live(searcher, candidate)), None)
            words.append(found or word)
            changed = changed or bool(found)
        return " ".join(words) if changed else None

    def similar(self, title: str, limit: int = 5) -> list[int]:
        """Questions whose title or text share words with a draft title; solved ones first."""
        words = [token.text for token in PLAIN(title)][:20]
        if not words:
            return []
        try:
            ix = self._open()
            parser = MultifieldParser(["title", "body"], schema=ix.schema, group=OrGroup.factory(0.9))
            with ix.searcher(weighting=WEIGHTING) as searcher:
                results = searcher.search(parser.parse(" ".join(words)), limit=limit * 3)
                ranked = [(hit["id"], bool(hit.get("solved")), hit.score) for hit in results]
        except Exception as error:
            raise self._unavailable(error) from error
        ranked.sort(key=lambda item: (not item[1], -item[2]))
        return [question_id for question_id, _solved, _score in ranked[:limit]]


def _at_least(searcher, parsed) -> int:
    """A floor under the number of live documents a plain word query (one term, or any of several) matches: its
    most frequent term's documents, less every deleted document (those still counted until a merge); 0 for any
    other query."""
    terms = [parsed] if type(parsed) is Term else parsed.subqueries if type(parsed) is Or else None
    if not terms or not all(type(term) is Term for term in terms):
        return 0
    deleted = searcher.doc_count_all() - searcher.doc_count()
    return max(searcher.doc_frequency(term.fieldname, term.text) for term in terms) - deleted


def _query_terms(searcher, parsed) -> dict[str, set[str]]:
    """The words a query looks for, by field, as the index holds them (prefixes and wildcards expanded to the
    words they matched): what a hit's text is marked with."""
    terms: dict[str, set[str]] = {}
    reader = searcher.reader()
    # Not Query.existing_terms: its loop variable shadows its `fieldname` argument, so it returns the first field's
    # words only.
    for leaf in parsed.leaves():
        for fieldname, word in leaf.expanded_terms(reader, phrases=True):
            if fieldname in ("title", "body", "best_answer"):
                text = searcher.schema[fieldname].from_bytes(word) if isinstance(word, bytes) else word
                terms.setdefault(fieldname, set()).add(text)
    return terms


def _live(searcher, word: str) -> bool:
    """Some live (not deleted) document holds `word` in its title, body or answers."""
    stems = {token.text for token in ANALYZER(word)}
    query = Or([Term(field, stem) for field in ("title", "body", "answers") for stem in stems])
    return not searcher.search(query, limit=1).is_empty()

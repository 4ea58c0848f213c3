"""The interface every search backend offers (Whoosh on disk; PostgreSQL full-text search)."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Hashable, Iterable
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from datetime import date
from typing import Protocol

from app.search.documents import Document

QUERY_MAX = 300
PER_PAGE = 20
# How many matches a search looks at, at most: it counts up to that many ("1,000+ results") and PostgreSQL ranks
# that many of the newest matches by relevance. Counting or ranking every match of a word in a third of all posts
# cost most of a search's time, for a figure nobody reads past the first digits (SEARCH_MATCH_CAP).
MATCH_CAP = 1000

# What `state()` reports; only READY serves searches and takes writes.
READY = "ready"
MISSING = "index missing"
UNREADABLE = "index unreadable"


class IndexBusy(Exception):
    """Another writer holds the index lock: outbox rows wait for the next turn."""


class IndexUnavailable(Exception):
    """The index is missing or unreadable: it must be rebuilt from the database."""


@dataclass(frozen=True)
class SearchQuery:
    text: str
    board: str | None = None
    tag: str | None = None
    solved: bool | None = None  # True: solved only; False: unsolved only
    unanswered: bool = False
    language: str | None = None  # the posts' language code
    date_from: date | None = None
    date_to: date | None = None
    sort: str = "relevance"  # or "newest"
    page: int = 1
    per_page: int = PER_PAGE


@dataclass(frozen=True)
class Hit:
    id: int
    title_html: str  # highlighted, already sanitised
    snippet_html: str
    answer_html: str  # a snippet of the best answer


@dataclass(frozen=True)
class SearchResult:
    hits: list[Hit]
    total: int  # the matches counted: all of them, or (capped) the first `total`, and there are more
    suggestion: str | None = None  # "did you mean"
    notes: list[str] = field(default_factory=list)
    capped: bool = False  # more than `total` matched: shown as "1,000+ results"


def match_limit(query: SearchQuery, cap: int) -> int:
    """How many matches to count (and, where a backend must, rank): the cap, or far enough past the page asked
    for to know whether another page follows it."""
    return max(cap, max(1, query.page) * query.per_page + 1)


def counted(matches: int, limit: int) -> tuple[int, bool]:
    """(total, capped) from a count that stopped at limit + 1."""
    return min(matches, limit), matches > limit


class LockedWriter(ABC):
    """`apply` for backends that offer `locked()` and `write()`: one writer at a time, or come back later."""

    @abstractmethod
    def locked(self, wait: bool = False) -> AbstractContextManager[None]:
        """Be the one writer for the block (see SearchBackend.locked)."""

    @abstractmethod
    def write(self, documents: dict[int, Document | None]) -> None:
        """Write and commit documents under the lock (see SearchBackend.write)."""

    def apply(self, documents: dict[int, Document | None]) -> bool:
        try:
            with self.locked():
                self.write(documents)
        except IndexBusy:
            return False  # another process is writing; the outbox rows wait for the next turn
        return True


class SearchBackend(Protocol):
    name: str

    def locked(self, wait: bool = False) -> AbstractContextManager[None]:
        """Be the one writer (across processes) for the block; IndexBusy if another holds it and not `wait`."""

    def write(self, documents: dict[int, Document | None]) -> None:
        """Add, replace or remove documents and commit them to the index; the caller holds `locked()`."""

    def apply(self, documents: dict[int, Document | None]) -> bool:
        """`locked()` plus `write()`; False if another writer holds the lock (try again later)."""

    def rebuild(self, documents: Iterable[Document], progress: Callable[[int], None] | None = None) -> int:
        """Replace the whole index with `documents`; the caller holds `locked(wait=True)`."""

    def create(self) -> None:
        """On a first start, an empty index to write to; a lost index stays missing, to be rebuilt."""

    def reset(self) -> None:
        """Start over with an empty index (the caller then re-adds every document)."""

    def state(self) -> str:
        """READY, MISSING or UNREADABLE."""

    def missing(self) -> bool:
        """A cheap check, fit for every request: is there no index at all?"""

    def healthy(self) -> bool:
        """state() is READY."""

    def rebuilding(self) -> bool:
        """A rebuild runs right now, in this process or another."""

    def search(self, query: SearchQuery) -> SearchResult: ...

    def similar(self, title: str, limit: int = 5) -> list[int]: ...

    def count(self) -> int: ...

    def version(self) -> Hashable:
        """Changes whenever the index does (cheap: read on every question page); a constant where no cheap
        version exists, so caches keyed by it rely on their TTL."""

"""The interface every search backend offers (Whoosh on disk; PostgreSQL full-text search)."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date
from typing import Protocol

from app.search.documents import Document

QUERY_MAX = 300
PER_PAGE = 20


@dataclass(frozen=True)
class SearchQuery:
    text: str
    board: str | None = None
    tag: str | None = None
    solved: bool | None = None  # True: solved only; False: unsolved only
    unanswered: bool = False
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
    total: int
    suggestion: str | None = None  # "did you mean"
    notes: list[str] = field(default_factory=list)


class SearchBackend(Protocol):
    name: str

    def apply(self, documents: dict[int, Document | None]) -> bool:
        """Add, replace or remove documents; False if another writer holds the lock (try again later)."""

    def search(self, query: SearchQuery) -> SearchResult: ...

    def similar(self, title: str, limit: int = 5) -> list[int]: ...

    def count(self) -> int: ...

    def rebuild(self, documents: Iterable[Document], progress: Callable[[int], None] | None = None) -> int: ...

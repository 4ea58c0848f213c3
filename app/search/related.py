"""Related questions beside a question: the index's picks cached per process, their visibility re-checked per view.

Asking the search backend on every view of a question would cost a search (and, on PostgreSQL, a query) per
page. The picks change only when the index does, so their ids are kept in a small in-process cache keyed by
the question and the index's version (a TTL bounds what a backend without a cheap version may miss). What the
reader may see can change without the picks changing (a question hidden, withdrawn or merged), and the outbox
reaches the index only after the commit: so the ids are always re-loaded through the public filter, in one
query, and a question that went private since is simply not listed.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import OrderedDict
from collections.abc import Hashable

from sqlalchemy.orm import Session

from app.forum.models import Question
from app.search import service
from app.search.backend import SearchBackend

log = logging.getLogger(__name__)

LIMIT = 5


class RelatedCache:
    """Question id and index version -> related ids, for `ttl` seconds, at most `size` entries (oldest go)."""

    def __init__(self, ttl: float = 600.0, size: int = 4096) -> None:
        self.ttl, self.size = ttl, size
        self._entries: OrderedDict[Hashable, tuple[float, tuple[int, ...]]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: Hashable) -> tuple[int, ...] | None:
        with self._lock:
            entry = self._entries.get(key)
            if entry is None or entry[0] < time.monotonic():
                return None
            self._entries.move_to_end(key)
            return entry[1]

    def put(self, key: Hashable, ids: tuple[int, ...]) -> None:
        with self._lock:
            self._entries[key] = (time.monotonic() + self.ttl, ids)
            self._entries.move_to_end(key)
            while len(self._entries) > self.size:
                self._entries.popitem(last=False)


def related_questions(
    session: Session, backend: SearchBackend, cache: RelatedCache, question: Question, limit: int = LIMIT
) -> list[Question]:
    """Up to `limit` public questions like `question` (never itself or a merged one), above the relevance
    threshold of similar questions. A miss asks the index and loads the picks once; a hit loads them once."""
    key = (question.id, backend.version())
    ids = cache.get(key)
    if ids is None:
        tags = " ".join(tag.name.replace("-", " ") for tag in question.tags)
        found = service.similar(session, backend, question.title, limit, question.id, also=tags, eager=False)
        cache.put(key, tuple(q.id for q in found))
        return found
    if not ids:
        return []  # nothing related: no query at all
    visible = service.visible_questions(session, list(ids), eager=False)  # hidden, withdrawn: left out
    return [visible[i] for i in ids if i in visible and visible[i].duplicate_of_id is None]

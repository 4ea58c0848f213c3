"""The answers of a question page, rendered once and reused: an in-process cache of each answer's HTML.

A question page with 50 answers spent nearly all its time rendering them (macros, url_for, gettext), the same
output for every reader. The cache key holds everything the fragment shows, never an identity:
- the answer's own shown values (its sanitised HTML itself, not a version number, so no change of the body, a
  re-render or a masking can ever be missed), kudo count, accepted and hidden state, times;
- its author's name, role and rank (a rank changes with points earned anywhere);
- the question's id and slug, the reader's language, and how old the relative times may be ("3 hours ago");
- what this reader may do to the answer (`Reader`: a handful of booleans from the policy module), so a
  moderator's controls are a different entry from a member's.
So there is nothing to invalidate: a changed answer simply has a new key, and old keys fall out of the LRU.
The reader's CSRF token is rendered as a placeholder and filled in after the cache.

Per process, not in Redis: a fragment costs about a tenth of a millisecond to render once; fetching 50 from
Redis costs a round trip per page that a warm process never pays, and each worker warms within a few pages.
"""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, NamedTuple

from flask import Flask, current_app, g
from flask_babel import get_locale
from flask_login import current_user
from flask_wtf.csrf import generate_csrf
from markupsafe import Markup

from app.auth.permissions import can
from app.db import utcnow
from app.forum.models import Answer, Question
from app.ops.observe import FRAGMENT_CACHE_LOOKUPS
from app.web.display import rank_of

TEMPLATE = "forum/_answer.html"
CSRF_PLACEHOLDER = "\x00csrf\x00"  # never in a page otherwise: the edge refuses control characters in input
DEFAULT_SIZE = 5000

# How stale a relative time may be, by the age of the youngest time a fragment shows: a small share of the unit
# it is written in ("3 hours ago" may be five minutes late). Under an hour old, the answer is rendered fresh.
FRESHNESS: tuple[tuple[timedelta, int], ...] = (
    (timedelta(hours=1), 0),
    (timedelta(days=1), 300),
    (timedelta(days=30), 3600),
)
OLD_STEP = 86_400


class Reader(NamedTuple):
    """What the reader may do to one answer: all of a fragment that depends on who reads (besides the token)."""

    given: bool  # they gave it kudos
    kudo: bool
    accept: bool
    edit: bool
    flag: bool
    moderate: bool


@dataclass
class FragmentCache:
    """A bounded, thread-safe LRU of rendered fragments; size 0 turns it off."""

    size: int = DEFAULT_SIZE
    hits: int = 0
    misses: int = 0

    def __post_init__(self) -> None:
        self._entries: OrderedDict[tuple, str] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: tuple) -> str | None:
        with self._lock:
            html = self._entries.get(key)
            if html is None:
                self.misses += 1
                FRAGMENT_CACHE_LOOKUPS.labels("miss").inc()
                return None
            self._entries.move_to_end(key)
            self.hits += 1
            FRAGMENT_CACHE_LOOKUPS.labels("hit").inc()
            return html

    def put(self, key: tuple, html: str) -> None:
        if self.size <= 0:
            return
        with self._lock:
            self._entries[key] = html
            self._entries.move_to_end(key)
            while len(self._entries) > self.size:
                self._entries.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()

    def __len__(self) -> int:
        return len(self._entries)


def freshness(now: datetime, *times: datetime | None) -> tuple[int, int] | None:
    """The time slot a fragment showing `times` belongs to, or None when it is too young to cache."""
    youngest = max(time for time in times if time is not None)
    age = now - youngest
    step = OLD_STEP
    for limit, limit_step in FRESHNESS:
        if age < limit:
            step = limit_step
            break
    if step == 0:
        return None
    return step, int(now.timestamp()) // step


def reader_of(user: Any, answer: Answer, given: bool, may_accept: bool, moderates: bool) -> Reader:
    return Reader(
        given=given,
        kudo=can(user, "kudo", answer),
        accept=may_accept,
        edit=can(user, "edit_answer", answer),
        flag=can(user, "flag", answer),
        moderate=moderates,
    )


def key_of(answer: Answer, question: Question, reader: Reader, locale: str, slot: tuple[int, int]) -> tuple:
    """Every value the fragment shows, so that equal keys mean equal HTML (see the module's docstring); the body by
    its digest, so that a key does not hold a second copy of a long answer."""
    author = answer.author
    return (
        answer.id, locale, slot, reader,
        hashlib.blake2b(answer.body_html.encode(), digest_size=16).digest(),
        answer.language, answer.kudos_count, answer.is_accepted, answer.accepted_at,
        answer.is_hidden, answer.hidden_reason, answer.is_staff, answer.created_at, answer.edited_at,
        author.id, author.name, author.username, author.deleted_at is None, author.role, rank_of(author).key,
        question.id, question.slug,
    )  # fmt: skip


def _render(answer: Answer, question: Question, reader: Reader) -> str:
    template = current_app.jinja_env.get_template(TEMPLATE)
    return template.render(answer=answer, question=question, reader=reader, csrf=CSRF_PLACEHOLDER)


@dataclass
class _Page:
    """What every answer of one page shares, looked up once per request (current_user is a proxy: slow to ask)."""

    question_id: int
    user: Any
    locale: str
    now: datetime
    may_accept: bool
    moderates: bool
    csrf: str | None = None


def _page(question: Question) -> _Page:
    page = g.get("_agora_answer_page")
    if page is None or page.question_id != question.id:
        user = current_user._get_current_object()
        page = g._agora_answer_page = _Page(
            question.id, user, str(get_locale()), utcnow(), can(user, "accept", question), can(user, "moderate")
        )
    return page


def answer_article(answer: Answer, question: Question, given: bool) -> Markup:
    """One answer's <article>, from the cache when an equal one was rendered before (a template global)."""
    cache: FragmentCache = current_app.extensions["agora_fragments"]
    page = _page(question)
    reader = reader_of(page.user, answer, given, page.may_accept, page.moderates)
    slot = freshness(page.now, answer.created_at, answer.edited_at, answer.accepted_at)
    key = key_of(answer, question, reader, page.locale, slot) if slot is not None else None
    html = cache.get(key) if key is not None else None
    if html is None:
        html = _render(answer, question, reader)
        if key is not None:
            cache.put(key, html)
    if CSRF_PLACEHOLDER in html:
        if page.csrf is None:
            page.csrf = generate_csrf()
        html = html.replace(CSRF_PLACEHOLDER, page.csrf)
    return Markup(html)  # noqa: S704 - the template's own output, autoescaped when rendered


def register_fragments(app: Flask) -> None:
    """The cache (FRAGMENT_CACHE_SIZE entries; 0 turns it off) and the template global that uses it."""
    app.extensions["agora_fragments"] = FragmentCache(int(app.config.get("FRAGMENT_CACHE_SIZE", DEFAULT_SIZE)))
    app.add_template_global(answer_article, "answer_article")

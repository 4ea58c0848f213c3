"""The page cache for signed-out visitors: the home, list, board and question pages, kept per URL and language and
served before the database is touched, with ETags and 304s.

Invalidation is a generation number: every commit that wrote a row a visitor's page may show bumps it, and a page
is only served while the generation it was rendered under is still the current one. A request reads the generation
*before* it reads the database and tags its page with that number, so a page rendered from data older than a commit
can never be served after that commit's bump. With REDIS_URL the pages and the generation live in Redis (every app
server shares them, and a change made on one invalidates the pages of all); without it, each process keeps its
pages (a bounded LRU) under a generation kept in a file of the instance folder, which every process of the machine
reads and bumps. PAGE_CACHE_TTL bounds what a change made outside any app session (raw SQL by hand) could leave
behind."""

from __future__ import annotations

import hashlib
import json
import os
import threading
import time
import uuid
from collections import OrderedDict
from dataclasses import dataclass
from email.utils import formatdate
from pathlib import Path
from typing import Any, Protocol

from flask import Flask, Response, current_app, g, has_app_context, request, session
from sqlalchemy import event, inspect
from sqlalchemy.orm import ORMExecuteState, Session
from werkzeug.wrappers import Request as BaseRequest
from werkzeug.wrappers import Response as BaseResponse

from app.ops.observe import PAGE_CACHE_HITS, PAGE_CACHE_MISSES
from app.web.locale import visitor_locale

# The visitor pages worth keeping: what arrivals from a search engine and the front door read, and the searches
# visitors repeat (a search page is also stale once the index changes: the search outbox's drain bumps a generation
# of search pages alone).
# With the query arguments each one reads: a URL with any other is rendered but not kept, since the views ignore
# them, so `?x=1`, `?x=2`... would each keep a copy of the same page, and anyone could fill the cache (and push out
# the real pages) with them.
_LIST_ARGS = frozenset({"filter", "sort", "tag", "after", "language"})
KNOWN_ARGS: dict[str, frozenset[str]] = {
    "forum.index": _LIST_ARGS,
    "forum.questions": _LIST_ARGS,
    "forum.board": _LIST_ARGS,
    "forum.question": frozenset({"answers"}),
    "search.search": frozenset({"q", "status", "sort", "board", "tag", "page", "from", "to", "language", "exact"}),
}
CACHED_ENDPOINTS = frozenset(KNOWN_ARGS)
# Search pages are also stale when the index changes (their own generation), and live at most
# PAGE_CACHE_SEARCH_TTL: every different search is a page of its own, so they are kept briefly.
SEARCH_ENDPOINTS = frozenset({"search.search"})
# Session keys that do not change a visitor's page (the language is part of the key). Anything else (flashed
# messages above all, or a signed-in member's id) means the page is this visitor's own and is neither served
# from nor put into the cache.
NEUTRAL_SESSION_KEYS = frozenset({"locale", "csrf_token", "_fresh", "_remember", "_permanent"})
# Tables no visitor page shows: writing them leaves every cached page as it was.
PRIVATE_TABLES = frozenset(
    {
        "search_outbox",
        "search_documents",
        "api_tokens",
        "user_sessions",
        "external_identities",
        "account_tokens",
        "notifications",
        "subscriptions",
        "email_messages",
        "mail_bounces",
        "mail_replies",
        "webhook_endpoints",
        "webhook_deliveries",
        "data_exports",
        "post_drafts",
        "case_messages",
        "flags",
        "moderation_actions",
    }
)
# Columns of shown tables that no visitor page shows (a sign-in or a read notification changes only these; an image's
# re-encoding, only its attachment's sizes and upload).
PRIVATE_COLUMNS = {
    "attachments": frozenset({"upload_key", "size", "width", "height"}),
    "users": frozenset(
        {
            "password_hash",
            "email",
            "email_pref",
            "last_digest_at",
            "reply_by_email",
            "unread_notifications",
            "last_seen_at",
            "email_verified_at",
            "locale",
        }
    )
}
DIRTY = "pages_dirty"
SEARCH_DIRTY = "search_pages_dirty"
PUBLIC = "public, max-age=0, must-revalidate"
VARY = "Cookie, Accept-Language"


@dataclass(frozen=True)
class Page:
    """A kept page: the generation it was rendered under, its validators and its body."""

    generation: str
    etag: str
    modified: float
    content_type: str
    body: bytes

    def dump(self) -> bytes:
        head = json.dumps([self.generation, self.etag, self.modified, self.content_type]).encode()
        return head + b"\n" + self.body

    @classmethod
    def load(cls, raw: bytes) -> Page:
        head, _newline, body = raw.partition(b"\n")
        generation, etag, modified, content_type = json.loads(head)
        return cls(str(generation), etag, float(modified), content_type, body)


class Store(Protocol):
    def lookup(self, key: str, search: bool = False) -> tuple[str, Page | None]:
        """The current generation and the page kept under `key` (None when there is none). A search page's
        generation also holds the search index's, which only changes when the index does."""

    def keep(self, key: str, page: Page, ttl: float | None = None) -> None:
        """Keep `page` for `ttl` seconds (the store's own when None)."""

    def bump(self, search: bool = False) -> None:
        """A new generation: every page kept so far is stale (`search`: every search page)."""


class MemoryStore:
    """One machine's pages (one server, or `make run`): each process keeps a bounded LRU, and the generation is a
    token in a file of the instance folder, so that a change committed by any process of the machine (another
    gunicorn worker, a `flask` command) invalidates the pages every process keeps. A process's own counter would
    leave its sibling workers serving a hidden post until PAGE_CACHE_TTL ran out. Several machines need REDIS_URL.
    Reading the token is one small file read per visitor request; a bump replaces the file atomically."""

    def __init__(self, size: int, ttl: float, generation_file: Path) -> None:
        self.size, self.ttl = size, ttl
        self.generation_file = generation_file
        self.search_file = generation_file.with_name(f"{generation_file.name}.search")
        self._pages: OrderedDict[str, tuple[float, Page]] = OrderedDict()
        self._lock = threading.Lock()

    def _generation(self, search: bool = False) -> str:
        path = self.search_file if search else self.generation_file
        try:
            return path.read_text()
        except FileNotFoundError:
            self.bump(search)
            return path.read_text()

    def lookup(self, key: str, search: bool = False) -> tuple[str, Page | None]:
        generation = self._generation()
        if search:
            generation += ":" + self._generation(search=True)
        with self._lock:
            found = self._pages.get(key)
            if found is None or found[0] < time.monotonic():
                return generation, None
            self._pages.move_to_end(key)
            return generation, found[1]

    def keep(self, key: str, page: Page, ttl: float | None = None) -> None:
        with self._lock:
            self._pages[key] = (time.monotonic() + (ttl or self.ttl), page)
            self._pages.move_to_end(key)
            while len(self._pages) > self.size:
                self._pages.popitem(last=False)

    def bump(self, search: bool = False) -> None:
        path = self.search_file if search else self.generation_file
        token = uuid.uuid4().hex  # random, like Redis's: a deleted file must not bring an old generation back
        path.parent.mkdir(parents=True, exist_ok=True)
        staged = path.with_name(f".{path.name}.{token}")
        staged.write_text(token)
        os.replace(staged, path)  # readers see the old token or the new one, never half a file
        if not search:
            with self._lock:
                self._pages.clear()  # all stale now: free the memory at once


class RedisStore:
    """Pages shared by every app server: one round trip (MGET of the generation and the page) per lookup.

    A generation is a random token, never a counter: were the key lost (evicted, or Redis restarted without its
    data), a counter would start again at a number some page still in Redis was kept under, and serve it."""

    def __init__(self, url: str, ttl: int, prefix: str) -> None:
        import redis

        self.client = redis.Redis.from_url(url, socket_timeout=2, socket_connect_timeout=2)
        self.ttl, self.prefix = ttl, prefix
        self.generation_key = f"{prefix}:generation"
        self.search_key = f"{prefix}:search-generation"

    def lookup(self, key: str, search: bool = False) -> tuple[str, Page | None]:
        names = [self.generation_key, self.search_key] if search else [self.generation_key]
        *generations, raw = self.client.mget(*names, f"{self.prefix}:page:{key}")
        if None in generations:
            for name in names:
                self.client.set(name, uuid.uuid4().hex, nx=True)
            return ":".join(value.decode() for value in self.client.mget(*names)), None
        return ":".join(value.decode() for value in generations), Page.load(raw) if raw else None

    def keep(self, key: str, page: Page, ttl: float | None = None) -> None:
        self.client.set(f"{self.prefix}:page:{key}", page.dump(), ex=int(ttl or self.ttl))

    def bump(self, search: bool = False) -> None:
        self.client.set(self.search_key if search else self.generation_key, uuid.uuid4().hex)


def make_store(config: dict[str, Any], instance_path: str) -> Store:
    ttl = max(1, int(config["PAGE_CACHE_TTL"]))
    if config.get("REDIS_URL"):
        return RedisStore(config["REDIS_URL"], ttl, config["PAGE_CACHE_KEY"])
    return MemoryStore(int(config["PAGE_CACHE_SIZE"]), ttl, Path(instance_path) / "page-cache.generation")


# --- which requests and responses the cache may serve and keep -----------------------------------------------


def _is_visitor_request() -> bool:
    """A GET of a cached page type by someone signed out whose session holds nothing that changes the page."""
    if request.method not in ("GET", "HEAD") or request.endpoint not in CACHED_ENDPOINTS:
        return False
    if not reads_only_known_args(request.endpoint, request.args.keys()):
        return False
    if "Authorization" in request.headers or "_user_id" in session:
        return False
    remember = current_app.config.get("REMEMBER_COOKIE_NAME", "remember_token")
    if remember in request.cookies and session.get("_remember") != "clear":
        return False  # Flask-Login would sign them in from the cookie
    return set(session.keys()) <= NEUTRAL_SESSION_KEYS


def reads_only_known_args(endpoint: str | None, names) -> bool:
    return KNOWN_ARGS.get(endpoint or "", frozenset()).issuperset(names)


def page_ttl(config: dict[str, Any], endpoint: str | None) -> int:
    """How long a page of `endpoint` may be kept."""
    name = "PAGE_CACHE_SEARCH_TTL" if endpoint in SEARCH_ENDPOINTS else "PAGE_CACHE_TTL"
    return max(1, int(config.get(name) or config["PAGE_CACHE_TTL"]))


def page_key(locale: str, incoming: BaseRequest) -> str:
    """A page's key: the reader's language and the URL (a Flask request, or the bare one of an early hit)."""
    url = incoming.full_path if incoming.query_string else incoming.path
    return hashlib.sha256(f"{locale}\n{url}".encode()).hexdigest()


def _is_keepable(response: Response) -> bool:
    """A whole 200 HTML page of a signed-out reader that sets no cookie and is not marked no-store."""
    from flask_login import current_user

    return (
        response.status_code == 200
        and response.mimetype == "text/html"
        and not response.direct_passthrough
        and "Set-Cookie" not in response.headers
        and "no-store" not in (response.headers.get("Cache-Control") or "")
        and not session.modified
        and not current_user.is_authenticated
    )


def _answer(page: Page) -> Response:
    # The visitor is known to be signed out (no member in the session, no remember-me cookie): telling Flask-Login
    # so spares the later hooks (security headers, logs) its loading, which would also mark the session.
    g._login_user = current_app.login_manager.anonymous_user()
    return kept_response(page, request)


def kept_response(page: Page, incoming: BaseRequest) -> Response:
    """The kept page, or 304 when the browser's copy is the same (inside Flask, and for an early hit before it)."""
    response = Response(page.body, content_type=page.content_type)
    response.headers["X-Page-Cache"] = "hit"  # for operators and tests: this page was not rendered now
    validators(response, page)
    return conditional(response, incoming)


def conditional(response: Response, incoming: BaseRequest) -> Response:
    """304 when the browser's copy has the same ETag. If-Modified-Since alone is not trusted: Last-Modified is when
    a process rendered the page, to the second, so a page rendered from data older than a hide but finished in the
    same second as the page after it would look current."""
    if "If-None-Match" in incoming.headers:
        return response.make_conditional(incoming)
    return response


def validators(response: BaseResponse, page: Page) -> None:
    response.set_etag(page.etag)
    response.headers["Last-Modified"] = formatdate(page.modified, usegmt=True)
    response.headers["Cache-Control"] = PUBLIC
    response.headers["Vary"] = VARY


# --- the hooks ---------------------------------------------------------------------------------------------------


def serve_kept_page() -> Response | None:
    """Before the view (and the database): answer from the cache, or note what the view's page is to be kept as."""
    if not _is_visitor_request():
        return None
    store: Store = current_app.extensions["agora_page_cache"]
    key = page_key(visitor_locale(), request)
    try:
        generation, page = store.lookup(key, search=request.endpoint in SEARCH_ENDPOINTS)
    except Exception:
        current_app.logger.exception("the page cache is unreachable; rendering the page")
        return None
    if page is not None and page.generation == generation:
        PAGE_CACHE_HITS.inc()
        _count_view()
        return _answer(page)
    PAGE_CACHE_MISSES.inc()
    g.page_cache = (key, generation)
    return None


def keep_page(response: Response) -> Response:
    """After the view: keep a visitor's page under the generation read before the view ran, and send validators."""
    kept = g.pop("page_cache", None)
    if kept is None or not _is_keepable(response):
        return response
    key, generation = kept
    body = response.get_data()
    page = Page(generation, hashlib.sha256(body).hexdigest()[:32], time.time(), response.content_type, body)
    try:
        current_app.extensions["agora_page_cache"].keep(key, page, page_ttl(current_app.config, request.endpoint))
    except Exception:
        current_app.logger.exception("keeping a page in the page cache failed")
    validators(response, page)
    return conditional(response, request)


def _count_view() -> None:
    """A question page served from the cache is still a view; the batch reaches the database on a later miss."""
    if request.endpoint == "forum.question":
        try:
            current_app.extensions["agora_views"].hit(request.view_args["question_id"])
        except Exception:
            current_app.logger.exception("counting a question view failed")


# --- invalidation: after every commit that wrote something a visitor's page may show --------------------------


def _shows(table: str, changed: set[str] | None = None) -> bool:
    if table in PRIVATE_TABLES:
        return False
    private = PRIVATE_COLUMNS.get(table)
    return not (private and changed is not None and changed <= private)


def _changed_columns(instance: Any) -> set[str]:
    state = inspect(instance)
    return {attr.key for attr in state.attrs if attr.history.has_changes()}


def _note_flush(session: Session, _context: Any) -> None:
    for instance in session.new | session.deleted:
        if _shows(inspect(instance).mapper.persist_selectable.name):
            session.info[DIRTY] = True
            return
    for instance in session.dirty:
        mapper = inspect(instance).mapper
        if session.is_modified(instance) and _shows(mapper.persist_selectable.name, _changed_columns(instance)):
            session.info[DIRTY] = True
            return


def _note_statement(state: ORMExecuteState) -> None:
    """Bulk UPDATE and DELETE statements (and INSERTs) pass no flush."""
    if state.is_select:
        return
    table = getattr(getattr(state.statement, "table", None), "name", None)
    if table is None or _shows(table):
        state.session.info[DIRTY] = True


def search_pages_changed(session: Session) -> None:
    """What this session commits changes the search index: visitors' kept search pages (and only those) are stale."""
    session.info[SEARCH_DIRTY] = True


def _bump_after_commit(session: Session) -> None:
    if session.in_nested_transaction():
        # SQLAlchemy reports a released savepoint as a commit too: the outer transaction's changes are not visible
        # yet, so a page rendered now under a new generation would keep the old data. Wait for the real commit.
        return
    dirty, search = session.info.pop(DIRTY, False), session.info.pop(SEARCH_DIRTY, False)
    if not (dirty or search):
        return
    app = session.info.get("app") or (current_app._get_current_object() if has_app_context() else None)
    store = app.extensions.get("agora_page_cache") if app is not None else None
    if store is None:
        return
    try:
        if dirty:
            store.bump()
        if search:
            store.bump(search=True)
    except Exception:
        # Redis away: its pages are out of reach too, and those kept live at most PAGE_CACHE_TTL.
        app.logger.exception("invalidating the page cache failed")


def _listen() -> None:
    """Once per process, for every session (the app's and those of CLI commands and tests): the work of a commit
    is only known at flush time, and the bump must follow the commit, whichever edge committed. A rollback keeps
    the mark: a savepoint rolled back inside a transaction that still commits other work must not lose it, and a
    needless bump costs one render per page, never a stale page."""
    for name, listener in (
        ("after_flush", _note_flush),
        ("do_orm_execute", _note_statement),
        ("after_commit", _bump_after_commit),
    ):
        if not event.contains(Session, name, listener):
            event.listen(Session, name, listener)


def register_page_cache(app: Flask) -> None:
    """PAGE_CACHE=false leaves every page rendered afresh (and no validators sent)."""
    if not app.config.get("PAGE_CACHE"):
        return
    app.extensions["agora_page_cache"] = make_store(app.config, app.instance_path)
    _listen()
    # After the edge's checks, the API's authentication and the rate limiter, which must still see every request.
    app.before_request(serve_kept_page)
    app.after_request(keep_page)
    # The common case, a visitor without cookies whose page is kept, is answered before Flask's request cycle.
    from app.web.early_hits import EarlyHits

    app.wsgi_app = EarlyHits(app, app.wsgi_app)  # type: ignore[method-assign]

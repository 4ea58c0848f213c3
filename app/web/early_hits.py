"""Page cache hits answered before Flask: a visitor without cookies asking for a page the cache holds.

Most of a public community's traffic is visitors arriving from a search engine, with no cookie at all. For them
the page cache (app/web/page_cache.py) already holds the page, yet a hit answered inside Flask still paid the whole
request cycle around it: the request context, the rate limiter's check, the session, the after-request hooks. This
WSGI layer answers such a hit itself, with exactly what the hit inside Flask would send (the same key, generation
check, validators, security headers, request id, metrics and log line), and hands every other request to Flask
unchanged. It only ever serves a page that Flask kept under the current generation, so invalidation is the page
cache's own. The cached pages have no rate limits of their own (only their POSTs do), so skipping the limiter
changes no limit.

Anything unusual goes to Flask, which decides as before: a session or remember-me cookie, an Authorization header,
a URL that redirects or does not match, an argument the pages don't read, a control character, a miss."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from typing import Any

from flask import Flask
from werkzeug.exceptions import HTTPException
from werkzeug.routing import RequestRedirect
from werkzeug.wrappers import Request, Response

from app.errors import CONTROL_CHARACTERS
from app.ops.observe import PAGE_CACHE_HITS, incoming_request_id, record_request
from app.web.headers import security_headers
from app.web.locale import browser_locale
from app.web.page_cache import SEARCH_ENDPOINTS, Page, Store, kept_response, page_key, reads_only_known_args

WsgiApp = Callable[[dict[str, Any], Callable], Iterable[bytes]]


class EarlyHits:
    def __init__(self, app: Flask, wsgi_app: WsgiApp) -> None:
        self.app, self.wsgi_app = app, wsgi_app
        self.store: Store = app.extensions["agora_page_cache"]
        config = app.config
        self.cookies = {config["SESSION_COOKIE_NAME"], config.get("REMEMBER_COOKIE_NAME", "remember_token")}
        self.languages = list(config["LANGUAGES"])
        self.default_locale = config["BABEL_DEFAULT_LOCALE"]
        self.headers = security_headers(config)

    def __call__(self, environ: dict[str, Any], start_response: Callable) -> Iterable[bytes]:
        if environ.get("REQUEST_METHOD") in ("GET", "HEAD") and "HTTP_AUTHORIZATION" not in environ:
            started = time.perf_counter()
            try:
                answer = self._hit(Request(environ), started)
            except Exception:  # never worse than no early hit: Flask answers, and logs what went wrong
                answer = None
            if answer is not None:
                return answer(environ, start_response)
        return self.wsgi_app(environ, start_response)

    def _hit(self, incoming: Request, started: float) -> Response | None:
        if "HTTP_COOKIE" in incoming.environ and self.cookies & incoming.cookies.keys():
            return None  # perhaps a member, a flashed message or a chosen language: Flask decides
        matched = self._match(incoming)
        if matched is None:
            return None
        endpoint, view_args = matched
        locale = browser_locale(incoming, self.languages, self.default_locale)
        generation, page = self.store.lookup(page_key(locale, incoming), search=endpoint in SEARCH_ENDPOINTS)
        if page is None or page.generation != generation:
            return None  # a miss: Flask renders and keeps the page
        PAGE_CACHE_HITS.inc()
        if endpoint == "forum.question":
            self.app.extensions["agora_views"].hit(view_args["question_id"])
        response = self._answer(incoming, page)
        rid = response.headers["X-Request-ID"]
        record_request(incoming.method, incoming.path, endpoint, response.status_code, started, rid=rid)
        return response

    def _match(self, incoming: Request) -> tuple[str, dict[str, Any]] | None:
        """The endpoint and its arguments, when the URL is one of a cached page with only the arguments it reads."""
        texts = [incoming.path, *(text for pair in incoming.args.items(multi=True) for text in pair)]
        if any(CONTROL_CHARACTERS.search(text) for text in texts):
            return None  # Flask refuses it with a 400
        try:
            endpoint, view_args = self.app.create_url_adapter(incoming).match()  # type: ignore[arg-type]
        except (HTTPException, RequestRedirect):
            return None
        return (endpoint, view_args) if reads_only_known_args(endpoint, incoming.args.keys()) else None

    def _answer(self, incoming: Request, page: Page) -> Response:
        response = kept_response(page, incoming)  # what the hit inside Flask answers, 304s included
        for name, value in self.headers:  # and what Flask's after-request hooks add to it
            response.headers.setdefault(name, value)
        response.headers["X-Request-ID"] = incoming_request_id(incoming.headers.get("X-Request-ID"))
        return response

"""What an operator sees of a running server: a request id on every answer (and on error pages), request logs as
JSON lines when asked, and Prometheus metrics of request latency by endpoint.

Metrics live in one registry for the process. Under gunicorn with several workers, set PROMETHEUS_MULTIPROC_DIR to
an empty directory before the server starts: prometheus-client then keeps each worker's values in files there and
/metrics adds them up (see docs/operations.md)."""

from __future__ import annotations

import json
import logging
import re
import time
import uuid
from datetime import UTC, datetime

from flask import Flask, Response, g, has_request_context, request
from flask_login import current_user
from prometheus_client import CollectorRegistry, Counter, Histogram

log = logging.getLogger("agora.requests")

REGISTRY = CollectorRegistry(auto_describe=True)
REQUEST_SECONDS = Histogram(
    "agora_request_seconds",
    "Time to answer a request, by endpoint.",
    ["endpoint", "method"],
    buckets=(0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0),
    registry=REGISTRY,
)
RESPONSES = Counter(
    "agora_responses",
    "Answers sent, by endpoint and status code.",
    ["endpoint", "status"],
    registry=REGISTRY,
)
PAGE_CACHE_HITS = Counter("agora_page_cache_hits", "Visitor pages served from the page cache.", registry=REGISTRY)
PAGE_CACHE_MISSES = Counter(
    "agora_page_cache_misses",
    "Visitor pages the page cache could serve but did not hold (rendered, then kept).",
    registry=REGISTRY,
)
FRAGMENT_CACHE_LOOKUPS = Counter(
    "agora_fragment_cache_lookups",
    "Answers the question page looked up in this process's rendered-answer cache, by result (hit or miss).",
    ["result"],
    registry=REGISTRY,
)

# A request id from the load balancer is kept when it looks like one; anything else is replaced.
INCOMING_ID = re.compile(r"^[A-Za-z0-9._-]{8,64}$")


def request_id() -> str:
    """This request's id (made on first use), for logs, the X-Request-ID header and error pages."""
    if not has_request_context():
        return ""
    if "request_id" not in g:
        g.request_id = incoming_request_id(request.headers.get("X-Request-ID"))
    return g.request_id


def _endpoint() -> str:
    # The route's name, never the path: a crawler's thousand 404 paths must not make a thousand series.
    return request.url_rule.endpoint if request.url_rule is not None else "unmatched"


class RequestIdFilter(logging.Filter):
    """Adds `request_id` to every log record made while a request is handled."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not getattr(record, "request_id", None):  # a page cache hit answered before Flask names its own
            record.request_id = request_id()
        return True


class JsonLines(logging.Formatter):
    """One JSON object per log record: what log shippers (Loki, Elasticsearch, CloudWatch) read without parsing."""

    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
            "request_id": getattr(record, "request_id", "") or None,
        }
        entry.update(getattr(record, "fields", {}))
        if record.exc_info:
            entry["error"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False, default=str)


def _start() -> None:
    g.request_started = time.perf_counter()
    request_id()


def _finish(response: Response) -> Response:
    started = g.pop("request_started", None)
    response.headers["X-Request-ID"] = request_id()
    if started is None:
        return response
    signed_in = log.isEnabledFor(logging.INFO) and current_user and current_user.is_authenticated
    user = current_user.id if signed_in else None
    record_request(request.method, request.path, _endpoint(), response.status_code, started, user)
    return response


def record_request(
    method: str, path: str, endpoint: str, status: int, started: float, user_id: int | None = None, rid: str = ""
) -> None:
    """The latency histogram, the response count and (LOG_REQUESTS) the log line of one answered request."""
    seconds = time.perf_counter() - started
    REQUEST_SECONDS.labels(endpoint, method).observe(seconds)
    RESPONSES.labels(endpoint, str(status)).inc()
    if log.isEnabledFor(logging.INFO):
        fields = {
            "method": method,
            "path": path,
            "endpoint": endpoint,
            "status": status,
            "duration_ms": round(seconds * 1000, 2),
            "user_id": user_id,
        }
        extra: dict = {"fields": fields}
        if rid:
            extra["request_id"] = rid
        log.info("%s %s %s", method, path, status, extra=extra)


def incoming_request_id(header: str | None) -> str:
    """The load balancer's request id when it looks like one, else a new one."""
    incoming = header or ""
    return incoming if INCOMING_ID.match(incoming) else uuid.uuid4().hex[:16]


def configure_logging(app: Flask) -> None:
    """LOG_FORMAT=json: the app's records and one line per request as JSON on standard error; LOG_REQUESTS=false
    keeps the per-request lines out."""
    ids = RequestIdFilter()
    for logger in (app.logger, log):
        if not any(isinstance(existing, RequestIdFilter) for existing in logger.filters):
            logger.addFilter(ids)
    log.setLevel(logging.INFO if app.config.get("LOG_REQUESTS") else logging.WARNING)
    if app.config.get("LOG_FORMAT") != "json":
        return
    handler = logging.StreamHandler()
    handler.setFormatter(JsonLines())
    handler.addFilter(ids)
    for logger in (app.logger, log):
        logger.handlers = [handler]
        logger.propagate = False


def register_observability(app: Flask) -> None:
    configure_logging(app)
    # First in, last out: the timer starts before every other hook and stops after them.
    app.before_request_funcs.setdefault(None, []).insert(0, _start)
    app.after_request_funcs.setdefault(None, []).insert(0, _finish)
    app.jinja_env.globals["request_id"] = request_id

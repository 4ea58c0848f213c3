"""For the load balancer and the monitoring: /healthz (the process answers), /readyz (what it needs answers too)
and /metrics (Prometheus), which production shows only to the addresses or the token configured for it."""

from __future__ import annotations

import hmac
import ipaddress
import os
import time
from datetime import datetime

from flask import Blueprint, Response, abort, current_app, jsonify, request
from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.multiprocess import MultiProcessCollector
from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from app.auth.access import access
from app.db import db, utcnow
from app.jobs.queue import RedisQueue
from app.jobs.queue import backend as jobs_backend
from app.notifications.models import EmailMessage
from app.ops.observe import REGISTRY
from app.search.backend import MISSING, READY, UNREADABLE
from app.search.models import SearchOutbox

bp = Blueprint("ops", __name__)

# Search states in which this server should not take traffic (a rebuild in progress is not one of them).
NOT_READY = (MISSING, UNREADABLE)


@bp.get("/healthz")
@access("visitor")
def healthz():
    """The process is up and answering; nothing else is checked (a restart is the only cure for a 'no')."""
    return Response("ok\n", mimetype="text/plain")


def _database() -> str:
    try:
        with db.scope(write=False) as session:
            session.execute(text("SELECT 1"))
        return "ok"
    except Exception as error:  # any failure means "not ready", and the log says why
        current_app.logger.warning("readyz: database unreachable: %s", error)
        return "unreachable"


def _search() -> str:
    backend = current_app.extensions["agora_search"]
    try:
        if backend.rebuilding():
            return "rebuilding"
        return backend.state()
    except Exception as error:
        current_app.logger.warning("readyz: search index unreadable: %s", error)
        return UNREADABLE


def _jobs() -> str:
    """Background work runs in this process after each commit ("in-process") unless a Redis queue is configured."""
    return jobs_backend().check()


@bp.get("/readyz")
@access("visitor")
def readyz():
    """Ready to take traffic: the database answers, the search index is readable (a rebuild in progress is fine:
    pages work and search says it is being rebuilt), and the job queue answers when there is one."""
    checks = {"database": _database(), "search": _search(), "jobs": _jobs()}
    ready = checks["database"] == "ok" and checks["search"] not in NOT_READY and checks["jobs"] != "unreachable"
    return jsonify(status="ready" if ready else "not ready", checks=checks), 200 if ready else 503


def _allowed(remote: str | None) -> bool:
    """Loopback and the networks in METRICS_ALLOWED_NETWORKS, or a request carrying METRICS_TOKEN."""
    token = current_app.config.get("METRICS_TOKEN") or ""
    offered = request.headers.get("Authorization", "")
    if token and hmac.compare_digest(offered.encode(), f"Bearer {token}".encode()):
        return True
    try:
        address = ipaddress.ip_address(remote or "")
    except ValueError:
        return False
    networks = [item.strip() for item in current_app.config.get("METRICS_ALLOWED_NETWORKS", "").split(",")]
    return any(address in ipaddress.ip_network(network, strict=False) for network in networks if network)


def _age_seconds(oldest: datetime | None, now: datetime) -> float:
    return max((now - oldest).total_seconds(), 0.0) if oldest else 0.0


def _outbox_metrics(session: Session) -> list[GaugeMetricFamily]:
    """Work waiting in the database outboxes, read at scrape time: how much, and how long the oldest has waited."""
    now = utcnow()
    pending = GaugeMetricFamily("agora_outbox_pending", "Rows waiting in an outbox.", labels=["outbox"])
    lag = GaugeMetricFamily("agora_outbox_lag_seconds", "Age of the oldest waiting row.", labels=["outbox"])
    failed = GaugeMetricFamily("agora_jobs_failed", "Work that failed and waits for a person.", labels=["kind"])
    search_count, search_oldest = session.execute(select(func.count(), func.min(SearchOutbox.created_at))).one()
    mail_count, mail_oldest = session.execute(
        # Waiting to go out: new mail, and mail a temporary failure (server away, 4xx) put back for a later try.
        select(func.count(), func.min(EmailMessage.created_at)).where(EmailMessage.status.in_(("pending", "retrying")))
    ).one()
    mail_failed = session.scalar(select(func.count()).where(EmailMessage.status == "failed"))
    pending.add_metric(["search"], search_count or 0)
    pending.add_metric(["mail"], mail_count or 0)
    lag.add_metric(["search"], _age_seconds(search_oldest, now))
    lag.add_metric(["mail"], _age_seconds(mail_oldest, now))
    failed.add_metric(["mail"], mail_failed or 0)
    return [pending, lag, failed]


def _queue_metrics() -> list[GaugeMetricFamily]:
    """The job queues when there are any (REDIS_URL): jobs waiting, the oldest one's age, and failed jobs."""
    queue = jobs_backend()
    if not isinstance(queue, RedisQueue) or queue.check() != "ok":
        return []
    from app.jobs import status

    by_queue = ["queue"]
    depth = GaugeMetricFamily("agora_job_queue_depth", "Jobs waiting in a queue.", labels=by_queue)
    oldest = GaugeMetricFamily("agora_job_queue_oldest_seconds", "Age of the oldest waiting job.", labels=by_queue)
    retrying = GaugeMetricFamily("agora_job_queue_retrying", "Failed jobs waiting for a retry.", labels=by_queue)
    failed = GaugeMetricFamily("agora_job_queue_failed", "Jobs that failed for good.", labels=by_queue)
    workers = GaugeMetricFamily(
        "agora_job_workers", "Job workers alive: with REDIS_URL set and none, mail and search wait (alert on 0)."
    )
    read = status.read(queue, failures=0)
    workers.add_metric([], read.workers)
    for row in read.queues:
        depth.add_metric([row.name], row.waiting)
        oldest.add_metric([row.name], row.oldest_seconds or 0.0)
        retrying.add_metric([row.name], row.scheduled)
        failed.add_metric([row.name], row.failed)
    return [depth, oldest, retrying, failed, workers]


class _Snapshot:
    """A one-off collector holding metric families read at scrape time."""

    def __init__(self, families: list[GaugeMetricFamily]) -> None:
        self.families = families

    def collect(self):
        return iter(self.families)


@bp.get("/metrics")
@access("visitor")
def metrics():
    """Prometheus text format. Not found for anyone else: whether a server exposes metrics is not public."""
    # Behind TRUSTED_PROXIES, the visitor's address comes from X-Forwarded-For, which anyone who reaches gunicorn
    # directly can write: the connection's own peer must be allowed too (a scraper on an allowed network, or a
    # balancer on this host passing on an allowed address).
    peer = request.environ.get("werkzeug.proxy_fix.orig", {}).get("REMOTE_ADDR", request.remote_addr)
    if not (_allowed(request.remote_addr) and _allowed(peer)):
        abort(404)
    started = time.perf_counter()
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        requests = CollectorRegistry()
        MultiProcessCollector(requests)
        body = generate_latest(requests)
    else:
        body = generate_latest(REGISTRY)
    scraped = CollectorRegistry()
    with db.scope(write=False) as session:
        families = _outbox_metrics(session)
    search = GaugeMetricFamily("agora_search_ready", "1 when the search index serves searches.")
    search.add_metric([], 1 if _search() == READY else 0)
    duration = GaugeMetricFamily("agora_scrape_seconds", "Time this scrape took to read the database.")
    duration.add_metric([], time.perf_counter() - started)
    scraped.register(_Snapshot([*families, *_queue_metrics(), search, duration]))
    return Response(body + generate_latest(scraped), mimetype="text/plain; version=0.0.4; charset=utf-8")

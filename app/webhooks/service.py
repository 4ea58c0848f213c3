"""Registering endpoints, recording events as deliveries in the same transaction as the change they describe, and
delivering them: signed, retried with growing delays for a day, and never to an address inside our own network
unless an admin allows it."""

from __future__ import annotations

import hashlib
import hmac
import http.client
import ipaddress
import json
import logging
import secrets
import socket
import ssl
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

from flask_babel import lazy_gettext as _
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from app.accounts.models import User
from app.auth.roles import Role
from app.db import utcnow
from app.errors import NotFound, ValidationFailed
from app.webhooks.models import URL_MAX, WebhookDelivery, WebhookEndpoint

log = logging.getLogger(__name__)

EVENTS = {
    "case.opened": _("A private case was opened"),
    "case.message": _("The customer wrote on a case"),
    "case.status": _("A case changed status"),
    "question.unanswered": _("A question is still unanswered"),
    "question.solved": _("A question was solved"),
}
RETRY_FOR = timedelta(days=1)
FIRST_RETRY, LONGEST_RETRY = timedelta(seconds=30), timedelta(hours=6)
TIMEOUT = 10.0
# A delivery being sent is not due for anyone else meanwhile: several app servers (or workers) deliver at once.
LEASE = timedelta(minutes=5)
RESPONSE_KEPT = 300


# --- endpoints ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class EndpointDraft:
    url: str
    events: tuple[str, ...]
    staff: bool = False
    secret: str = ""

    def validate(self) -> None:
        parts = urlsplit(self.url.strip())
        if parts.scheme not in ("http", "https") or not parts.hostname or len(self.url) > URL_MAX:
            raise ValidationFailed(_("Give an http:// or https:// address."), "url")
        if parts.username or parts.password:
            raise ValidationFailed(_("Put no user name or password in the address; the secret signs each call."), "url")
        if not self.events or any(event not in EVENTS for event in self.events):
            raise ValidationFailed(_("Choose at least one event."), "events")
        if self.secret and not 16 <= len(self.secret) <= 128:
            raise ValidationFailed(_("A secret has 16 to 128 characters (or leave it empty for a new one)."), "secret")


def register(session: Session, admin: User, draft: EndpointDraft) -> WebhookEndpoint:
    draft.validate()
    endpoint = WebhookEndpoint(
        url=draft.url.strip(),
        secret=draft.secret or secrets.token_urlsafe(32),
        events=" ".join(event for event in EVENTS if event in draft.events),
        staff=draft.staff,
        active=True,
        created_by_id=admin.id,
    )
    session.add(endpoint)
    session.flush()
    _audit(session, admin, "webhook_added", endpoint, {"name": endpoint.url, "events": endpoint.events})
    return endpoint


def get_endpoint(session: Session, endpoint_id: int) -> WebhookEndpoint:
    endpoint = session.get(WebhookEndpoint, endpoint_id)
    if endpoint is None:
        raise NotFound(_("There is no such webhook."))
    return endpoint


def endpoints(session: Session) -> list[WebhookEndpoint]:
    return list(session.scalars(select(WebhookEndpoint).order_by(WebhookEndpoint.id)))


def set_active(session: Session, admin: User, endpoint_id: int, active: bool) -> WebhookEndpoint:
    endpoint = get_endpoint(session, endpoint_id)
    endpoint.active, endpoint.failures = active, 0
    endpoint.disabled_at = None if active else utcnow()
    _audit(session, admin, "webhook_enabled" if active else "webhook_disabled", endpoint, {"name": endpoint.url})
    return endpoint


def remove(session: Session, admin: User, endpoint_id: int) -> None:
    endpoint = get_endpoint(session, endpoint_id)
    _audit(session, admin, "webhook_removed", endpoint, {"name": endpoint.url})
    session.delete(endpoint)


def deliveries(session: Session, endpoint: WebhookEndpoint, limit: int = 50) -> list[WebhookDelivery]:
    return list(
        session.scalars(
            select(WebhookDelivery)
            .where(WebhookDelivery.endpoint_id == endpoint.id)
            .order_by(WebhookDelivery.id.desc())
            .limit(limit)
        )
    )


def redeliver(session: Session, admin: User, endpoint_id: int, delivery_id: int) -> WebhookDelivery:
    """Send a delivery again from now, whatever became of it (a receiver that lost it asks for it again)."""
    delivery = session.get(WebhookDelivery, delivery_id)
    if delivery is None or delivery.endpoint_id != endpoint_id:
        raise NotFound(_("There is no such delivery."))
    again = WebhookDelivery(
        endpoint_id=endpoint_id, event=delivery.event, subject=delivery.subject, payload=delivery.payload
    )
    session.add(again)
    session.info["webhooks_dirty"] = True
    session.flush()
    return again


def _audit(session: Session, admin: User, action: str, endpoint: WebhookEndpoint, details: dict) -> None:
    from app.moderation.service.auditing import audit

    audit(session, admin, action, "webhook", endpoint.id, "", after=details)


# --- events ------------------------------------------------------------------------------------------


def emit(
    session: Session,
    event: str,
    subject: str,
    public: dict[str, Any],
    private: dict[str, Any] | None = None,
    once: bool = False,
) -> int:
    """Record `event` for every active endpoint that wants it, in the caller's transaction (so an event is sent
    exactly when the change it describes is committed). Staff endpoints also get `private` (case content).
    With `once`, an endpoint that already has this event for this subject gets nothing new."""
    if event not in EVENTS:
        raise ValueError(f"unknown webhook event {event!r}")
    wanted = [
        e
        for e in session.scalars(select(WebhookEndpoint).where(WebhookEndpoint.active.is_(True)))
        if event in e.event_set
    ]
    made = 0
    for endpoint in wanted:
        if once and session.scalar(
            select(WebhookDelivery.id)
            .where(
                WebhookDelivery.endpoint_id == endpoint.id,
                WebhookDelivery.event == event,
                WebhookDelivery.subject == subject,
            )
            .limit(1)
        ):
            continue
        data = {**public, **(private or {})} if endpoint.staff else dict(public)
        body = {"event": event, "sent_for": subject, "occurred_at": utcnow().isoformat(), "data": data}
        session.add(
            WebhookDelivery(
                endpoint_id=endpoint.id,
                event=event,
                subject=subject,
                payload=json.dumps(body, ensure_ascii=False, separators=(",", ":"), default=str),
            )
        )
        made += 1
    if made:
        session.info["webhooks_dirty"] = True
    return made


def questions_waiting(session: Session, hours: int, now: datetime | None = None) -> int:
    """question.unanswered for public questions without an answer for `hours` (once per question); for cron."""
    from app.auth.visibility import public_questions
    from app.forum.models import Question

    now = now or utcnow()
    since = now - timedelta(hours=hours)
    waiting = session.scalars(
        select(Question)
        .where(
            public_questions(),
            Question.answer_count == 0,
            Question.created_at <= since,
            Question.created_at > since - timedelta(days=7),
        )
        .order_by(Question.id)
        .limit(500)
    )
    made = 0
    for question in waiting:
        made += emit(session, "question.unanswered", f"question:{question.id}", question_payload(question), once=True)
    return made


def question_payload(question: Any) -> dict[str, Any]:
    from app.notifications.links import signer

    return {
        "question": {
            "id": question.id,
            "title": question.title,
            "url": f"{signer().base_url}/questions/{question.id}/{question.slug}",
            "created_at": question.created_at.isoformat(),
            "answer_count": question.answer_count,
            "is_solved": question.is_solved,
        }
    }


def customer_payload(user: Any) -> dict[str, Any]:
    """Who the customer is: for help-desk endpoints only (it goes into `private`)."""
    return {"username": user.username, "name": user.name, "email": user.email}


def case_payload(case: Any) -> dict[str, Any]:
    """What any endpoint may know of a case: that it exists, its state and its question."""
    return {
        "case": {
            "id": case.id,
            "question_id": case.question_id,
            "category": case.category,
            "priority": case.priority,
            "status": case.status,
            "opened_at": case.opened_at.isoformat() if case.opened_at else None,
            "due_at": case.due_at.isoformat() if case.due_at else None,
        }
    }


# --- delivery ----------------------------------------------------------------------------------------


class Refused(Exception):
    """The endpoint's address may not be called (a private, loopback or link-local address)."""


def sign(secret: str, timestamp: str, body: bytes) -> str:
    """X-Agora-Signature: HMAC-SHA256 over "<timestamp>.<body>", hex, prefixed with the scheme."""
    digest = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()
    return f"sha256={digest}"


def _vetted_address(host: str, port: int, allow_private: bool) -> tuple[str, int]:
    """Resolve `host` now (not when the endpoint was registered: DNS can change) and refuse our own networks."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except socket.gaierror as error:
        raise OSError(f"cannot resolve {host}: {error}") from None
    for _family, _type, _proto, _name, sockaddr in infos:
        address = ipaddress.ip_address(sockaddr[0])
        inside = (
            address.is_private
            or address.is_loopback
            or address.is_link_local
            or address.is_reserved
            or address.is_multicast
            or address.is_unspecified
        )
        if inside and not allow_private:
            raise Refused(f"{host} resolves to {address}, inside a private network")
    return infos[0][4][0], port


class _PinnedHTTPS(http.client.HTTPSConnection):
    """HTTPS to the vetted address, with the certificate checked for the endpoint's host name."""

    def __init__(self, host: str, address: str, port: int, timeout: float) -> None:
        super().__init__(host, port, timeout=timeout, context=ssl.create_default_context())
        self._address = address

    def connect(self) -> None:
        sock = socket.create_connection((self._address, self.port), self.timeout)
        self.sock = self._context.wrap_socket(sock, server_hostname=self.host)


class _PinnedHTTP(http.client.HTTPConnection):
    def __init__(self, host: str, address: str, port: int, timeout: float) -> None:
        super().__init__(host, port, timeout=timeout)
        self._address = address

    def connect(self) -> None:
        self.sock = socket.create_connection((self._address, self.port), self.timeout)


@dataclass(frozen=True)
class Outcome:
    status: int | None
    ms: int
    error: str | None

    @property
    def ok(self) -> bool:
        return self.status is not None and 200 <= self.status < 300


def post(
    endpoint: WebhookEndpoint, delivery: WebhookDelivery, allow_private: bool, timeout: float = TIMEOUT
) -> Outcome:
    parts = urlsplit(endpoint.url)
    secure = parts.scheme == "https"
    port = parts.port or (443 if secure else 80)
    body = delivery.payload.encode()
    timestamp = str(int(time.time()))
    started = time.perf_counter()
    try:
        address, port = _vetted_address(parts.hostname or "", port, allow_private)
        connection = (_PinnedHTTPS if secure else _PinnedHTTP)(parts.hostname or "", address, port, timeout)
        path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        try:
            connection.request(
                "POST",
                path,
                body=body,
                headers={
                    "Content-Type": "application/json",
                    "User-Agent": "Agora-Webhooks/1",
                    "X-Agora-Event": delivery.event,
                    "X-Agora-Delivery": str(delivery.id),
                    "X-Agora-Timestamp": timestamp,
                    "X-Agora-Signature": sign(endpoint.secret, timestamp, body),
                },
            )
            response = connection.getresponse()
            response.read(64 * 1024)
            return Outcome(response.status, _ms(started), None if 200 <= response.status < 300 else response.reason)
        finally:
            connection.close()
    except Refused as refusal:
        return Outcome(None, _ms(started), str(refusal)[:RESPONSE_KEPT])
    except (OSError, http.client.HTTPException) as error:
        return Outcome(None, _ms(started), f"{type(error).__name__}: {error}"[:RESPONSE_KEPT])


def _ms(started: float) -> int:
    return int((time.perf_counter() - started) * 1000)


def retry_delay(attempts: int) -> timedelta:
    """30 s after the first failure, then four times longer each time, at most six hours apart."""
    return min(FIRST_RETRY * (4 ** max(attempts - 1, 0)), LONGEST_RETRY)


def deliver_due(session: Session, config: dict, now: datetime | None = None, limit: int = 100) -> int:
    """Send every delivery that is due, committing each outcome; returns how many were delivered."""
    now = now or utcnow()
    allow_private = bool(config.get("WEBHOOK_ALLOW_PRIVATE"))
    disable_after = int(config.get("WEBHOOK_DISABLE_AFTER", 15))
    timeout = float(config.get("WEBHOOK_TIMEOUT", TIMEOUT))
    due = list(
        session.scalars(
            select(WebhookDelivery)
            .where(WebhookDelivery.status == "pending", WebhookDelivery.next_attempt_at <= now)
            .order_by(WebhookDelivery.next_attempt_at, WebhookDelivery.id)
            .limit(limit)
        )
    )
    session.commit()  # end the read before the first (slow) call goes out
    delivered = 0
    for delivery in due:
        endpoint = session.get(WebhookEndpoint, delivery.endpoint_id)
        if endpoint is None or not endpoint.active or not _claim(session, delivery.id, now):
            continue
        outcome = post(endpoint, delivery, allow_private, timeout)
        delivery.attempts += 1
        delivery.last_status, delivery.last_ms, delivery.last_error = outcome.status, outcome.ms, outcome.error
        if outcome.ok:
            delivery.status, delivery.delivered_at = "delivered", utcnow()
            endpoint.failures = 0
            delivered += 1
        else:
            endpoint.failures += 1
            later = utcnow() + retry_delay(delivery.attempts)
            if later - delivery.created_at > RETRY_FOR:
                delivery.status = "failed"
            else:
                delivery.next_attempt_at = later
            if endpoint.failures >= disable_after and endpoint.active:
                _switch_off(session, endpoint)
        session.commit()
    return delivered


def _claim(session: Session, delivery_id: int, now: datetime) -> bool:
    """Lease one due delivery to this deliverer (committed, so the call holds no lock): a server that read it as due
    too finds it no longer due and skips it, so a help desk gets each event once. A crash mid-call leaves it due
    again when the lease ends."""
    claimed = session.execute(
        update(WebhookDelivery)
        .where(
            WebhookDelivery.id == delivery_id,
            WebhookDelivery.status == "pending",
            WebhookDelivery.next_attempt_at <= now,
        )
        # The lease runs from the claim, not from the batch's start: a batch slower than LEASE must not claim a row
        # with its lease already over, which another deliverer would take and send again.
        .values(next_attempt_at=max(now, utcnow()) + LEASE)
        .execution_options(synchronize_session=False)
    ).rowcount
    if claimed:
        session.refresh(session.get(WebhookDelivery, delivery_id))  # its attempts as the last deliverer left them
    session.commit()  # no transaction stays open (on SQLite: no write lock) while the help desk's server answers
    return bool(claimed)


def _switch_off(session: Session, endpoint: WebhookEndpoint) -> None:
    """Too many failures in a row: stop calling, and tell the admins (who switch it on again when it is fixed)."""
    from app.notifications import service as notifications

    endpoint.active, endpoint.disabled_at = False, utcnow()
    admins = session.scalars(select(User.id).where(User.role == Role.ADMIN.value))
    for admin_id in admins:
        notifications.notify(
            session,
            admin_id,
            "webhook_disabled",
            {"url": endpoint.url[:80], "count": endpoint.failures},
            f"/admin/webhooks/{endpoint.id}",
        )
    log.warning("webhook %s switched off after %s failures", endpoint.url, endpoint.failures)


def counts(session: Session) -> dict[str, int]:
    rows = session.execute(select(WebhookDelivery.status, func.count()).group_by(WebhookDelivery.status))
    return {status: count for status, count in rows}

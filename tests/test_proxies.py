"""Behind a load balancer (TRUSTED_PROXIES): the visitor's address comes from X-Forwarded-For, so each visitor keeps
a rate-limit count of their own and /metrics stays closed to the outside; with no proxy trusted, the header is
ignored, since anyone can write it."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask

from app.db import db
from tests.conftest import Client, make_app

BALANCER = {"REMOTE_ADDR": "127.0.0.1"}  # the load balancer on the same host: every request comes from it


def _app(tmp_path: Path, postgres_schema: str | None, proxies: int) -> Flask:
    app = make_app(
        tmp_path, postgres_schema, TRUSTED_PROXIES=proxies, RATELIMIT_ENABLED=True, LOGIN_RATE_LIMIT="2 per minute"
    )
    app.test_client_class = Client
    return app


@pytest.fixture
def behind_balancer(tmp_path: Path, postgres_schema: str | None) -> Iterator[Flask]:
    app = _app(tmp_path, postgres_schema, 1)
    yield app
    with app.app_context():
        db.engine.dispose()


@pytest.fixture
def direct(tmp_path: Path, postgres_schema: str | None) -> Iterator[Flask]:
    app = _app(tmp_path, postgres_schema, 0)
    yield app
    with app.app_context():
        db.engine.dispose()


def _attempt(client: Client, visitor: str, login: str) -> int:
    response = client.form_post(
        "/login",
        {"login": login, "password": "not the password"},
        headers={"X-Forwarded-For": visitor},
        environ_base=BALANCER,
    )
    return response.status_code


def test_behind_a_balancer_each_visitor_has_a_count_of_their_own(behind_balancer):
    client = behind_balancer.test_client()
    login = f"nobody-{uuid.uuid4().hex[:8]}"
    assert [_attempt(client, "198.51.100.7", login) for _ in range(3)] == [422, 422, 429]
    # Another visitor through the same balancer is not refused for the first one's attempts.
    assert _attempt(client, "198.51.100.8", login) == 422


def test_without_a_trusted_proxy_the_header_changes_nothing(direct):
    client = direct.test_client()
    login = f"nobody-{uuid.uuid4().hex[:8]}"
    assert [_attempt(client, "198.51.100.7", login) for _ in range(2)] == [422, 422]
    assert _attempt(client, "198.51.100.8", login) == 429  # one address (127.0.0.1), one count


def test_metrics_stay_closed_to_a_visitor_who_comes_through_the_balancer(behind_balancer, direct):
    through = behind_balancer.test_client()
    assert through.get("/metrics", headers={"X-Forwarded-For": "203.0.113.9"}, environ_base=BALANCER).status_code == 404
    assert through.get("/metrics", environ_base=BALANCER).status_code == 200  # the monitoring, on the host itself
    # Reaching the app directly, a visitor cannot claim to be local by writing the header.
    outside = {"REMOTE_ADDR": "203.0.113.9"}
    spoofed = direct.test_client().get("/metrics", headers={"X-Forwarded-For": "127.0.0.1"}, environ_base=outside)
    assert spoofed.status_code == 404


def test_metrics_stay_closed_to_a_visitor_who_reaches_a_server_behind_a_balancer_directly(behind_balancer):
    """Prometheus scrapes each server directly, so gunicorn's port is reachable past the balancer: there a visitor
    could write X-Forwarded-For: 127.0.0.1 himself, and the trusted header would make him local."""
    outside = {"REMOTE_ADDR": "203.0.113.9"}
    client = behind_balancer.test_client()
    assert client.get("/metrics", headers={"X-Forwarded-For": "127.0.0.1"}, environ_base=outside).status_code == 404
    assert client.get("/metrics", environ_base={"REMOTE_ADDR": "127.0.0.1"}).status_code == 200

"""Operating a server: liveness and readiness for a load balancer, Prometheus metrics for the monitoring (and for
nobody else), request ids that an error page shows, and request logs as JSON lines."""

from __future__ import annotations

import json
import logging
import shutil
from pathlib import Path

import pytest
from sqlalchemy import select

from app.db import db
from app.notifications.models import EmailMessage
from app.search.models import SearchOutbox
from tests.conftest import POSTGRES_URL, make_app
from tests.factories import make_board, make_question, make_user

OUTSIDE = {"REMOTE_ADDR": "203.0.113.9"}


@pytest.fixture
def json_logs():
    """LOG_FORMAT=json reconfigures the process's loggers: put them back for the tests that follow."""
    loggers = [logging.getLogger("app"), logging.getLogger("agora.requests")]
    saved = [(logger.handlers[:], logger.propagate, logger.level) for logger in loggers]
    yield
    for logger, (handlers, propagate, level) in zip(loggers, saved, strict=True):
        logger.handlers, logger.propagate = handlers, propagate
        logger.setLevel(level)


def test_healthz_answers_without_touching_the_database(app, client, monkeypatch):
    def no_database(*_args, **_kwargs):
        raise AssertionError("healthz must not open a database session")

    monkeypatch.setattr(db, "new_session", no_database)
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_data(as_text=True) == "ok\n"


def test_readyz_reports_each_dependency(client):
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.json == {"status": "ready", "checks": {"database": "ok", "search": "ready", "jobs": "in-process"}}


@pytest.mark.skipif(bool(POSTGRES_URL), reason="the Whoosh index on disk; PostgreSQL search lives in the database")
def test_readyz_is_not_ready_when_the_search_index_is_gone(app, client):
    shutil.rmtree(app.config["SEARCH_INDEX_DIR"])
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json["status"] == "not ready"
    assert response.json["checks"]["search"] == "index missing"


def test_readyz_is_not_ready_when_the_database_is_unreachable(tmp_path: Path):
    app = make_app(tmp_path, None)
    app.config["DATABASE_URL"] = "unused"
    with app.app_context():
        # An engine pointing at a directory: SQLite cannot open it, as a server cannot reach a stopped database.
        from app.db import make_engine

        bound = app.extensions["agora_db"]
        broken = make_engine(f"sqlite:///{tmp_path}")
        bound.reader.configure(bind=broken)
        bound.writer.configure(bind=broken)
    response = app.test_client().get("/readyz")
    assert response.status_code == 503
    assert response.json["checks"]["database"] == "unreachable"


def test_readyz_checks_the_job_queue_when_one_is_configured(tmp_path: Path):
    app = make_app(tmp_path, None, REDIS_URL="redis://127.0.0.1:1/0")  # nothing listens on port 1
    response = app.test_client().get("/readyz")
    assert response.status_code == 503
    assert response.json["checks"]["jobs"] == "unreachable"


def test_metrics_count_requests_by_endpoint_and_status(client):
    client.get("/")
    client.get("/no-such-page-at-all")
    body = client.get("/metrics").get_data(as_text=True)
    assert 'agora_request_seconds_bucket{endpoint="forum.index",le="0.002",method="GET"}' in body
    assert 'agora_responses_total{endpoint="forum.index",status="200"}' in body
    # Unknown paths share one series, however many a crawler tries.
    assert 'agora_responses_total{endpoint="unmatched",status="404"}' in body
    assert "no-such-page" not in body


def test_metrics_show_what_waits_in_the_outboxes(app, client, session):
    author = make_user(session, "asker")
    make_question(session, author, make_board(session, "laptops"), title="Screen flickers after the update")
    session.add(EmailMessage(user_id=author.id, to_address="a@example.com", subject="s", body="b", kind="x"))
    session.add(
        EmailMessage(user_id=author.id, to_address="a@example.com", subject="s", body="b", kind="x", status="failed")
    )
    # Put back after a temporary failure (the mail server was away): still waiting to go out.
    session.add(
        EmailMessage(user_id=author.id, to_address="a@example.com", subject="s", body="b", kind="x", status="retrying")
    )
    session.commit()
    waiting = session.scalar(select(SearchOutbox.id).limit(1))
    body = client.get("/metrics").get_data(as_text=True)
    expected_search = 1 if waiting else 0
    assert f'agora_outbox_pending{{outbox="search"}} {float(expected_search)}' in body
    assert 'agora_outbox_pending{outbox="mail"} 2.0' in body
    assert 'agora_jobs_failed{kind="mail"} 1.0' in body
    assert "agora_outbox_lag_seconds" in body
    assert "agora_search_ready 1.0" in body


def test_metrics_are_not_found_from_outside_without_the_token(tmp_path: Path):
    app = make_app(tmp_path, None, METRICS_TOKEN="s3cret-metrics-token")
    client = app.test_client()
    assert client.get("/metrics", environ_base=OUTSIDE).status_code == 404
    wrong = {"Authorization": "Bearer guess"}
    assert client.get("/metrics", environ_base=OUTSIDE, headers=wrong).status_code == 404
    right = {"Authorization": "Bearer s3cret-metrics-token"}
    assert client.get("/metrics", environ_base=OUTSIDE, headers=right).status_code == 200


def test_metrics_allow_the_configured_networks(tmp_path: Path):
    app = make_app(tmp_path, None, METRICS_ALLOWED_NETWORKS="10.0.0.0/8")
    client = app.test_client()
    assert client.get("/metrics", environ_base={"REMOTE_ADDR": "10.2.3.4"}).status_code == 200
    assert client.get("/metrics", environ_base={"REMOTE_ADDR": "127.0.0.1"}).status_code == 404


def test_every_answer_has_a_request_id_and_error_pages_show_it(client):
    response = client.get("/questions/999999")
    assert response.status_code == 404
    request_id = response.headers["X-Request-ID"]
    assert len(request_id) == 16
    assert request_id in response.get_data(as_text=True)
    assert client.get("/").headers["X-Request-ID"] != request_id


def test_a_load_balancers_request_id_is_kept_and_a_hostile_one_replaced(client):
    kept = client.get("/", headers={"X-Request-ID": "lb-4f2a9c71-aa"})
    assert kept.headers["X-Request-ID"] == "lb-4f2a9c71-aa"
    replaced = client.get("/", headers={"X-Request-ID": "<script>alert(1)</script>"})
    assert replaced.headers["X-Request-ID"] != "<script>alert(1)</script>"
    assert len(replaced.headers["X-Request-ID"]) == 16


def test_request_logs_are_json_lines_with_the_request_id(tmp_path: Path, capsys, json_logs):
    app = make_app(tmp_path, None, LOG_FORMAT="json")
    response = app.test_client().get("/healthz")
    lines = [json.loads(line) for line in capsys.readouterr().err.splitlines() if line.startswith("{")]
    entry = next(line for line in lines if line.get("endpoint") == "ops.healthz")
    assert entry["request_id"] == response.headers["X-Request-ID"]
    assert entry["status"] == 200 and entry["method"] == "GET" and entry["path"] == "/healthz"
    assert entry["duration_ms"] >= 0 and entry["level"] == "info"


def test_a_members_request_log_names_the_member_never_the_session(tmp_path: Path, capsys, json_logs):
    from tests.conftest import sign_in

    app = make_app(tmp_path, None, LOG_FORMAT="json")
    with app.app_context(), db.scope() as session:
        member = make_user(session, "logged")
        session.commit()
        client = sign_in(app.test_client(), member)
    capsys.readouterr()
    client.get("/")
    lines = [json.loads(line) for line in capsys.readouterr().err.splitlines() if line.startswith("{")]
    entry = next(line for line in lines if line.get("endpoint") == "forum.index")
    assert entry["user_id"] == member.id
    assert ":" not in json.dumps(entry["user_id"])

"""Background jobs: through a real action, a real Redis and an RQ worker run in this process (burst mode), the work
happens (mail reaches a real SMTP server, search finds the question); failing jobs are retried with growing delays
and then land among the failed; a lost queue message is made good by the periodic sweep; `flask jobs status`; and
without Redis the same actions do their work in-process after the commit.

The Redis tests need TEST_REDIS_URL (the PostgreSQL leg has it); each app gets queues of its own prefix."""

from __future__ import annotations

import shutil
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from redis import Redis
from rq import Queue
from rq.job import Job, JobStatus
from sqlalchemy import func, select

from app.accounts.models import User
from app.db import db
from app.forum.models import Question
from app.jobs import periodic, tasks
from app.jobs.queue import RedisQueue, backend
from app.jobs.worker import make_worker
from app.notifications.models import EmailMessage
from app.search.backend import READY
from app.search.models import SearchOutbox
from tests.conftest import REDIS_URL as CONFIGURED_REDIS_URL
from tests.conftest import Client, make_app, sign_in
from tests.factories import make_board, make_question, make_user
from tests.smtp_server import SmtpServer

# The PostgreSQL leg has Redis (TEST_REDIS_URL, else the conftest's default); the SQLite leg only when it is given.
REDIS_URL = CONFIGURED_REDIS_URL
BODY = "My Nimbus Book 14 gets very hot when charging. What should I check first?"
needs_redis = pytest.mark.skipif(not REDIS_URL, reason="needs Redis (TEST_REDIS_URL, the PostgreSQL leg)")


@pytest.fixture
def smtp() -> Iterator[SmtpServer]:
    server = SmtpServer().start()
    yield server
    server.stop()


def jobs_app(tmp_path, postgres_schema, smtp: SmtpServer, **settings):
    return make_app(
        tmp_path,
        postgres_schema,
        MAIL_SERVER="127.0.0.1",
        MAIL_PORT=smtp.port,
        MAIL_USE_TLS=False,
        MAIL_TIMEOUT=3,
        PUBLIC_URL="https://community.nimbus.example",
        **settings,
    )


@pytest.fixture
def redis_app(tmp_path, postgres_schema, smtp):
    prefix = f"agora-test-{uuid.uuid4().hex[:12]}"
    app = jobs_app(tmp_path, postgres_schema, smtp, REDIS_URL=REDIS_URL, JOBS_PREFIX=prefix, JOBS_RETRY_SECONDS=30)
    yield app
    connection = Redis.from_url(REDIS_URL)
    for key in connection.scan_iter(f"*{prefix}*"):
        connection.delete(key)
    with app.app_context():
        db.engine.dispose()


def work(app) -> None:
    """Run every waiting job (and move due retries back into their queue) in this process, then stop."""
    make_worker(app, simple=True).work(burst=True, with_scheduler=True)


def queued(app) -> list[str]:
    """The names of the jobs waiting in every queue of this app."""
    return [job.description for queue in backend(app).queues() for job in queue.get_jobs()]


def client_of(app) -> Client:
    app.test_client_class = Client
    return app.test_client()  # type: ignore[return-value]


def answer_by_http(client: Client, session) -> tuple[User, Question]:
    """A member answers through the site; the asker is owed an e-mail (their default is one per notification)."""
    board = make_board(session, "laptops", "Laptops")
    asker, helper = make_user(session, "eleni"), make_user(session, "sam")
    question = make_question(session, asker, board, title="Fan noise after the update")
    sign_in(client, helper)
    response = client.form_post(f"/questions/{question.id}/answers", {"body": "Update the BIOS to 1.10 first."})
    assert response.status_code == 302
    return asker, question


def found(client, words: str, question_id: int) -> bool:
    """Whether the site's search lists the question (its link; the title itself comes highlighted)."""
    return f'href="/questions/{question_id}/' in client.get(f"/search?q={words}").get_data(as_text=True)


def mail_to(smtp: SmtpServer, address: str) -> list:
    return [message for message in smtp.mailbox.messages if message["To"] == address]


@needs_redis
def test_a_new_answer_queues_a_mail_job_that_a_worker_delivers(redis_app, session, smtp):
    client = client_of(redis_app)
    asker, _question = answer_by_http(client, session)
    # The request only queued the work: the mail waits in its outbox table, the job in Redis.
    assert "mail.deliver" in queued(redis_app) and "search.drain" in queued(redis_app)
    assert queued(redis_app).count("mail.deliver") == 1  # its badge mail too rode on the one waiting job
    assert mail_to(smtp, asker.email) == []
    assert session.scalar(select(func.count()).where(EmailMessage.status == "pending")) >= 1
    work(redis_app)
    assert len(mail_to(smtp, asker.email)) == 1
    assert queued(redis_app) == []
    assert session.scalar(select(func.count()).where(EmailMessage.status == "pending")) == 0


@needs_redis
def test_a_new_question_is_found_once_a_worker_drained_the_search_outbox(redis_app, session, smtp):
    make_board(session, "laptops", "Laptops")
    client = client_of(redis_app)
    sign_in(client, make_user(session, "sam"))
    title = "Keyboard backlight flickers zanzibar"
    response = client.form_post("/ask", {"board": "laptops", "title": title, "body": BODY})
    assert response.status_code == 302
    assert queued(redis_app).count("search.drain") == 1
    assert session.scalar(select(func.count()).select_from(SearchOutbox)) == 1
    question_id = session.scalar(select(Question.id).where(Question.title == title))
    assert not found(client, "zanzibar", question_id)
    work(redis_app)
    assert session.scalar(select(func.count()).select_from(SearchOutbox)) == 0
    assert found(client, "zanzibar", question_id)


@needs_redis
def test_a_failing_job_is_retried_with_growing_delays_then_lands_among_the_failed(redis_app, monkeypatch):
    tries: list[datetime] = []

    def broken(_app) -> None:
        tries.append(datetime.now(UTC))
        raise RuntimeError("the help desk is down")

    monkeypatch.setitem(tasks.TASKS, "test.broken", tasks.Task(broken))
    redis_app.config.update(JOBS_RETRIES=2)
    redis_app.extensions["agora_jobs"] = RedisQueue(redis_app.config)
    queue_backend = backend(redis_app)
    with redis_app.app_context():
        job = queue_backend.enqueue(redis_app, "test.broken")
    assert job.retries_left == 2 and job.retry_intervals == [30, 60]  # JOBS_RETRY_SECONDS, then doubled
    queue = Queue(queue_backend.queue_name("default"), connection=queue_backend.connection)
    for attempt, delay in enumerate((30, 60), start=1):
        work(redis_app)
        assert len(tries) == attempt
        # Not failed yet: waiting for its time, `delay` seconds after this try.
        assert job.id in queue.scheduled_job_registry.get_job_ids()
        due = datetime.fromtimestamp(queue.scheduled_job_registry.get_expiration_time(job).timestamp(), UTC)
        assert timedelta(seconds=delay - 5) < due - tries[-1] <= timedelta(seconds=delay + 1)
        work(redis_app)  # too early: the scheduler leaves it where it is
        assert len(tries) == attempt
        queue.scheduled_job_registry.schedule(job, datetime.now(UTC) - timedelta(seconds=1))  # its time has come
    work(redis_app)
    assert len(tries) == 3
    assert Job.fetch(job.id, connection=queue_backend.connection).get_status() == JobStatus.FAILED
    assert job.id in queue.failed_job_registry.get_job_ids()


@needs_redis
def test_jobs_status_shows_queues_their_depth_the_oldest_job_and_failures(redis_app, session, monkeypatch):
    monkeypatch.setitem(tasks.TASKS, "test.broken", tasks.Task(lambda _app: 1 / 0))
    redis_app.config.update(JOBS_RETRIES=0)
    redis_app.extensions["agora_jobs"] = RedisQueue(redis_app.config)
    prefix = redis_app.config["JOBS_PREFIX"]
    with redis_app.app_context():
        backend(redis_app).enqueue(redis_app, "test.broken")
    work(redis_app)
    with redis_app.app_context():
        backend(redis_app).enqueue(redis_app, "mail.deliver")
        backend(redis_app).enqueue(redis_app, "exports.prepare")
    result = redis_app.test_cli_runner().invoke(args=["jobs", "status"])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0].split() == ["queue", "waiting", "oldest", "retrying", "running", "failed"]
    assert lines[1].split()[:2] == [prefix, "1"] and lines[1].split()[-1] == "1"  # mail waits; the broken one failed
    assert lines[1].split()[2:4] == ["0", "s"]  # the oldest waiting job is seconds old
    assert lines[2].split()[:2] == [f"{prefix}-bulk", "1"]
    assert "workers: 0" in result.output
    assert "test.broken" in result.output and "ZeroDivisionError: division by zero" in result.output


@needs_redis
def test_metrics_show_queue_depth_and_failed_jobs(redis_app):
    with redis_app.app_context():
        backend(redis_app).enqueue(redis_app, "mail.deliver")
    body = redis_app.test_client().get("/metrics").get_data(as_text=True)
    prefix = redis_app.config["JOBS_PREFIX"]
    assert f'agora_job_queue_depth{{queue="{prefix}"}} 1.0' in body
    assert f'agora_job_queue_failed{{queue="{prefix}"}} 0.0' in body
    assert "\nagora_job_workers 0.0" in body  # none runs in this test: the alert operators are told to set
    assert redis_app.test_client().get("/readyz").json["checks"]["jobs"] == "ok"


@needs_redis
def test_a_lost_queue_message_only_delays_the_work_the_sweep_delivers_it(redis_app, session, smtp):
    client = client_of(redis_app)
    asker, question = answer_by_http(client, session)
    for queue in backend(redis_app).queues():
        queue.empty()  # Redis lost the messages (a restart without persistence)
    work(redis_app)
    assert mail_to(smtp, asker.email) == []
    assert "jobs.sweep" in periodic.tick(redis_app)  # what a running worker does every few seconds
    work(redis_app)
    assert len(mail_to(smtp, asker.email)) == 1
    assert session.scalar(select(func.count()).select_from(SearchOutbox)) == 0
    assert found(client, "fan+noise", question.id)


@needs_redis
def test_periodic_jobs_are_queued_once_per_period_however_many_workers_tick(redis_app):
    morning = datetime(2026, 12, 1, 6, 59, tzinfo=UTC)
    first = periodic.tick(redis_app, now=morning)
    assert first == ["jobs.sweep", "cases.overdue", "webhooks.unanswered", "attachments.cleanup", "privacy.purge"]
    assert periodic.tick(redis_app, now=morning) == []  # a second worker in the same period
    assert periodic.tick(redis_app, now=morning.replace(hour=7)) == ["mail.digests"]  # JOBS_DIGEST_HOUR has come
    assert periodic.tick(redis_app, now=morning.replace(hour=23)) == []  # once a day
    next_day = periodic.tick(redis_app, now=morning + timedelta(days=1, hours=1))
    assert next_day == ["mail.digests", "attachments.cleanup", "privacy.purge"]  # the sweep's 60 s still run
    queue = backend(redis_app)
    queue.connection.delete(queue.key("period", "jobs.sweep"))  # the sweep's period ran out
    assert periodic.tick(redis_app, now=morning) == ["jobs.sweep"]
    assert queued(redis_app).count("jobs.sweep") == 1  # the first one still waits: not queued twice


@needs_redis
def test_a_periodic_job_that_could_not_be_queued_is_claimed_again_at_the_next_tick(redis_app, monkeypatch):
    queue = backend(redis_app)
    real = type(queue).enqueue

    def failing(self, app, job, *args, **kwargs):
        if job == "mail.digests":
            raise ConnectionError("the queue went away between the claim and the job")
        return real(self, app, job, *args, **kwargs)

    monkeypatch.setattr(type(queue), "enqueue", failing)
    morning = datetime(2026, 12, 1, 8, 0, tzinfo=UTC)
    assert "mail.digests" not in periodic.tick(redis_app, now=morning)
    monkeypatch.setattr(type(queue), "enqueue", real)
    assert periodic.tick(redis_app, now=morning) == ["mail.digests"]  # not skipped for the day


@needs_redis
def test_a_search_job_that_finds_the_index_lost_sees_its_rebuild_through(redis_app, session, monkeypatch):
    from app.search import service as search

    client = client_of(redis_app)
    backend = redis_app.extensions["agora_search"]
    _asker, question = answer_by_http(client, session)
    reindex = search.reindex
    monkeypatch.setattr(search, "reindex", lambda *args, **kwargs: time.sleep(1) or reindex(*args, **kwargs))
    shutil.rmtree(backend.root)  # the index is lost (a new disk) while the answer's outbox row waits
    work(redis_app)  # the drain job finds it missing: it rebuilds it, and the job waits for the rebuild
    assert not redis_app.extensions["agora_search_recovery"].rebuilding
    assert backend.state() == READY
    assert found(client, "fan+noise", question.id)


def test_a_sweep_runs_every_step_and_fails_naming_those_that_failed(tmp_path, postgres_schema, smtp, monkeypatch):
    from app.jobs import tasks

    app = jobs_app(tmp_path, postgres_schema, smtp)
    ran = []
    for name in ("drain_search", "deliver_mail", "deliver_webhooks", "prepare_exports", "process_uploads"):
        def step(_app, name=name):
            ran.append(name)
            if name in ("deliver_mail", "prepare_exports"):
                raise ConnectionError("the mail server is down")
        step.__name__ = name
        monkeypatch.setattr(tasks, name, step)
    with app.app_context(), pytest.raises(tasks.SweepFailed, match="deliver_mail, prepare_exports failed"):
        tasks.sweep(app)
    assert ran == ["deliver_mail", "deliver_webhooks", "prepare_exports", "process_uploads", "drain_search"]


@needs_redis
def test_a_commit_while_redis_is_away_loses_nothing(tmp_path, postgres_schema, smtp, session):
    app = jobs_app(tmp_path, postgres_schema, smtp, REDIS_URL="redis://127.0.0.1:1/0")  # nothing listens there
    client = client_of(app)
    asker, _question = answer_by_http(client, session)
    assert mail_to(smtp, asker.email) == []  # the answer was posted all the same; its mail waits in the table
    assert session.scalar(select(func.count()).where(EmailMessage.status == "pending")) >= 1
    with app.app_context():
        tasks.sweep(app)  # what the first worker's sweep does once Redis is back
    assert len(mail_to(smtp, asker.email)) == 1


def test_without_redis_the_work_is_done_in_process_after_the_commit(tmp_path, postgres_schema, smtp, session):
    app = jobs_app(tmp_path, postgres_schema, smtp)
    assert backend(app).check() == "in-process"
    client = client_of(app)
    asker, question = answer_by_http(client, session)
    assert len(mail_to(smtp, asker.email)) == 1  # delivered before the answer's redirect
    assert session.scalar(select(func.count()).select_from(SearchOutbox)) == 0
    assert found(client, "fan+noise", question.id)
    assert periodic.tick(app) == []  # nothing is scheduled without Redis: cron runs the commands as before
    result = app.test_cli_runner().invoke(args=["jobs", "status"])
    assert result.exit_code == 1 and "REDIS_URL is not set" in result.output

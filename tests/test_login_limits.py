"""Sign-in attempts are limited per account as well as per address, with a growing but bounded delay,
in the rate-limit storage that every worker shares (Redis on the PostgreSQL leg, memory otherwise)."""

from __future__ import annotations

import json
import subprocess
import sys
import time
import uuid
from importlib.metadata import version
from pathlib import Path

from tests.conftest import REDIS_URL, Client, make_app
from tests.factories import PASSWORD, make_user

ROOT = Path(__file__).resolve().parent.parent
WRONG = "not the right password"


def limited_app(tmp_path, postgres_schema, **overrides):
    # A generous per-address limit, so only the per-account one is under test.
    app = make_app(tmp_path, postgres_schema, RATELIMIT_ENABLED=True, LOGIN_RATE_LIMIT="100 per minute", **overrides)
    app.test_client_class = Client
    return app


def attempt(client, login: str, password: str = WRONG, address: str = "198.51.100.1"):
    data = {"login": login, "password": password, "csrf_token": client.csrf()}
    return client.post("/login", data=data, environ_base={"REMOTE_ADDR": address})


def add_member(app, username: str) -> None:
    from app.db import db

    with app.app_context(), db.scope() as session:
        make_user(session, username)


def test_failed_sign_ins_are_limited_per_account_from_any_address(tmp_path, postgres_schema):
    app = limited_app(tmp_path, postgres_schema, LOGIN_ACCOUNT_RATE_LIMIT="3 per 15 minutes")
    add_member(app, "lucy_h")
    add_member(app, "sam")
    client = app.test_client()
    logins = ["lucy_h", "LUCY_H", " lucy_h"]
    statuses = [attempt(client, login, address=f"203.0.113.{n}").status_code for n, login in enumerate(logins)]
    assert statuses == [422, 422, 422]

    refused = attempt(client, "lucy_h", PASSWORD, address="192.0.2.77")  # even the right password, elsewhere
    assert refused.status_code == 429
    assert 0 < int(refused.headers["Retry-After"]) <= 900
    assert "Too many failed sign-ins" in refused.get_data(as_text=True)
    assert attempt(client, "sam", PASSWORD).status_code == 302  # other accounts are not affected


def test_the_delay_grows_stays_bounded_and_a_successful_sign_in_resets_it(tmp_path, postgres_schema):
    app = limited_app(
        tmp_path,
        postgres_schema,
        LOGIN_ACCOUNT_RATE_LIMIT="2 per 15 minutes",
        LOGIN_ACCOUNT_DELAY=1,
        LOGIN_ACCOUNT_MAX_DELAY=2,
    )
    add_member(app, "lucy_h")
    client = app.test_client()
    assert [attempt(client, "lucy_h").status_code for _ in range(2)] == [422, 422]
    delays = []
    for _ in range(3):
        refused = attempt(client, "lucy_h", PASSWORD)
        assert refused.status_code == 429
        delays.append(int(refused.headers["Retry-After"]))
        time.sleep(delays[-1] + 0.2)
        if len(delays) < 3:
            assert attempt(client, "lucy_h").status_code == 422  # one more try once the delay has passed
    assert delays == [1, 2, 2]  # doubles, then stays at the maximum: the owner is never kept out for long

    assert attempt(client, "lucy_h", PASSWORD).status_code == 302
    client.form_post("/logout")
    assert attempt(client, "lucy_h").status_code == 422
    assert attempt(client, "lucy_h", PASSWORD).status_code == 302  # the success reset the count


OTHER_WORKER = """
import json, sys
from pathlib import Path
from tests.conftest import Client, make_app
settings = json.loads(sys.argv[1])
app = make_app(Path(sys.argv[2]), None, **settings)
app.test_client_class = Client
client = app.test_client()
token = client.csrf()
statuses = [
    client.post("/login", data={"login": "lucy_h", "password": "wrong password!", "csrf_token": token}).status_code
    for _ in range(3)
]
print(json.dumps(statuses))
"""


def test_app_instances_share_counts_through_redis_and_count_alone_in_memory(tmp_path, postgres_schema):
    """Another process (a second worker) fails three times; this one sees it only through Redis."""
    storage = {"RATELIMIT_STORAGE_URI": "memory://"}
    if REDIS_URL:
        storage = {
            "RATELIMIT_STORAGE_URI": REDIS_URL,
            "RATELIMIT_STORAGE_OPTIONS": {"key_prefix": f"agora-test-{uuid.uuid4().hex}"},
        }
    settings = {
        "RATELIMIT_ENABLED": True,
        "LOGIN_RATE_LIMIT": "100 per minute",
        "LOGIN_ACCOUNT_RATE_LIMIT": "3 per 15 minutes",
        **storage,
    }
    app = make_app(tmp_path, postgres_schema, **settings)
    app.test_client_class = Client
    add_member(app, "lucy_h")
    worker_dir = tmp_path / "other-worker"
    worker_dir.mkdir()
    done = subprocess.run(
        [sys.executable, "-c", OTHER_WORKER, json.dumps(settings), str(worker_dir)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    assert json.loads(done.stdout.strip().splitlines()[-1]) == [422, 422, 422]
    response = attempt(app.test_client(), "lucy_h", PASSWORD)
    assert response.status_code == (429 if REDIS_URL else 302)


def test_the_redis_client_is_a_pinned_dependency(tmp_path):
    """The README recommends RATELIMIT_STORAGE_URI=redis://, which needs the client installed."""
    pins = dict(line.split("==", 1) for line in (ROOT / "requirements.txt").read_text().splitlines() if "==" in line)
    assert "redis" in pins
    assert version("redis") == pins["redis"].strip()
    make_app(tmp_path, None, RATELIMIT_ENABLED=True, RATELIMIT_STORAGE_URI="redis://127.0.0.1:6379/3")  # starts


def test_two_sites_on_one_redis_keep_their_own_account_counts():
    """RATELIMIT_KEY_PREFIX reaches the per-account counts too, which use the storage directly."""
    from limits import parse
    from limits.storage import MemoryStorage

    from app.accounts.throttle import LoginThrottle

    storage = MemoryStorage()
    shop, staging = (LoginThrottle(storage, parse("2 per 15 minutes"), prefix=name) for name in ("shop:", "staging:"))
    shop.failed("lucy_h")
    assert shop.failed("lucy_h") > 0
    assert shop.wait("lucy_h") > 0 and staging.wait("lucy_h") == 0

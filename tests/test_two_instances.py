"""Two app servers, as the multi-server setup runs them (docs/operations.md): two gunicorn instances of `wsgi:app` on
different ports, sharing one PostgreSQL database (data and full-text search), one Redis (rate limits, view counts,
the page cache, the job queues, which a job worker serves) and one attachment directory, with the same SECRET_KEY
and nothing else in common (each its own instance folder).
Everything is checked over real HTTP, as a browser behind a load balancer would meet it: a member's requests land
on either server.

Only on the PostgreSQL leg with Redis (TEST_DATABASE_URL set): SQLite and an in-memory count are one machine's."""

from __future__ import annotations

import io
import os
import re
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import requests
from PIL import Image

from app.db import db
from tests.conftest import POSTGRES_URL, REDIS_URL, make_app
from tests.factories import PASSWORD, make_board, make_user

pytestmark = pytest.mark.skipif(not POSTGRES_URL, reason="the PostgreSQL leg (with Redis) runs several servers")

ROOT = Path(__file__).resolve().parent.parent
GUNICORN = Path(sys.executable).with_name("gunicorn")
CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')
LOGIN_LIMIT = 10  # sign-in attempts per address and minute, counted by both servers together
FLASK = Path(sys.executable).with_name("flask")
# Both servers keep visitors' pages in the shared Redis; a test checks a hit on one is invalidated by the other.
PAGE_CACHE_SETTINGS = {"PAGE_CACHE": "true"}


@dataclass
class Servers:
    a: str
    b: str
    attachments: Path


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _start(port: int, env: dict[str, str], log: Path) -> subprocess.Popen:
    with log.open("w") as out:
        return subprocess.Popen(
            [str(GUNICORN), "-w", "1", "-b", f"127.0.0.1:{port}", "--timeout", "30", "--no-control-socket", "wsgi:app"],
            env=env,
            cwd=ROOT,
            stdout=out,
            stderr=subprocess.STDOUT,
        )


def _wait_ready(base: str, process: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + 45
    while True:
        try:
            if requests.get(base + "/healthz", timeout=2).status_code == 200:
                return
        except requests.RequestException:
            pass  # not listening yet, or its worker still importing the app
        if process.poll() is not None or time.monotonic() > deadline:
            pytest.fail(f"gunicorn at {base} did not start:\n" + log.read_text()[-3000:])
        time.sleep(0.2)


def _stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)


def _require_redis() -> None:
    import redis

    try:
        redis.Redis.from_url(REDIS_URL or "", socket_connect_timeout=2).ping()
    except (redis.RedisError, ValueError) as error:
        pytest.skip(f"no Redis at {REDIS_URL} for the servers to share ({error})")


@pytest.fixture(scope="module")
def servers(tmp_path_factory: pytest.TempPathFactory, postgres_schema: str | None) -> Iterator[Servers]:
    """An emptied database with a board and a member, then two gunicorn instances on it; both are always stopped."""
    _require_redis()
    tmp = tmp_path_factory.mktemp("two-instances")
    shared_files = tmp / "shared-attachments"
    app = make_app(tmp, postgres_schema, SEARCH_BACKEND="postgres", ATTACHMENT_DIR=str(shared_files))
    with app.app_context():
        session = db.new_session()
        make_board(session, "laptops", name="Laptops")
        make_user(session, "pollux")
        session.close()
        db.engine.dispose()
    shared = {
        **os.environ,
        "AGORA_ENV": "development",
        "SECRET_KEY": "two-instances-" + uuid.uuid4().hex * 2,
        "DATABASE_URL": postgres_schema or "",
        "SEARCH_BACKEND": "postgres",
        "REDIS_URL": REDIS_URL or "",
        "RATELIMIT_STORAGE_URI": REDIS_URL or "",
        "RATELIMIT_KEY_PREFIX": f"agora-two-instances-{uuid.uuid4().hex}",  # this run's counts only
        "LOGIN_RATE_LIMIT": f"{LOGIN_LIMIT} per minute",
        "ATTACHMENT_STORAGE": "local",
        "ATTACHMENT_DIR": str(shared_files),
        "ARGON2_TIME_COST": "1",
        "ARGON2_MEMORY_COST": "8192",
        "WEBHOOK_DELIVERY": "off",
        **PAGE_CACHE_SETTINGS,
    }
    processes: list[subprocess.Popen] = []
    bases = []
    try:
        for name in ("a", "b"):
            port, log = _free_port(), tmp / f"gunicorn-{name}.log"
            own = {"AGORA_INSTANCE_DIR": str(tmp / f"instance-{name}"), "SEARCH_INDEX_DIR": str(tmp / f"index-{name}")}
            processes.append(_start(port, {**shared, **own}, log))
            bases.append(f"http://127.0.0.1:{port}")
        # With REDIS_URL the work after a commit (the search outbox among it) is a job for the workers.
        with (tmp / "worker.log").open("w") as out:
            processes.append(
                subprocess.Popen(
                    [str(FLASK), "--app", "wsgi", "jobs", "worker", "--simple"],
                    env={**shared, "AGORA_INSTANCE_DIR": str(tmp / "instance-worker")},
                    cwd=ROOT,
                    stdout=out,
                    stderr=subprocess.STDOUT,
                )
            )
        for base, process, name in zip(bases, processes[:2], "ab", strict=True):
            _wait_ready(base, process, tmp / f"gunicorn-{name}.log")
        yield Servers(bases[0], bases[1], shared_files)
    finally:
        for process in processes:
            _stop(process)


class Browser:
    """One browser behind the load balancer: one cookie jar, and each request sent to the server it names."""

    def __init__(self) -> None:
        self.http = requests.Session()

    def get(self, base: str, path: str) -> requests.Response:
        return self.http.get(base + path, allow_redirects=False, timeout=20)

    def post(self, base: str, path: str, data: dict, form_page: str, files: dict | None = None) -> requests.Response:
        """Send a form as a browser does: its CSRF token from the page that shows it (here: from `base`)."""
        page = self.get(base, form_page)
        token = CSRF.search(page.text)
        assert token, f"no CSRF token on {form_page} ({page.status_code})"
        return self.http.post(
            base + path, data={**data, "csrf_token": token.group(1)}, files=files, allow_redirects=False, timeout=20
        )

    def sign_in(self, base: str, login: str) -> None:
        response = self.post(base, "/login", {"login": login, "password": PASSWORD}, "/login")
        assert response.status_code == 302, response.text[-500:]


def _png() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (30, 20), (0, 90, 200)).save(out, "PNG")
    return out.getvalue()


def _ask(browser: Browser, base: str, title: str, body: str, files: dict | None = None) -> int:
    form = {"board": "laptops", "title": title, "body": body, "tags": "", "language": "en", "public_confirmed": "1"}
    response = browser.post(base, "/ask", form, "/ask", files=files)
    assert response.status_code == 302, response.text[-800:]
    found = re.search(r"/questions/(\d+)", response.headers["Location"])
    assert found, response.headers["Location"]
    return int(found.group(1))


def test_a_session_from_one_server_works_on_the_other(servers):
    browser = Browser()
    browser.sign_in(servers.a, "pollux")
    page = browser.get(servers.b, "/settings/profile")
    assert page.status_code == 200 and "pollux" in page.text
    # Signing out on B ends the sign-in for A too: the sign-in is a row in the shared database, not a process's.
    assert browser.post(servers.b, "/logout", {}, "/settings/profile").status_code == 302
    assert browser.get(servers.a, "/settings/profile").status_code == 302


def test_a_question_posted_on_one_is_shown_and_found_on_the_other_at_once(servers):
    word = f"zq{uuid.uuid4().hex[:8]}"
    member = Browser()
    member.sign_in(servers.a, "pollux")
    question_id = _ask(member, servers.a, f"Dock {word} drops the second monitor", "It flickers, then goes dark.")
    visitor = Browser()
    page = visitor.get(servers.b, f"/questions/{question_id}")
    if page.status_code in (301, 302):  # to the address with the title's slug
        page = visitor.get(servers.b, page.headers["Location"].removeprefix(servers.b))
    assert page.status_code == 200 and f"Dock {word} drops the second monitor" in page.text
    # Indexed by a job worker as soon as it takes the job: within moments, not at the next sweep.
    deadline = time.monotonic() + 15
    while f"/questions/{question_id}" not in (found := visitor.get(servers.b, f"/search?q={word}")).text:
        assert time.monotonic() < deadline, "search on B never found the question asked on A"
        time.sleep(0.2)
    assert found.status_code == 200


def test_an_attachment_uploaded_on_one_is_served_by_the_other(servers):
    member = Browser()
    member.sign_in(servers.b, "pollux")
    question_id = _ask(
        member, servers.b, "Where does this warning come from?", "See the screenshot.", {"files": ("w.png", _png())}
    )
    page = Browser().get(servers.b, f"/questions/{question_id}")
    if page.status_code in (301, 302):
        page = Browser().get(servers.b, page.headers["Location"].removeprefix(servers.b))
    link = re.search(r"/attachments/\d+/w\.png", page.text)
    assert link, "the question does not show its screenshot"
    served = Browser().get(servers.a, link.group(0))  # a visitor, on the server that did not take the upload
    assert served.status_code == 200 and served.headers["Content-Type"] == "image/png"
    assert Image.open(io.BytesIO(served.content)).size == (30, 20)
    assert any(servers.attachments.glob("*/*.png"))


def test_a_visitors_page_on_the_other_shows_a_new_answer_at_once(servers):
    """B serves the visitor's page from the shared cache; an answer posted on A invalidates it, and the visitor sees
    the answer on B's very next response."""
    member = Browser()
    member.sign_in(servers.a, "pollux")
    question_id = _ask(member, servers.a, "Battery drains overnight while asleep", "Lid closed, 40% gone by morning.")
    visitor = Browser()
    first = visitor.get(servers.b, f"/questions/{question_id}")
    path = (
        first.headers["Location"].removeprefix(servers.b) if first.status_code in (301, 302) else first.request.path_url
    )
    assert visitor.get(servers.b, path).status_code == 200
    cached = visitor.get(servers.b, path)
    assert cached.headers.get("X-Page-Cache") == "hit", cached.headers  # the repeated visit came from the cache
    answer = f"Turn off wake on LAN {uuid.uuid4().hex[:6]}"
    posted = member.post(servers.a, f"/questions/{question_id}/answers", {"body": answer}, path)
    assert posted.status_code == 302, posted.text[-800:]
    assert answer in visitor.get(servers.b, path).text


def test_rate_limits_are_counted_by_both_servers_together(servers):
    """Sign-in attempts from one address, alternating between the servers: the limit holds for the sum, where
    two separate counts would each allow LOGIN_LIMIT. Last in this file: it uses up the address's sign-ins."""
    browser = Browser()
    stranger = f"nobody-{uuid.uuid4().hex[:8]}"  # no account's own failure count (kept 15 minutes) interferes
    remaining = []
    for n in range(LOGIN_LIMIT * 2):
        base = servers.a if n % 2 == 0 else servers.b
        response = browser.post(base, "/login", {"login": stranger, "password": "wrong password"}, "/login")
        if response.status_code == 429:
            break
        assert response.status_code == 422
        remaining.append(int(response.headers["X-RateLimit-Remaining"]))
    else:
        pytest.fail("neither server refused a sign-in attempt")
    # Each attempt, on either server, took one from the same count (earlier tests' sign-ins took some already).
    assert remaining == list(range(remaining[0], remaining[0] - len(remaining), -1))
    assert remaining[-1] == 0 and len(remaining) >= 2
    assert response.headers.get("Retry-After")
    other = servers.b if base == servers.a else servers.a
    refused = browser.post(other, "/login", {"login": stranger, "password": "wrong password"}, "/login")
    assert refused.status_code == 429

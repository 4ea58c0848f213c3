"""Fault tests: real gunicorn workers on 127.0.0.1, eight clients writing at once, a worker killed, the search
index deleted. Each run is bounded in time and stops by itself; none may answer 5xx or lose an acknowledged write."""

from __future__ import annotations

import os
import random
import re
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections import Counter
from dataclasses import dataclass, field
from http.cookiejar import CookieJar
from pathlib import Path

import pytest
from sqlalchemy import func, select

from app.db import db
from app.forum.models import Answer
from app.search.models import SearchOutbox
from tests.conftest import OUTPUT_DIR, POSTGRES_URL, make_app
from tests.factories import PASSWORD, make_board, make_question, make_user

CLIENTS = 8
LOAD_SECONDS = 12
CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')
GUNICORN = Path(sys.executable).with_name("gunicorn")


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *_args, **_kwargs):
        return None


@dataclass
class Tally:
    """What the clients saw, shared by their threads."""

    statuses: Counter = field(default_factory=Counter)
    failures: list[str] = field(default_factory=list)  # 5xx: method, path, status
    dropped: int = 0  # connections cut (a killed worker): not acknowledged, so nothing is owed
    answers: dict[int, tuple[int, list[str]]] = field(default_factory=dict)  # id -> (question, acknowledged words)
    lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def requests(self) -> int:
        return sum(self.statuses.values()) + self.dropped

    @property
    def server_errors(self) -> int:
        return sum(n for status, n in self.statuses.items() if status >= 500)


class Browser:
    """A member's browser: cookies, CSRF tokens from the pages, no redirects followed."""

    def __init__(self, base: str, tally: Tally) -> None:
        self.base, self.tally = base, tally
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(CookieJar()), _NoRedirects())

    def request(self, method: str, path: str, data: dict | None = None) -> tuple[int, str, str]:
        body = urllib.parse.urlencode(data).encode() if data is not None else None
        req = urllib.request.Request(self.base + path, data=body, method=method)  # noqa: S310 - http://127.0.0.1
        try:
            with self.opener.open(req, timeout=30) as response:
                status, text, headers = response.status, response.read().decode(), response.headers
        except urllib.error.HTTPError as error:
            status, text, headers = error.code, error.read().decode(errors="replace"), error.headers
        except (ConnectionError, OSError, urllib.error.URLError):
            with self.tally.lock:
                self.tally.dropped += 1
            return 0, "", ""
        location = headers.get("Location", "")
        with self.tally.lock:
            self.tally.statuses[status] += 1
            if status >= 500:
                self.tally.failures.append(f"{method} {path} -> {status}")
        return status, text, location

    def post(self, path: str, data: dict, form_page: str) -> tuple[int, str, str]:
        status, page, location = self.request("GET", form_page)
        if status in (301, 302) and location:
            _status, page, _location = self.request("GET", urllib.parse.urlsplit(location).path)
        token = CSRF.search(page)
        if token is None:
            return 0, "", ""
        return self.request("POST", path, {**data, "csrf_token": token.group(1)})


@dataclass
class Site:
    base: str
    index_dir: Path
    process: subprocess.Popen
    app: object  # the test's own app on the same database, for checking

    def workers(self) -> list[int]:
        children = []
        for stat in Path("/proc").glob("[0-9]*/stat"):
            try:
                fields = stat.read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == self.process.pid:
                children.append(int(stat.parent.name))
        return children


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def site(tmp_path: Path, postgres_schema: str | None):
    """Members and questions in a fresh database, served by gunicorn with two workers."""
    app = make_app(tmp_path, postgres_schema)
    with app.app_context():
        session = db.new_session()
        board = make_board(session, "laptops")
        members = [make_user(session, f"client{n}") for n in range(CLIENTS)]
        for n in range(4):
            make_question(session, members[n], board, title=f"Fault test question {n} about the Nimbus Book")
        session.close()
    port = _free_port()
    env = {
        **os.environ,
        "DATABASE_URL": app.config["DATABASE_URL"],
        "SEARCH_INDEX_DIR": app.config["SEARCH_INDEX_DIR"],
        "AGORA_INSTANCE_DIR": str(tmp_path),
        "SECRET_KEY": "fault-test-secret-" + "x" * 32,
        "RATELIMIT_ENABLED": "false",
        "ARGON2_TIME_COST": "1",
        "ARGON2_MEMORY_COST": "8192",
    }
    log = (tmp_path / "gunicorn.log").open("w")
    process = subprocess.Popen(
        [str(GUNICORN), "-w", "2", "-b", f"127.0.0.1:{port}", "--timeout", "30", "tests.fault_server:make()"],
        env=env,
        cwd=Path(__file__).resolve().parent.parent,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while True:
        try:
            urllib.request.urlopen(base + "/", timeout=2).close()  # noqa: S310 - http://127.0.0.1
            break
        except OSError:
            if time.monotonic() > deadline or process.poll() is not None:
                process.kill()
                pytest.fail("gunicorn did not start: " + (tmp_path / "gunicorn.log").read_text()[-2000:])
            time.sleep(0.2)
    yield Site(base, Path(app.config["SEARCH_INDEX_DIR"]), process, app)
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        process.kill()
    log.close()
    with app.app_context():
        db.engine.dispose()


def _member(site: Site, tally: Tally, n: int) -> Browser:
    browser = Browser(site.base, tally)
    status, _page, _location = browser.post("/login", {"login": f"client{n}", "password": PASSWORD}, "/login")
    assert status == 302, f"client{n} could not sign in ({status})"
    return browser


def _work(site: Site, tally: Tally, n: int, browser: Browser, until: float) -> None:
    """Answer, edit own answers (appending a word), give and withdraw kudos on others' answers."""
    rng = random.Random(n)  # noqa: S311 - a repeatable mix of actions, not a secret
    mine: list[int] = []
    i = 0
    while time.monotonic() < until:
        i += 1
        choice = rng.random()
        question_id = rng.randint(1, 4)
        if choice < 0.5 or not mine:
            word = f"zqf{n}a{i}x"
            page = f"/questions/{question_id}"
            status, _text, location = browser.post(
                f"/questions/{question_id}/answers", {"body": f"Answer {word}: update the BIOS first."}, page
            )
            found = re.search(r"#answer-(\d+)$", location)
            if status == 302 and found:
                answer_id = int(found.group(1))
                mine.append(answer_id)
                with tally.lock:
                    tally.answers[answer_id] = (question_id, [word])
        elif choice < 0.75:
            answer_id = rng.choice(mine)
            word = f"zqf{n}e{i}x"
            with tally.lock:
                question, words = tally.answers[answer_id]
            body = "Answer " + " ".join(words) + f" {word}: update the BIOS first."
            status, _text, _location = browser.post(
                f"/answers/{answer_id}/edit", {"body": body}, f"/answers/{answer_id}/edit"
            )
            if status == 302:
                with tally.lock:
                    tally.answers[answer_id] = (question, [*words, word])
        else:
            with tally.lock:
                others = [a for a in tally.answers if a not in mine]
            if others:
                answer_id = rng.choice(others)
                question, _words = tally.answers[answer_id]
                action = "kudos" if rng.random() < 0.6 else "kudos/withdraw"
                browser.post(f"/answers/{answer_id}/{action}", {}, f"/questions/{question}")


def _load(site: Site, kill_workers: int = 0) -> tuple[Tally, int]:
    tally = Tally()
    browsers = [_member(site, tally, n) for n in range(CLIENTS)]
    until = time.monotonic() + LOAD_SECONDS
    threads = [threading.Thread(target=_work, args=(site, tally, n, b, until)) for n, b in enumerate(browsers)]
    for thread in threads:
        thread.start()
    kills = 0
    for k in range(kill_workers):
        time.sleep(LOAD_SECONDS / (kill_workers + 1))
        workers = site.workers()
        if workers:
            os.kill(workers[k % len(workers)], signal.SIGKILL)
            kills += 1
    for thread in threads:
        thread.join(timeout=LOAD_SECONDS + 60)
    return tally, kills


def _drained(site: Site, nudge: Browser, timeout: float = 30.0) -> int:
    """Wait for the search outbox to empty; rows a killed worker left wait for the next write, so one is made."""
    deadline, nudged = time.monotonic() + timeout, False
    while True:
        with site.app.app_context(), db.scope(write=False) as session:
            pending = session.scalar(select(func.count()).select_from(SearchOutbox)) or 0
        if pending == 0 or time.monotonic() > deadline:
            return pending
        if not nudged and time.monotonic() > deadline - timeout + 3:
            nudge.post("/questions/1/answers", {"body": "One more answer after the load."}, "/questions/1")
            nudged = True
        time.sleep(0.3)


def _check_nothing_lost(site: Site, tally: Tally) -> list[str]:
    problems = []
    with site.app.app_context(), db.scope(write=False) as session:
        bodies = dict(session.execute(select(Answer.id, Answer.body_source)).all())
    reader = Browser(site.base, Tally())
    for answer_id, (question_id, words) in sorted(tally.answers.items()):
        body = bodies.get(answer_id)
        if body is None or any(word not in body for word in words):
            problems.append(f"answer {answer_id} lost or missing an edit: {words} / {body!r}")
            continue
        _status, page, _location = reader.request("GET", f"/search?q={words[-1]}")
        if f"/questions/{question_id}/" not in page:
            problems.append(f"answer {answer_id} ({words[-1]}) not found by search")
    return problems


def _points_drift(site: Site) -> int:
    result = site.app.test_cli_runner().invoke(args=["points", "verify"])
    return result.exit_code


def _report(name: str, tally: Tally, kills: int) -> str:
    database = "postgresql" if POSTGRES_URL else "sqlite"
    line = (
        f"{name} [{database}]: {tally.requests} requests, {len(tally.answers)} acknowledged answers, "
        f"{sum(1 for _q, w in tally.answers.values() for _ in w[1:])} acknowledged edits, {kills} workers killed, "
        f"{tally.dropped} connections cut, {tally.server_errors} responses >= 500, statuses {dict(tally.statuses)}"
    )
    OUTPUT_DIR.mkdir(exist_ok=True)
    with (OUTPUT_DIR / "fault-tests.txt").open("a") as out:
        out.write(line + "\n")
    print(line)
    return line


def test_eight_writers_through_two_workers_lose_nothing(site):
    tally, kills = _load(site)
    line = _report("8 writers", tally, kills)
    assert tally.server_errors == 0, (line, tally.failures[:10])
    assert len(tally.answers) >= CLIENTS * 3, line
    assert _drained(site, _member(site, Tally(), 0)) == 0
    assert _check_nothing_lost(site, tally) == []
    assert _points_drift(site) == 0


def test_a_killed_worker_loses_nothing_acknowledged(site):
    tally, kills = _load(site, kill_workers=2)
    line = _report("8 writers, workers killed", tally, kills)
    assert kills == 2
    assert tally.server_errors == 0, (line, tally.failures[:10])
    assert _drained(site, _member(site, Tally(), 0)) == 0
    assert _check_nothing_lost(site, tally) == []
    assert _points_drift(site) == 0


def test_search_recovers_by_itself_when_its_index_is_deleted(site):
    tally = Tally()
    writer = _member(site, tally, 0)
    words = []
    for i in range(6):
        word = f"zqidx{i}x"
        status, _text, _location = writer.post(
            "/questions/2/answers", {"body": f"Answer {word} before the index is gone."}, "/questions/2"
        )
        assert status == 302
        words.append(word)
    assert _drained(site, writer) == 0
    shutil.rmtree(site.index_dir)
    reader = Browser(site.base, tally)
    deadline, found = time.monotonic() + 45, set()
    i = 0
    while time.monotonic() < deadline and len(found) < len(words):
        i += 1
        if i % 5 == 0:  # writes go on meanwhile
            writer.post("/questions/3/answers", {"body": f"Written while search rebuilds zqw{i}x."}, "/questions/3")
        for word in words:
            _status, page, _location = reader.request("GET", f"/search?q={word}")
            if "/questions/2/" in page:
                found.add(word)
        time.sleep(0.3)
    line = _report("index deleted", tally, 0)
    assert tally.server_errors == 0, (line, tally.failures[:10])
    assert found == set(words), line

"""gunicorn for `python -m bench http`: a server on a free port, its workers' CPU time and memory, and plain
HTTP requests to it (a sign-in through the real form, timed sequential requests)."""

from __future__ import annotations

import http.client
import os
import re
import signal
import socket
import statistics
import subprocess
import sys
import time
import urllib.parse
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from bench.comparison import ROOT

GUNICORN = Path(sys.executable).with_name("gunicorn")

def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@dataclass
class Server:
    process: subprocess.Popen
    port: int

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def worker_pids(self) -> list[int]:
        """gunicorn's workers: the children of the master process."""
        pids = []
        for stat in Path("/proc").glob("[0-9]*/stat"):
            try:
                fields = stat.read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == self.process.pid:
                pids.append(int(stat.parent.name))
        return sorted(pids)


def cpu_seconds(pids: Sequence[int]) -> float:
    """User + system CPU time the processes have used so far (from /proc/<pid>/stat, in clock ticks)."""
    ticks = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        ticks += int(fields[11]) + int(fields[12])  # utime, stime (fields 14 and 15 of proc(5))
    return ticks / os.sysconf("SC_CLK_TCK")


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


@contextmanager
def gunicorn(app_spec: str, env: dict[str, str], workers: int, log_path: Path) -> Iterator[Server]:
    """gunicorn with `workers` sync workers on a free port of 127.0.0.1, until the block ends."""
    port = free_port()
    command = [str(GUNICORN), "--workers", str(workers), "--worker-class", "sync", "--bind", f"127.0.0.1:{port}",
               "--chdir", str(ROOT), "--log-level", "warning", app_spec]
    with log_path.open("w") as log_file:
        process = subprocess.Popen(command, env=  # noqa: S603 - our own arguments
                                   {**os.environ, **env}, stdout=log_file, stderr=subprocess.STDOUT,
                                   start_new_session=True)
        server = Server(process, port)
        try:
            _wait_until_up(server, log_path)
            yield server
        finally:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def _wait_until_up(server: Server, log_path: Path, timeout_s: float = 90) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise RuntimeError(f"gunicorn exited ({server.process.returncode}); see {log_path}")
        try:
            if fetch(server.port, "/").status < 500:
                return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"gunicorn did not answer within {timeout_s:.0f}s; see {log_path}")


# --- plain HTTP ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Response:
    status: int
    body: str
    cookies: dict[str, str]
    location: str | None


def fetch(port: int, path: str, cookie: str | None = None, form: dict[str, str] | None = None,
          connection: http.client.HTTPConnection | None = None) -> Response:
    conn = connection or http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    headers = {"Cookie": cookie} if cookie else {}
    body = None
    if form is not None:
        body = urllib.parse.urlencode(form)
        headers["Content-Type"] = "application/x-www-form-urlencoded"
    conn.request("POST" if form is not None else "GET", path, body=body, headers=headers)
    answer = conn.getresponse()
    text = answer.read().decode("utf-8", "replace")
    cookies = {}
    for header in answer.headers.get_all("Set-Cookie") or []:
        name, _, rest = header.partition("=")
        cookies[name.strip()] = rest.split(";", 1)[0]
    if connection is None:
        conn.close()
    return Response(answer.status, text, cookies, answer.headers.get("Location"))


def _cookie_header(cookies: dict[str, str]) -> str:
    return "; ".join(f"{name}={value}" for name, value in cookies.items() if value)


def sign_in(port: int, username: str, password: str) -> str:
    """A session cookie from the real sign-in form (CSRF token and all), as a browser gets one."""
    page = fetch(port, "/login")
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page.body)
    if page.status != 200 or not token:
        raise RuntimeError(f"the sign-in page answered {page.status} without a CSRF token")
    cookies = dict(page.cookies)
    signed = fetch(port, "/login", _cookie_header(cookies),
                   {"csrf_token": token.group(1), "login": username, "password": password})
    cookies.update(signed.cookies)
    if signed.status != 302:
        raise RuntimeError(f"signing in as {username} answered {signed.status}, not a redirect")
    return _cookie_header(cookies)


@dataclass(frozen=True)
class Sequential:
    median_ms: float  # wall time seen by the client, one request at a time
    cpu_ms: float  # the workers' CPU time per request: what other processes on the machine cannot inflate


def sequential(server: Server, path: str, repeat: int, cookie: str | None = None) -> Sequential:
    """`repeat` requests one after another on one keep-alive connection: the median time of one, and the
    workers' CPU time per request (a server busy with other work stretches the first, hardly the second)."""
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=30)
    workers = server.worker_pids()
    times = []
    cpu_before = cpu_seconds(workers)
    try:
        for _ in range(repeat):
            started = time.perf_counter()
            fetch(server.port, path, cookie, connection=conn)
            times.append((time.perf_counter() - started) * 1000)
    finally:
        conn.close()
    return Sequential(statistics.median(times), (cpu_seconds(workers) - cpu_before) * 1000 / repeat)



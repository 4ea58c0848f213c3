"""`python -m bench http`: Agora under gunicorn, driven by wrk, beside a bare Flask "hello world" floor.

Issue 15's comparison, reproducible on any machine: the comparison data set (bench.comparison) is loaded,
then gunicorn (2 sync workers on 127.0.0.1, a free port) serves first the hello-world floor and then Agora
with production settings, and wrk (Debian's `wrk`) loads each page at 8 connections for 20 s. Every page
is given as req/s, wrk's latency percentiles and the ratio to the floor measured in the same run, plus the
median of sequential single requests (one connection, so the server time of one page without queueing).
After the load the RSS of each gunicorn worker is read from /proc. `--markdown` prints the table for
bench/RESULTS.md, `--json` the figures for a machine.
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import sys
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from bench import comparison
from bench.machine import machine
from bench.serving import fetch, gunicorn, rss_mb, sequential, sign_in
from bench.wrk import WrkResult, run_wrk, wrk_path

Log = Callable[[str], None]

ROOT = comparison.ROOT
RSS_TARGET_MB = 150
# Issue 15's targets, as shares of the hello floor measured in the same run, and search's single request.
VISITOR_TARGET = 0.30
MEMBER_TARGET = 0.05
SEARCH_TARGET_MS = 15.0


# --- the run -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Target:
    name: str
    path: str
    signed_in: bool = False
    expect: str = ""  # a string the page must hold (checked once before the load)
    goal: float | None = None  # the share of the floor to reach under wrk
    goal_ms: float | None = None  # or the single request's most milliseconds


@dataclass
class Row:
    name: str
    path: str
    signed_in: bool
    wrk: WrkResult
    single_ms: float | None
    cpu_ms: float | None = None
    ratio: float | None = None
    target: float | None = None
    target_ms: float | None = None

    @property
    def met(self) -> bool | None:
        if self.target_ms is not None and self.single_ms is not None:
            return self.single_ms <= self.target_ms
        if self.target is None or self.ratio is None:
            return None
        return self.ratio >= self.target


@dataclass
class Report:
    machine: dict[str, Any]
    settings: dict[str, Any]
    rows: list[Row] = field(default_factory=list)
    workers_rss_mb: list[float] = field(default_factory=list)
    floor_workers_rss_mb: list[float] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        rows = []
        for row in self.rows:
            rows.append({**asdict(row), "met": row.met})
        return {"machine": self.machine, "settings": self.settings, "rows": rows, "workers_rss_mb": self.workers_rss_mb,
                "floor_workers_rss_mb": self.floor_workers_rss_mb, "rss_target_mb": RSS_TARGET_MB}


def targets(seed: comparison.ComparisonSeed) -> list[Target]:
    question = f"/questions/{seed.hot_question_id}/{seed.hot_question_slug}"
    return [
        Target("question, 50 answers (visitor)", question, expect=f'/questions/{seed.hot_question_id}',
               goal=VISITOR_TARGET),
        Target("home / list (visitor)", "/", goal=VISITOR_TARGET),
        Target("board (visitor)", f"/boards/{seed.board_slug}", goal=VISITOR_TARGET),
        # A visitor's repeated search is a kept page; a member's is searched every time: the search's own cost.
        Target(f"search `{seed.search_word}` (visitor)", f"/search?q={seed.search_word}"),
        Target(f"search `{seed.search_word}` (signed in, never kept)", f"/search?q={seed.search_word}",
               signed_in=True, expect='action="/logout"', goal_ms=SEARCH_TARGET_MS),
        Target("question, 50 answers (signed in)", question, signed_in=True, expect='action="/logout"',
               goal=MEMBER_TARGET),
    ]


def agora_env(seed: comparison.ComparisonSeed) -> dict[str, str]:
    """Production settings over the seeded database; the visitors' page cache on when this Agora has one."""
    from config import config_for

    env = {
        "AGORA_ENV": "production",
        "SECRET_KEY": secrets.token_hex(32),
        "DATABASE_URL": seed.url,
        "SEARCH_INDEX_DIR": seed.search_index_dir,
        "PUBLIC_URL": "http://127.0.0.1",
    }
    if "PAGE_CACHE" in config_for("production"):
        env["PAGE_CACHE"] = "1"
    return env


def measure(args: argparse.Namespace, seed: comparison.ComparisonSeed, log: Log = print) -> Report:
    duration = 5 if args.quick else args.duration
    report = Report(machine=machine(seed.url), settings={
        "duration_s": duration, "connections": args.connections, "threads": args.threads, "workers": args.workers,
        "sequential": args.sequential, "database": seed.url.split("://", 1)[0],
        "questions": seed.rows.get("questions"), "answers": seed.rows.get("answers"),
        "users": seed.rows.get("users"),
    })
    logs = Path(args.log_dir)
    logs.mkdir(parents=True, exist_ok=True)

    with gunicorn("bench.hello:create_app()", {}, args.workers, logs / "hello.log") as floor:
        log(f"hello floor on :{floor.port}: wrk {duration}s at {args.connections} connections")
        result = run_wrk(floor.base + "/", duration, args.connections, args.threads)
        single = sequential(floor, "/", args.sequential)
        report.rows.append(Row("hello floor", "/", False, result, single.median_ms, single.cpu_ms))
        report.floor_workers_rss_mb = [round(rss_mb(pid), 1) for pid in floor.worker_pids()]
    floor_rate = result.requests_per_second

    env = agora_env(seed)
    report.settings["page_cache"] = "PAGE_CACHE" in env
    with gunicorn("wsgi:app", env, args.workers, logs / "agora.log") as agora:
        cookie = sign_in(agora.port, seed.username, seed.password)
        for target in targets(seed):
            jar = cookie if target.signed_in else None
            page = fetch(agora.port, target.path, jar)
            if page.status != 200 or target.expect not in page.body:
                raise RuntimeError(f"{target.path} answered {page.status} without {target.expect!r}")
            single = sequential(agora, target.path, args.sequential, jar)  # also warms both workers
            log(f"{target.name}: single request {single.median_ms:.1f} ms ({single.cpu_ms:.1f} ms CPU); "
                f"wrk {duration}s")
            result = run_wrk(agora.base + target.path, duration, args.connections, args.threads, jar)
            report.rows.append(Row(target.name, target.path, target.signed_in, result, single.median_ms,
                                   single.cpu_ms, result.requests_per_second / floor_rate if floor_rate else None,
                                   target.goal, target.goal_ms))
        report.workers_rss_mb = [round(rss_mb(pid), 1) for pid in agora.worker_pids()]
    report.machine["load_average_after"] = [round(n, 2) for n in os.getloadavg()]
    return report


# --- output --------------------------------------------------------------------------------------


def _verdict(row: Row) -> str:
    met = row.met
    if met is None:
        return ""
    goal = f"≤ {row.target_ms:g} ms single request" if row.target_ms is not None else f"≥ {row.target:.0%}"
    return f"{'met' if met else 'not met'} ({goal})"


def _rate(per_second: float) -> str:
    """Whole requests per second, with a decimal below 100 (a busy machine's 6.4 is not 6)."""
    return f"{per_second:,.0f}" if per_second >= 100 else f"{per_second:.1f}"


def table_rows(report: Report) -> list[list[str]]:
    rows = []
    for row in report.rows:
        latency = row.wrk.latency_ms
        rows.append([
            row.name, _rate(row.wrk.requests_per_second),
            f"{latency['50']:.1f} / {latency['90']:.1f} / {latency['99']:.1f}",
            "1.00" if row.ratio is None and row.name == "hello floor" else f"{row.ratio:.3f}" if row.ratio else "",
            f"{row.single_ms:.1f}" if row.single_ms is not None else "",
            f"{row.cpu_ms:.1f}" if row.cpu_ms is not None else "",
            str(row.wrk.non_2xx_3xx + row.wrk.socket_errors), _verdict(row),
        ])
    return rows


HEADERS = ["page", "req/s", "latency p50 / p90 / p99 (ms)", "× floor", "single request (ms)",
           "server CPU / request (ms)", "errors", "target"]


def describe_run(report: Report) -> list[str]:
    """The machine and the settings, as bullet points for RESULTS.md."""
    m, s = report.machine, report.settings
    return [
        f"- Machine: {m['nproc']} cores ({m['cpu']}), {m['ram_gb']} GB RAM; Python {m['python']}, {m['database']}, "
        f"{m['gunicorn']}, {m['wrk']}.",
        f"- Load average (1, 5, 15 min) before the run {m['load_average_before']}, after "
        f"{m.get('load_average_after', '?')}: the machine is shared, so other work competes for the cores.",
        f"- Data: {s['users']:,} members, {s['questions']:,} questions, {s['answers']:,} answers on {s['database']}; "
        f"gunicorn {s['workers']} sync workers; wrk {s['threads']} threads, {s['connections']} connections, "
        f"{s['duration_s']} s per page; single request = median of {s['sequential']} sequential requests on one "
        f"connection, server CPU = the workers' user+system CPU time over those requests / {s['sequential']}; "
        f"visitors' page cache {'on' if s.get('page_cache') else 'not available in this build'}.",
    ]


def markdown(report: Report) -> str:
    lines = [*describe_run(report), ""]
    lines += ["| " + " | ".join(HEADERS) + " |", "| --- | ---: | ---: | ---: | ---: | ---: | ---: | --- |"]
    lines += ["| " + " | ".join(cells) + " |" for cells in table_rows(report)]
    lines.append("")
    lines.append(_memory_line(report))
    return "\n".join(lines)


def _memory_line(report: Report) -> str:
    worst = max(report.workers_rss_mb, default=0.0)
    verdict = "met" if worst and worst <= RSS_TARGET_MB else "not met"
    return (f"Agora worker RSS after the load: {', '.join(f'{mb:.0f} MB' for mb in report.workers_rss_mb)} "
            f"(target ≤ {RSS_TARGET_MB} MB each: {verdict}); hello floor workers: "
            f"{', '.join(f'{mb:.0f} MB' for mb in report.floor_workers_rss_mb)}.")


def text_table(report: Report) -> str:
    rows = [HEADERS, *table_rows(report)]
    widths = [max(len(cells[i]) for cells in rows) for i in range(len(HEADERS))]
    out = ["  ".join(cell.ljust(width) if i in (0, len(HEADERS) - 1) else cell.rjust(width)
                     for i, (cell, width) in enumerate(zip(cells, widths, strict=True))) for cells in rows]
    out.insert(1, "  ".join("-" * width for width in widths))
    return "\n".join([*describe_run(report), "", *out, "", _memory_line(report)])


# --- command line --------------------------------------------------------------------------------


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench http", description=__doc__.splitlines()[0])
    parser.add_argument("--db", default=None, help=f"SQLAlchemy URL (default sqlite:///{comparison.DEFAULT_DB})")
    parser.add_argument("--reuse", action="store_true", help="use the database at --db as loaded before")
    parser.add_argument("--scale", type=float, default=None, help="DATASET_SCALE for the seed (default 1)")
    parser.add_argument("--duration", type=int, default=20, help="seconds of wrk per page (default 20)")
    parser.add_argument("--quick", action="store_true", help="5 s per page instead of --duration")
    parser.add_argument("--connections", type=int, default=8, help="wrk connections (default 8)")
    parser.add_argument("--threads", type=int, default=2, help="wrk threads (default 2)")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn sync workers (default 2)")
    parser.add_argument("--sequential", type=int, default=50, help="sequential requests per page (default 50)")
    parser.add_argument("--log-dir", default=str(ROOT / "instance" / "bench-http"), help="gunicorn logs")
    output = parser.add_mutually_exclusive_group()
    output.add_argument("--json", action="store_true", help="print the figures as JSON")
    output.add_argument("--markdown", action="store_true", help="print the table as Markdown")
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    wrk_path()  # say so before seeding for minutes
    if args.scale is not None:
        os.environ["DATASET_SCALE"] = str(args.scale)
    log: Log = (lambda line: print(line, file=sys.stderr)) if args.json or args.markdown else print
    url = args.db or comparison.default_url()
    index_dir = comparison.index_dir_for(url)
    if args.reuse:
        seed = comparison.describe(url, index_dir)
    else:
        log("Loading the comparison data set (python -m bench seed --comparison)")
        seed = comparison.seed_comparison(url, index_dir, log)
    report = measure(args, seed, log)
    if args.json:
        print(json.dumps(report.as_dict(), indent=2))
    elif args.markdown:
        print(markdown(report))
    else:
        print(text_table(report))
    return 0


if __name__ == "__main__":
    sys.exit(main())

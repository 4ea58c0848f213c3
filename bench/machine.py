"""What the figures of `python -m bench http` depend on: cores, CPU, memory, versions and the load average."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from bench.serving import GUNICORN
from bench.wrk import wrk_path


def _first(path: str, prefix: str) -> str:
    try:
        lines = Path(path).read_text().splitlines()
    except OSError:
        return "?"
    return next((line.split(":", 1)[1].strip() for line in lines if line.startswith(prefix)), "?")


def _version(command: list[str]) -> str:
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=10)  # noqa: S603 - fixed commands
    except (OSError, subprocess.TimeoutExpired):
        return "?"
    return (done.stdout or done.stderr).strip().splitlines()[0] if (done.stdout or done.stderr).strip() else "?"


def database_version(url: str) -> str:
    from sqlalchemy import create_engine, text

    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            if engine.dialect.name == "sqlite":
                return "SQLite " + conn.scalar(text("SELECT sqlite_version()"))
            return conn.scalar(text("SELECT version()")).split(" on ")[0]
    finally:
        engine.dispose()


def machine(url: str) -> dict[str, Any]:
    """What the figures depend on, for RESULTS.md: cores, CPU, memory, versions, and how busy the machine was."""
    memory_kb = _first("/proc/meminfo", "MemTotal").split()[0]
    return {
        "nproc": os.cpu_count(),
        "cpu": _first("/proc/cpuinfo", "model name"),
        "ram_gb": round(int(memory_kb) / 1024 / 1024, 1) if memory_kb.isdigit() else None,
        "python": sys.version.split()[0],
        "database": database_version(url),
        "gunicorn": _version([str(GUNICORN), "--version"]),
        "wrk": _version([wrk_path(), "--version"]).split(" [")[0],
        "load_average_before": [round(n, 2) for n in os.getloadavg()],
    }



"""Which process owns a `crawl_runs` row, and closing the rows of processes that are gone.

A crawl killed outright (SIGKILL, OOM, a reboot) cannot close its row: it stays `running`.
Each row records the host and pid of its process (and, on Linux, when that process
started, so a reused pid is not taken for it); any run starting later on the same host
marks such a row `failed`. A row from another host is left for a process there to judge.
"""

from __future__ import annotations

import os
import socket
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from storage.models import CrawlRun

STALE_ERROR = "the crawl process (pid {pid} on {host}) ended without closing its run"


def process_owner() -> dict[str, Any]:
    """What `crawl_runs.stats` records of the process that starts a run."""
    owner: dict[str, Any] = {"host": socket.gethostname(), "pid": os.getpid()}
    started = _process_start(os.getpid())
    if started is not None:
        owner["process_start"] = started
    return owner


def close_stale_runs(session: Session, now: datetime) -> list[int]:
    """Mark `failed` the running rows of this host whose process is gone; their ids."""
    host = socket.gethostname()
    closed = []
    for run in session.scalars(select(CrawlRun).where(CrawlRun.status == "running")):
        stats = run.stats or {}
        if stats.get("host") != host or not isinstance(stats.get("pid"), int):
            continue
        if not _alive(stats["pid"], stats.get("process_start")):
            error = STALE_ERROR.format(pid=stats["pid"], host=host)
            run.stats = {**stats, "error": error}
            run.status, run.finished_at = "failed", now
            closed.append(run.id)
    return closed


def _alive(pid: int, process_start: str | None) -> bool:
    if process_start is not None and Path("/proc/self/stat").exists():
        return _process_start(pid) == process_start
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process: alive
        return True
    return True


def _process_start(pid: int) -> str | None:
    """The process's start time in clock ticks after boot (/proc/PID/stat, field 22)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return stat.rsplit(")", 1)[1].split()[19]

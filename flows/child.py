"""Run one `python -m wenku ...` command in its own process, with a timeout and a grace period.

A crawl gets a fresh process (and a fresh Twisted reactor) each time. On timeout the child is
sent SIGTERM, which Scrapy handles as a graceful shutdown (the archive worker commits what it
has), and is killed only when it outlives the grace period.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from typing import Any

USAGE_EXIT = 2


@dataclass(frozen=True, slots=True)
class ChildResult:
    command: list[str]
    code: int
    stdout: str
    stderr: str
    seconds: float
    timed_out: bool = False
    timeout: float = 0.0

    @property
    def ok(self) -> bool:
        return self.code == 0 and not self.timed_out

    def json(self) -> dict[str, Any] | None:
        """The child's --json output, or None when it printed none (it crashed or was killed)."""
        try:
            data = json.loads(self.stdout)
        except ValueError:
            return None
        return data if isinstance(data, dict) else None

    def error(self) -> str:
        """One line saying why the child failed."""
        if self.timed_out:
            return f"timed out after {self.timeout:g} s (exit {self.code})"
        data = self.json() or {}
        lines = [line for line in self.stderr.splitlines() if line.strip()]
        detail = data.get("error") or (lines[-1] if lines else None)
        if detail is None and data.get("finish_reason"):
            detail = f"finish reason {data['finish_reason']}"
        return f"exit {self.code}: {detail or 'no error message'}"


def run_wenku(
    args: list[str], timeout: float, grace: float, env: dict[str, str] | None = None
) -> ChildResult:
    """Run `python -m wenku *args`, stopping it (SIGTERM, then SIGKILL) after `timeout` s."""
    command = [sys.executable, "-m", "wenku", *args]
    started = time.monotonic()
    child = subprocess.Popen(
        command,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env={**os.environ, **(env or {})},
        text=True,
        encoding="utf-8",
        errors="replace",
    )
    timed_out = False
    try:
        stdout, stderr = child.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        timed_out = True
        stdout, stderr = stop(child, grace)
    except BaseException:  # the flow run was cancelled or interrupted: take the child along
        stop(child, grace)
        raise
    seconds = time.monotonic() - started
    return ChildResult(command, child.returncode, stdout, stderr, seconds, timed_out, timeout)


def stop(child: subprocess.Popen[str], grace: float) -> tuple[str, str]:
    """SIGTERM (a graceful shutdown for Scrapy), then SIGKILL after `grace` seconds."""
    child.send_signal(signal.SIGTERM)
    try:
        return child.communicate(timeout=grace)
    except subprocess.TimeoutExpired:
        child.kill()
        return child.communicate()

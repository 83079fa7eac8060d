"""`python -m demosite serve|truth` as a user runs it."""

from __future__ import annotations

import json
import re
import signal
import subprocess
import sys
import urllib.request
from pathlib import Path

from demosite import DemoSite
from tests.conftest import WAIT_SECONDS


def _status(url: str) -> int:
    with urllib.request.urlopen(url, timeout=10) as response:
        return int(response.status)


def test_cli_truth_prints_paths() -> None:
    command = [sys.executable, "-m", "demosite", "truth", "--pages", "12", "--night", "2"]
    done = subprocess.run(command, capture_output=True, text=True, timeout=60, check=True)
    printed = json.loads(done.stdout)
    assert printed["site"] == {"seed": 7, "night": 2, "pages": 12}
    assert all(path.startswith("/") for path in printed["pages"])
    assert printed == DemoSite.build(pages=12, night=2).truth()


def test_cli_serve_until_sigterm(tmp_path: Path) -> None:
    log = tmp_path / "requests.jsonl"
    command = [sys.executable, "-m", "demosite", "serve", "--pages", "12", "--log", str(log)]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)
    try:
        assert process.stdout is not None
        url = process.stdout.readline().strip()
        assert re.fullmatch(r"http://127\.0\.0\.1:\d+", url)
        assert _status(url + "/robots.txt") == 200
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=WAIT_SECONDS) == 0
    finally:
        if process.poll() is None:
            process.kill()
        process.communicate()
    entry = json.loads(log.read_text().splitlines()[0])
    assert (entry["path"], entry["status"]) == ("/robots.txt", 200)


def test_cli_rejects_a_bad_night() -> None:
    command = [sys.executable, "-m", "demosite", "truth", "--night", "3"]
    assert subprocess.run(command, capture_output=True, timeout=60).returncode == 2

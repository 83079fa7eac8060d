"""`make bench`: how long `wenku recrawl URL` takes, as a whole process (interpreter start
included), next to bare Scrapy fetching the same page (`scrapy fetch`) in the same run.

Three medians of five runs each, with no Prefect API configured: a demo page not yet in the
archive (fetched, cleaned, archived: outcome `new`), the same pages again (a conditional
GET: `not_modified`), and a refused connection (outcome `failed`, exit 1). Targets: the
first and the last ≤ 2 s. The load average is printed: the machine may be busy.
"""

from __future__ import annotations

import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from demosite import DemoSite
from wenku.demo import demo_server
from wenku.schedule import free_port

RUNS = 5
PAGES = 60
TARGET_SECONDS = 2.0


@dataclass(frozen=True)
class Runs:
    wall: float  # median seconds, as the user waits
    cpu: float  # median CPU seconds (user + system): what it costs whatever the load
    codes: set[int]


def timed(command: list[str], cwd: Path, env: dict[str, str]) -> tuple[float, float, int]:
    """Wall seconds, CPU seconds and exit code of one whole process."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.monotonic()
    done = subprocess.run(command, cwd=cwd, env=env, capture_output=True)
    wall = time.monotonic() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime
    return wall, cpu, done.returncode


def median_of(commands: list[list[str]], cwd: Path, env: dict[str, str]) -> Runs:
    runs = [timed(command, cwd, env) for command in commands]
    return Runs(
        statistics.median(wall for wall, _, _ in runs),
        statistics.median(cpu for _, cpu, _ in runs),
        {code for _, _, code in runs},
    )


def page_urls(base: str, pages: int, count: int) -> list[str]:
    """`count` one-page documents (/doc/N.html) of the demo site (seed 7, night 1)."""
    truth = DemoSite.build(pages, 7, night=1).truth(bodies=False)["pages"]
    paths = sorted(
        path
        for path, page in truth.items()
        if path.startswith("/doc/")
        and page.get("content_hash")
        and page.get("status", 200) == 200
        and page.get("crawlable", True)
    )
    return [base + path for path in paths[:count]]


def report(what: str, runs: Runs, peer: Runs | None = None) -> None:
    verdict = "ok" if runs.wall <= TARGET_SECONDS else f"over {TARGET_SECONDS:g} s"
    ratio = f"  {runs.wall / peer.wall:.2f}× bare scrapy fetch" if peer else ""
    print(
        f"  {what:<42} {runs.wall:5.2f} s (CPU {runs.cpu:4.2f} s)"
        f"  exit {sorted(runs.codes)}{ratio}  {verdict}"
    )


def main() -> None:
    with tempfile.TemporaryDirectory(prefix="wenku-bench-recrawl-") as folder:
        work = Path(folder)
        env = {**os.environ, "WENKU_DB_URL": f"sqlite:///{work / 'archive.db'}"}
        env["WENKU_WARC_DIR"] = str(work / "warc")
        env.pop("PREFECT_API_URL", None)
        wenku = [sys.executable, "-m", "wenku", "recrawl"]
        with demo_server(PAGES, warm=True) as base:
            first, *pages = page_urls(base, PAGES, RUNS + 1)
            timed([*wenku, first], work, env)  # warm: archive created, model cache built
            print(f"wenku recrawl, medians of {RUNS} whole processes (load average {_load()}):")
            scrapy = [[sys.executable, "-m", "scrapy", "fetch", "--nolog", url] for url in pages]
            peer = median_of(scrapy, work, env)
            print(f"  {'bare scrapy fetch of a demo page':<42} {peer.wall:5.2f} s", end="")
            print(f" (CPU {peer.cpu:4.2f} s)")
            new = median_of([[*wenku, url] for url in pages], work, env)
            report("a demo page (new: fetch, clean, archive)", new, peer)
            again = median_of([[*wenku, url] for url in pages], work, env)
            report("the same again (304 not_modified)", again, peer)
        refused = [[*wenku, f"http://127.0.0.1:{free_port()}/1.html"] for _ in range(RUNS)]
        report("a refused connection (failed)", median_of(refused, work, env))
        print(f"  (load average after: {_load()}; on an idle machine, wall time ≈ CPU time)")


def _load() -> str:
    return " ".join(f"{value:.2f}" for value in os.getloadavg())


if __name__ == "__main__":
    main()

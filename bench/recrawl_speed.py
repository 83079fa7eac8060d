"""`make bench`: how long `wenku recrawl URL` takes, as a whole process (interpreter start
included), next to bare Scrapy fetching the same page (`scrapy fetch`) in the same run.

Three medians of five runs each, with no Prefect API configured: a demo page not yet in the
archive (fetched, cleaned, archived: outcome `new`), the same pages again (a conditional
GET: `not_modified`), and a refused connection (outcome `failed`, exit 1). Targets: the
first and the last ≤ 2 s. The load average is printed: the machine may be busy.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from wenku.demo import demo_server
from wenku.schedule import free_port

RUNS = 5
TARGET_SECONDS = 2.0


def timed(command: list[str], cwd: Path, env: dict[str, str]) -> tuple[float, int]:
    """Wall seconds and exit code of one whole process."""
    started = time.monotonic()
    done = subprocess.run(command, cwd=cwd, env=env, capture_output=True)
    return time.monotonic() - started, done.returncode


def median_of(commands: list[list[str]], cwd: Path, env: dict[str, str]) -> tuple[float, set[int]]:
    runs = [timed(command, cwd, env) for command in commands]
    return statistics.median(seconds for seconds, _ in runs), {code for _, code in runs}


def page_urls(base: str, count: int) -> list[str]:
    """`count` document pages of the demo site (its home page links them)."""
    from urllib.request import urlopen

    with urlopen(base + "/") as home:
        html = home.read().decode("utf-8", "replace")
    paths = sorted(set(part.split('"')[0] for part in html.split('href="/doc/')[1:]))
    return [f"{base}/doc/{path}" for path in paths[:count]]


def report(what: str, seconds: float, codes: set[int], peer: float | None = None) -> None:
    verdict = "ok" if seconds <= TARGET_SECONDS else f"over {TARGET_SECONDS:g} s"
    ratio = f"  ({seconds / peer:.2f}× bare scrapy fetch)" if peer else ""
    print(f"  {what:<42} median {seconds:5.2f} s  exit {sorted(codes)}{ratio}  {verdict}")


def main() -> None:
    with tempfile.TemporaryDirectory(prefix="wenku-bench-recrawl-") as folder:
        work = Path(folder)
        env = {**os.environ, "WENKU_DB_URL": f"sqlite:///{work / 'archive.db'}"}
        env["WENKU_WARC_DIR"] = str(work / "warc")
        env.pop("PREFECT_API_URL", None)
        wenku = [sys.executable, "-m", "wenku", "recrawl"]
        with demo_server(60, warm=True) as base:
            first, *pages = page_urls(base, RUNS + 1)
            timed([*wenku, first], work, env)  # warm: archive created, model cache built
            print(f"wenku recrawl, {RUNS} whole processes each (load average {_load()}):")
            scrapy = [[sys.executable, "-m", "scrapy", "fetch", "--nolog", url] for url in pages]
            peer, _ = median_of(scrapy, work, env)
            print(f"  {'bare scrapy fetch of a demo page':<42} median {peer:5.2f} s")
            new, codes = median_of([[*wenku, url] for url in pages], work, env)
            report("a demo page (new: fetch, clean, archive)", new, codes, peer)
            again, codes = median_of([[*wenku, url] for url in pages], work, env)
            report("the same again (304 not_modified)", again, codes, peer)
        refused = [[*wenku, f"http://127.0.0.1:{free_port()}/1.html"] for _ in range(RUNS)]
        seconds, codes = median_of(refused, work, env)
        report("a refused connection (failed)", seconds, codes)
        print(f"  (load average after: {_load()})")


def _load() -> str:
    return " ".join(f"{value:.2f}" for value in os.getloadavg())


if __name__ == "__main__":
    main()

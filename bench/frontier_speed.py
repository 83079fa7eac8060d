"""A polite, latency-bound crawl on one process and on two sharing a Redis frontier.

The demo site answers every request 50 ms late and each crawl process keeps at most two
requests in flight on it (CONCURRENT_REQUESTS_PER_DOMAIN = 2): one process is bound by
the latency, not by CPU, so two should go about twice as fast (target ≥ 1.7×).
Throughput is the server's: requests answered between its first and last request; the
wall time of each run, which includes the processes' wait for the frontier to stay
empty before they leave, is printed too.

    python bench/frontier_speed.py --pages 1500 --redis redis://127.0.0.1:6379/0
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path
from typing import Any

from demosite import DemoServer
from demosite.site import Response

LATENCY_SECONDS = 0.05
PER_DOMAIN = 2


class SlowDemoServer(DemoServer):
    """The demo site, 50 ms late on every answer, noting when each request came."""

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.times: list[float] = []
        self._times_lock = threading.Lock()

    def respond(self, path: str) -> Response:
        with self._times_lock:
            self.times.append(time.monotonic())
        time.sleep(LATENCY_SECONDS)
        return super().respond(path)

    def rate(self) -> float:
        span = max(self.times) - min(self.times)
        return len(self.times) / span if span else 0.0


def crawl_processes(url: str, count: int, redis_url: str | None, tmp: Path) -> float:
    """Run `count` crawl processes to the end; return the wall time."""
    run = uuid.uuid4().hex[:10]
    db = f"sqlite:///{tmp}/{run}.db"
    started = time.monotonic()
    children = [
        subprocess.Popen(
            [sys.executable, __file__, "--child", url, db, str(tmp / f"warc-{run}"), run]
            + ([redis_url] if redis_url and count > 1 else []),
            stdout=subprocess.PIPE,
            text=True,
        )
        for _ in range(count)
    ]
    for child in children:
        out, _ = child.communicate()
        if child.returncode:
            raise SystemExit(f"crawl process failed ({child.returncode}): {out[-500:]}")
    return time.monotonic() - started


def child(url: str, db: str, warc: str, run: str, redis_url: str | None) -> None:
    from crawler.profiles import profile_for_urls
    from crawler.run import CrawlJob, run_crawl

    settings = {"CONCURRENT_REQUESTS_PER_DOMAIN": PER_DOMAIN, "CONCURRENT_REQUESTS": PER_DOMAIN}
    job = CrawlJob(
        profile_for_urls([url]),
        db,
        Path(warc),
        progress=False,
        frontier=redis_url,
        frontier_run=run,
        settings=settings,
    )
    print(json.dumps(run_crawl(job).to_json(), default=str))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--pages", type=int, default=1500)
    parser.add_argument(
        "--redis", default=os.environ.get("WENKU_TEST_REDIS_URL") or "redis://127.0.0.1:6379/0"
    )
    parser.add_argument("--child", nargs="+", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(*args.child[:4], args.child[4] if len(args.child) > 4 else None)
        return
    rates, walls = {}, {}
    with tempfile.TemporaryDirectory() as tmp:
        for count in (1, 2):
            with SlowDemoServer(pages=args.pages, seed=7, night=1) as server:
                walls[count] = crawl_processes(server.url, count, args.redis, Path(tmp))
                rates[count] = server.rate()
                requests = len(server.times)
            print(
                f"{count} process{'es' if count > 1 else ''}: {requests} requests, "
                f"{rates[count]:.1f} requests/s at the server, {walls[count]:.1f} s wall"
            )
    print(
        f"two processes / one: {rates[2] / rates[1]:.2f}× requests/s (target >= 1.7), "
        f"{walls[1] / walls[2]:.2f}× wall time; {LATENCY_SECONDS * 1000:.0f} ms a response, "
        f"{PER_DOMAIN} requests per domain per process, load average "
        + " ".join(f"{x:.2f}" for x in os.getloadavg())
    )


if __name__ == "__main__":
    main()

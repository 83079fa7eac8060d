"""`wenku demo`: serve the bundled demo library in a child process and crawl it."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager

from crawler.profiles import profile_for_urls
from crawler.run import CrawlJob, CrawlSummary, run_crawl
from wenku.config import Settings


@contextmanager
def demo_server(
    pages: int, night: int = 1, seed: int = 7, port: int = 0, warm: bool = False
) -> Iterator[str]:
    """Run `python -m demosite serve` on loopback (port 0: a free one); yield its base URL.

    `warm` renders every page before serving, so that a benchmark measures the crawler.
    """
    command = [
        sys.executable,
        "-m",
        "demosite",
        "serve",
        "--pages",
        str(pages),
        "--night",
        str(night),
        "--seed",
        str(seed),
        "--port",
        str(port),
        *(["--warm"] if warm else []),
    ]
    server = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)
    try:
        assert server.stdout is not None
        url = server.stdout.readline().strip()
        if not url.startswith("http"):
            raise RuntimeError(f"demo site did not start (exit {server.poll()})")
        yield url
    finally:
        server.terminate()
        server.wait(timeout=10)


def run_demo(settings: Settings, pages: int = 200, progress: bool = True) -> CrawlSummary:
    with demo_server(pages) as url:
        profile = profile_for_urls([url + "/"], "demo")
        job = CrawlJob(
            profile,
            settings.db_url,
            settings.warc_dir,
            settings.warc_max_mb,
            kind="demo",
            progress=progress,
        )
        return run_crawl(job)

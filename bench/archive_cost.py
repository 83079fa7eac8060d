"""The archive worker's CPU per page, by phase, on the demo site's pages (no network).

Renders the demo library's pages in this process, then runs what the archive worker does
to them — cleaning, WARC, SQL (with full-text indexing) — timing each phase by CPU time.
`--profile` runs pyinstrument over the whole (pip install pyinstrument).

    python bench/archive_cost.py --pages 1000
"""

from __future__ import annotations

import argparse
import tempfile
import time
from collections import defaultdict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from demosite.site import DemoSite
from pipeline.provenance import Fetch

BASE = "http://127.0.0.1:8000"
BATCH = 200


def demo_fetches(pages: int) -> list[Fetch]:
    """Every page of the demo site as the crawler would hand it over (200s only)."""
    site = DemoSite.build(pages=pages, seed=7, night=1)
    paths = site.truth(bodies=False)["pages"]
    fetches = []
    for path in sorted(paths):
        response = site.render(path, BASE)
        if response.status != 200:
            continue
        headers = {"content-type": response.content_type, "etag": response.etag or ""}
        fetch = Fetch(BASE + path, "demo", datetime.now(UTC), 200, headers, response.body)
        fetches.append(fetch)
    return fetches


class Phases:
    def __init__(self) -> None:
        self.seconds: dict[str, float] = defaultdict(float)

    @contextmanager
    def timed(self, name: str) -> Iterator[None]:
        started = time.process_time()
        try:
            yield
        finally:
            self.seconds[name] += time.process_time() - started

    def report(self, pages: int) -> None:
        total = sum(self.seconds.values())
        for name, seconds in sorted(self.seconds.items(), key=lambda kv: -kv[1]):
            print(f"  {name:<12} {1000 * seconds / pages:6.2f} ms/page")
        outside = total - self.seconds.get("cleaning", 0.0)
        print(f"  {'total':<12} {1000 * total / pages:6.2f} ms/page")
        print(f"  {'not cleaning':<12} {1000 * outside / pages:6.2f} ms/page")


def run(fetches: list[Fetch], db_url: str, warc_dir: Path, phases: Phases) -> None:
    from crawler.workers import clean_fetch
    from crawler.writer import ArchiveWriter
    from storage.engine import ensure_current

    ensure_current(db_url)
    writer = ArchiveWriter(db_url, None, warc_dir, timer=phases.timed)
    try:
        for start in range(0, len(fetches), BATCH):
            with phases.timed("cleaning"):
                batch = [clean_fetch(fetch) for fetch in fetches[start : start + BATCH]]
            writer.write(list(batch))
        writer.finish()
    finally:
        writer.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--pages", type=int, default=1000)
    parser.add_argument("--profile", action="store_true", help="pyinstrument the run")
    args = parser.parse_args()
    fetches = demo_fetches(args.pages)
    phases = Phases()
    with tempfile.TemporaryDirectory() as tmp:
        work: Callable[[], Any] = lambda: run(  # noqa: E731
            fetches, f"sqlite:///{tmp}/cost.db", Path(tmp) / "warc", phases
        )
        if args.profile:
            from pyinstrument import Profiler

            with Profiler() as profiler:
                work()
            profiler.print(show_all=False)
        else:
            work()
    print(f"archive worker CPU, {len(fetches)} demo pages:")
    phases.report(len(fetches))


if __name__ == "__main__":
    main()

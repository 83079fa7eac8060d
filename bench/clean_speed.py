"""decode → extract → clean → repair → normalise → hash throughput on one core.

Measures `pipeline.process_page` on the seed page rebuilt as HTML (the worst case the
project knows: ~1,700 glued annotations and ~40 mojibake runs in 33 KB), on the demo
site's document pages (20 KB on average; the document-library fast path) and on the
shared real pages of `../shared/extraction-dev` when they are there (layouts wenku does
not know: the readability-lxml / trafilatura vote). Models load once,
before timing; the per-text memo caches (`gbk._first`, `gbk._last`, chrome keys) are cleared before
every page so repeated pages are not flattered.

Usage: .venv/bin/python bench/clean_speed.py [--seconds 3]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from pipeline import chrome, process_page, warm_up  # noqa: E402
from pipeline.repair import gbk  # noqa: E402
from pipeline.types import RawPage  # noqa: E402

SEED = ROOT / "tests" / "fixtures" / "pages" / "seogis_583455.gbk.html"
TARGET_PAGES_PER_S = 200  # of 20 KB pages: what the crawler fetches on the other core


def _cold(raw: RawPage) -> None:
    gbk._first.cache_clear()
    gbk._last.cache_clear()
    chrome.key.cache_clear()
    process_page(raw)


def measure(pages: list[RawPage], seconds: float) -> tuple[int, float, int]:
    """(pages cleaned, CPU seconds, bytes) over at least `seconds` of this process's CPU time."""
    done = size = 0
    start = time.process_time()
    while time.process_time() - start < seconds:
        for raw in pages:
            _cold(raw)
            done, size = done + 1, size + len(raw.body)
    return done, time.process_time() - start, size


def demo_pages() -> list[RawPage]:
    try:
        from demosite import DemoSite
    except ImportError:
        return []
    site = DemoSite.build(pages=200, seed=7, night=1)
    return [
        RawPage(url=p["url"], body=p["bytes"], headers=p["headers"]) for p in site.quality_pages()
    ]


def real_pages() -> list[RawPage]:
    sys.path.insert(0, str(ROOT / "bench"))
    import realweb

    if not (realweb.DEV / "index.json").exists():
        return []
    return [RawPage(url=p.url, body=p.raw) for p in realweb.load()]


def report(name: str, pages: list[RawPage], seconds: float) -> None:
    if not pages:
        return
    done, elapsed, size = measure(pages, seconds)
    mb_s = size / elapsed / 1e6
    per_page = 1000 * elapsed / done
    at_20kb = size / elapsed / 20_000
    print(
        f"{name:<10} {mb_s:6.2f} MB/s  {per_page:6.2f} ms/page  {size / done / 1000:5.1f} KB/page"
        f"  ≈ {at_20kb:5.0f} pages/s of 20 KB (target {TARGET_PAGES_PER_S})"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=float, default=3.0)
    args = parser.parse_args()
    start = time.process_time()
    warm_up()
    print(f"models loaded once in {time.process_time() - start:.2f} s")
    seed = RawPage(url="http://www.seogis.com/gongwen/583455.html", body=SEED.read_bytes())
    _cold(seed)  # lazy tables built on the first dirty page
    report("seed", [seed], args.seconds)
    report("demosite", demo_pages(), args.seconds)
    report("real web", real_pages(), args.seconds)


if __name__ == "__main__":
    main()

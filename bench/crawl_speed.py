"""`make bench`: a full wenku crawl against a bare Scrapy crawl of the same loopback site.

Prints, all measured in the same run: pages per second for both and their ratio (target
≥ 0.35 on 2 cores, ≥ 0.8 with 4 or more); the archive's CPU per page (cleaning workers
and writer) beside bare Scrapy's, and their ratio (target ≤ 2.5), with cleaning's share;
the peak memory of the wenku crawl (crawler and archive workers together) and of each
worker; a second night where ~10% of pages changed, as ratios of the first night's time
and bytes (target ≤ 0.3 and ≤ 0.15); and the peak memory of a 20,000-page crawl (target
≤ 250 MB). The load average at the start and the end is printed too: the machine may be
shared, and only the ratios of one run compare.
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import subprocess
import sys
import tempfile
import threading
from pathlib import Path

from wenku.demo import demo_server

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class PeakMemory:
    """Samples the resident memory of a process and all its descendants."""

    def __init__(self, pid: int):
        self.pid, self.peak, self._stop = pid, 0, threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def stop(self) -> int:
        self._stop.set()
        self._thread.join()
        return self.peak

    def _run(self) -> None:
        while not self._stop.wait(0.1):
            self.peak = max(self.peak, sum(_rss(pid) for pid in _tree(self.pid)))


def _tree(pid: int) -> list[int]:
    try:
        children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    except OSError:
        return []
    return [pid, *(p for child in children for p in _tree(int(child)))]


def _rss(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


def run_json(command: list[str]) -> tuple[dict, int]:
    process = subprocess.Popen(command, stdout=subprocess.PIPE, cwd=ROOT, text=True)
    memory = PeakMemory(process.pid)
    out, _ = process.communicate()
    peak = memory.stop()
    if process.returncode:
        raise SystemExit(f"failed ({process.returncode}): {' '.join(command)}")
    return json.loads(out), peak


def bare_crawl(url: str) -> tuple[dict, int]:
    return run_json([sys.executable, "bench/bare_spider.py", url])


def wenku_crawl(url: str, db: str, warc: str) -> tuple[dict, int]:
    return run_json(
        [sys.executable, "-m", "wenku", "crawl", url, "--db", db, "--warc-dir", warc, "--json"]
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--pages", type=int, default=3000)
    parser.add_argument(
        "--memory-pages", type=int, default=20000, help="pages of the memory run (0: none)"
    )
    args = parser.parse_args()
    print(f"load average at start: {_load()}; {os.cpu_count()} cores")
    port = free_port()
    with tempfile.TemporaryDirectory() as tmp:
        db, warc = f"sqlite:///{tmp}/bench.db", f"{tmp}/warc"
        with demo_server(args.pages, night=1, port=port, warm=True) as base:
            url = base + "/"
            bare, bare_peak = bare_crawl(url)
            night1, peak = wenku_crawl(url, db, warc)
        with demo_server(args.pages, night=2, port=port, warm=True) as base:
            night2, _ = wenku_crawl(base + "/", db, warc)
    report(args.pages, bare, night1, night2, (peak, bare_peak))
    if args.memory_pages:
        memory_run(args.memory_pages)
    print(f"load average at end: {_load()}")


def memory_run(pages: int) -> None:
    with tempfile.TemporaryDirectory() as tmp, demo_server(pages, warm=True) as base:
        summary, peak = wenku_crawl(base + "/", f"sqlite:///{tmp}/memory.db", f"{tmp}/warc")
    print(
        f"memory run    {summary['fetched']:6d} pages {summary['seconds']:7.1f} s  "
        f"peak {peak / 2**20:.0f} MB crawler + archive workers (target <= 250 MB)"
    )
    print(f"  per worker: {_workers_line(summary)}")


def report(pages: int, bare: dict, night1: dict, night2: dict, peaks: tuple[int, int]) -> None:
    bare_rate = bare["response_received_count"] / bare["elapsed_time_seconds"]
    wenku_rate = night1["fetched"] / night1["seconds"]
    print(f"demo site: {pages} documents on loopback")
    print(
        f"bare scrapy   {bare['response_received_count']:6d} pages "
        f"{bare['elapsed_time_seconds']:7.1f} s  {bare_rate:6.1f} pages/s"
    )
    print(
        f"wenku crawl   {night1['fetched']:6d} pages {night1['seconds']:7.1f} s  "
        f"{wenku_rate:6.1f} pages/s  ratio {wenku_rate / bare_rate:.2f} "
        "(target >= 0.35 on 2 cores, >= 0.8 on 4+)"
    )
    cpu_report(bare, night1)
    print(
        f"peak memory   {peaks[0] / 2**20:.0f} MB crawler + archive workers; "
        f"bare scrapy {peaks[1] / 2**20:.0f} MB"
    )
    print(f"  per worker: {_workers_line(night1)}")
    time_ratio = night2["seconds"] / night1["seconds"]
    bytes_ratio = night2["bytes_received"] / max(1, night1["bytes_received"])
    print(
        f"night 2       {night2['fetched']:6d} pages {night2['seconds']:7.1f} s  "
        f"outcomes {night2['outcomes']}"
    )
    print(
        f"night 2 / night 1: time {time_ratio:.2f} (target <= 0.3), "
        f"bytes {bytes_ratio:.2f} (target <= 0.15)"
    )


def cpu_report(bare: dict, night: dict) -> None:
    """CPU milliseconds a page: bare Scrapy's process, wenku's crawler, its archive workers."""
    bare_ms = 1000 * bare["cpu_seconds"] / bare["response_received_count"]
    pages = night["fetched"]
    workers = night["cpu"]["archive_workers"]
    cleaning = sum(w["cpu_seconds"] for w in workers if w["role"] == "cleaner")
    writing = sum(w["cpu_seconds"] for w in workers if w["role"] == "writer")
    archive_ms = 1000 * (cleaning + writing) / pages
    crawler_ms = 1000 * night["cpu"]["crawler_seconds"] / pages
    print(
        f"CPU a page    bare scrapy {bare_ms:.2f} ms; wenku crawler {crawler_ms:.2f} ms, "
        f"archive {archive_ms:.2f} ms = cleaning {1000 * cleaning / pages:.2f} "
        f"+ writer {1000 * writing / pages:.2f}"
    )
    print(
        f"archive / bare CPU a page: {archive_ms / bare_ms:.2f} (target <= 2.5); "
        f"without cleaning {1000 * writing / pages / bare_ms:.2f}"
    )


def _workers_line(summary: dict) -> str:
    workers = summary["cpu"]["archive_workers"]
    crawler = f"crawler {summary['cpu'].get('crawler_peak_rss_mb') or 0:.0f} MB, "
    return crawler + ", ".join(f"{w['role']} {w['peak_rss_mb']:.0f} MB" for w in workers)


def _load() -> str:
    return " ".join(f"{load:.2f}" for load in os.getloadavg())


if __name__ == "__main__":
    main()

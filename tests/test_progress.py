"""The live progress line of a crawl: pages fetched, outcomes, failures, rate."""

from __future__ import annotations

from crawler.progress import progress_line


def test_progress_line_shows_what_an_operator_watches() -> None:
    stats = {
        "response_received_count": 300,
        "wenku/outcome/new": 120,
        "wenku/outcome/duplicate": 30,
        "wenku/outcome/failed": 2,
    }
    line = progress_line(stats, elapsed=2.0)
    assert line == "fetched 300 · new 120 · duplicate 30 · failed 2 · 150 pages/s"


def test_progress_line_before_anything_arrived() -> None:
    assert progress_line({}, elapsed=0.0) == "fetched 0 · 0 pages/s"

"""`make demo` as a new user sees it: a crawl of the demo site, and no warning in its output.

The demo site's flaky pages answer 500 once, so the spider's own 5xx retry is exercised:
that path made Scrapy warn about copied meta keys in the middle of the progress line.
"""

from __future__ import annotations

import re
from pathlib import Path

from sqlalchemy import select

from storage.engine import session_factory
from storage.models import CrawlRun
from tests.conftest import run_wenku

LOGGED_PROBLEM = re.compile(r"\[[\w.]+\] (WARNING|ERROR|CRITICAL):|Traceback|Warning:")


def test_wenku_demo_logs_no_warning(tmp_path: Path) -> None:
    db_url = f"sqlite:///{tmp_path / 'demo.db'}"
    warc = str(tmp_path / "warc")
    result = run_wenku("demo", "--pages", "60", "--db", db_url, cwd=tmp_path, WENKU_WARC_DIR=warc)
    output = result.stdout + result.stderr
    assert result.code == 0, output[-3000:]
    assert not LOGGED_PROBLEM.search(output), output[-3000:]
    with session_factory(db_url)() as session:
        [run] = session.scalars(select(CrawlRun))
    assert run.stats and run.stats["retry/count"] >= 1  # the 5xx retry path ran

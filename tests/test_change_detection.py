"""Change detection is on the cleaned text: spam and timestamps are noise, an edit is a change."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import ROOT, run_wenku
from tests.pageserver import PageServer

SEED = (ROOT / "tests" / "fixtures" / "pages" / "seogis_583455.gbk.html").read_bytes()
SPAM = "毛片在线视频观看,一级日韩免费大片,在线网站黄色,澳门在线高清一级毛片"
TIME = "2019-05-28 14:10:11"


def variant(spam: str = SPAM, time: str = TIME, edit: tuple[str, str] | None = None) -> bytes:
    text = SEED.decode("gb18030").replace(SPAM, spam).replace(TIME, time)
    if edit:
        assert edit[0] in text
        text = text.replace(*edit)
    return text.encode("gb18030")


def recrawl(server: PageServer, db_url: str, tmp_path: Path) -> dict:
    result = run_wenku(
        "recrawl",
        "--direct",  # the fetch itself, without the Prefect flow around it (test_flows.py)
        server.url + "/gongwen/583455.html",
        "--db",
        db_url,
        "--warc-dir",
        str(tmp_path / "warc"),
        "--json",
        cwd=tmp_path,
    )
    assert result.code == 0, result.stderr[-2000:]
    return result.json()


@pytest.mark.parametrize(
    "second,outcome",
    [
        (variant(spam="澳门博彩,网上赌场,时时彩平台,贷款秒批"), "unchanged"),
        (variant(time="2026-11-25 09:00:00"), "unchanged"),
        (variant(spam="网上赌场,时时彩平台", time="2026-11-25 09:00:00"), "unchanged"),
        (variant(edit=("同志們:", "各位同志們:")), "changed"),
    ],
    ids=["new spam line", "new meta time", "spam and time", "edited paragraph"],
)
def test_noise_is_not_a_change(
    second: bytes, outcome: str, sqlite_url: str, tmp_path: Path
) -> None:
    with PageServer() as server:
        server.set("/gongwen/583455.html", variant())
        first = recrawl(server, sqlite_url, tmp_path)
        server.set("/gongwen/583455.html", second)
        again = recrawl(server, sqlite_url, tmp_path)
    assert first["outcome"] == "new"
    assert again["outcome"] == outcome
    assert (again["content_hash"] == first["content_hash"]) == (outcome == "unchanged")

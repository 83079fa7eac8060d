"""Damaged pages never break the cleaning path: whatever bytes come, `process_page` returns
a record, and every text in it is valid UTF-8 (hypothesis mutates real-looking pages)."""

from __future__ import annotations

import json
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pipeline import process_page
from pipeline.types import RawPage

PAGES = Path(__file__).parent / "fixtures" / "pages"
SAMPLES = [
    (PAGES / "seogis_583455.gbk.html").read_bytes(),
    *(path.read_bytes() for path in sorted((PAGES / "generated").glob("*.html"))[:6]),
    "<html><body><div>首页 | 栏目</div><h1>标题</h1><p>正文第一段。</p></body></html>".encode(),
]
JUNK = [
    *(b"\x00", b"\x07", b"\x1d", b"\xff\xfe", b"\x1f\x8b\x08", b"<", b"</div>", b"<p>" * 50),
    *(b"&#0;", b"&#xD800;", b"\xe9\x46", b"\xef\xbf\xbd", b"<![CDATA[", b"<!--", b"<?xml ?>"),
]


@st.composite
def damaged(draw: st.DrawFn) -> bytes:
    page = bytearray(draw(st.sampled_from(SAMPLES)))
    for _ in range(draw(st.integers(1, 6))):
        at = draw(st.integers(0, len(page)))
        kind = draw(st.sampled_from(["insert", "delete", "junk", "truncate"]))
        if kind == "insert":
            page[at:at] = draw(st.binary(min_size=1, max_size=8))
        elif kind == "delete":
            del page[at : at + draw(st.integers(1, 64))]
        elif kind == "junk":
            page[at:at] = draw(st.sampled_from(JUNK))
        else:
            del page[at:]
    return bytes(page)


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(body=damaged(), charset=st.sampled_from([None, "gbk", "utf-8", "big5", "bogus"]))
def test_no_page_breaks_the_cleaning_path(body: bytes, charset: str | None) -> None:
    headers = {"content-type": f"text/html; charset={charset}"} if charset else {}
    record = process_page(RawPage(url="http://fuzz.test/1.html", body=body, headers=headers))
    text = json.dumps(record.to_json(), ensure_ascii=False)
    text.encode("utf-8")  # raises on a lone surrogate

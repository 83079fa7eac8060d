"""Issue 11: a fuzz test (hypothesis) on the cleaning path as `wenku clean` drives it.

Whatever the bytes, the command's path either refuses them as not a page (a usage
error) or returns a record that prints as the SPEC's JSON; it never raises anything else.
"""

from __future__ import annotations

import json

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from wenku.clean_input import NotAPage, check_encoding, refuse_binary
from wenku.jobs import clean_file

SPEC_FIELDS = {
    "url",
    "canonical_url",
    "title",
    "body",
    "category",
    "published_at",
    "source",
    "disclaimer",
    "content_hash",
    "extended_reading",
    "repairs",
}
TAGS = ["p", "div", "a", "h1", "title", "script", "table", "td", "br", "meta", "span"]
CHINESE = st.text(alphabet=st.characters(min_codepoint=0x4E00, max_codepoint=0x4FFF), max_size=40)
PIECES = st.one_of(
    CHINESE,
    st.text(max_size=20),
    st.sampled_from(TAGS).map(lambda tag: f"<{tag}>"),
    st.sampled_from(TAGS).map(lambda tag: f"</{tag}>"),
    st.sampled_from(["当前位置:首页 > 公文", "时间:2019-05-28 14:10:11", "来源:网络", "扩展阅读"]),
)
HTML = st.lists(PIECES, max_size=60).map("".join)
ENCODINGS = st.sampled_from([None, "utf-8", "gbk", "gb18030", "big5", "latin-1"])


def clean_like_the_command(raw: bytes, encoding: str | None) -> dict[str, object] | None:
    """What `wenku clean FILE --json` does with the bytes; None when it refuses them."""
    try:
        refuse_binary(raw, "fuzz")
    except NotAPage:
        return None
    record = clean_file(raw, "http://fuzz.test/1.html", check_encoding(encoding))
    data = record.to_json()
    json.dumps(data, ensure_ascii=False)  # printable as JSON
    return data


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(raw=st.binary(max_size=4096), encoding=ENCODINGS)
def test_any_bytes_are_refused_or_cleaned(raw: bytes, encoding: str | None) -> None:
    data = clean_like_the_command(raw, encoding)
    assert data is None or set(data) >= SPEC_FIELDS


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(html=HTML, encoding=ENCODINGS)
def test_any_html_like_text_is_cleaned(html: str, encoding: str | None) -> None:
    raw = html.encode(encoding or "utf-8", errors="replace")
    data = clean_like_the_command(raw, encoding)
    if data is not None and data["body"] is not None:
        assert data["content_hash"] and data["title"] is not None

"""Decoding raw bytes: declarations checked against the bytes, detection, never raising."""

from __future__ import annotations

import codecs

import pytest

from pipeline.decode import decode
from pipeline.types import RawPage

TEXT = "政府自身建设:提高执行力,转变作风。当前我县正面临良好的发展机遇,要以只争朝夕的精神抓落实。"
TRADITIONAL = (
    "政府自身建設:提高執行力,轉變作風。當前我縣正面臨良好的發展機遇,要以只爭朝夕的精神抓落實。"
)


def page(text: str, meta: str | None) -> str:
    head = f'<meta http-equiv="Content-Type" content="text/html; charset={meta}">' if meta else ""
    return f"<html><head>{head}<title>t</title></head><body><p>{text * 8}</p></body></html>"


def raw(body: bytes, header: str | None = None) -> RawPage:
    headers = {"content-type": f"text/html; charset={header}"} if header else {}
    return RawPage(url="http://x.test/1.html", body=body, headers=headers)


@pytest.mark.parametrize(
    ("text", "codec", "header", "meta", "used", "lied"),
    [
        (TEXT, "utf-8", "utf-8", "utf-8", "utf-8", False),
        (TEXT, "utf-8", None, None, "utf-8", False),
        (TEXT, "gbk", None, "gbk", "gb18030", False),
        (TEXT, "gbk", None, "gb2312", "gb18030", False),  # one family: not a lie
        (TEXT, "gb18030", "GB18030", None, "gb18030", False),
        (TEXT, "gbk", None, None, "gb18030", False),  # no charset anywhere: detected
        (TEXT, "gbk", "utf-8", "utf-8", "gb18030", True),  # header and meta both lie
        (TEXT, "utf-8", "gbk", None, "utf-8", True),
        (TRADITIONAL, "big5", None, "big5", "big5", False),
        (TRADITIONAL, "big5", None, "gb2312", "big5", True),  # the lie chardet 7.7 believes
        (TRADITIONAL, "big5", "gb2312", "gb2312", "big5", True),
        (TRADITIONAL, "big5", "utf-8", None, "big5", True),
        (TRADITIONAL, "big5", None, None, "big5", False),
        (TRADITIONAL, "gbk", None, "big5", "gb18030", True),
    ],
)
def test_encoding_used_and_lies(
    text: str, codec: str, header: str | None, meta: str | None, used: str, lied: bool
) -> None:
    decoded = decode(raw(page(text, meta).encode(codec), header))
    assert decoded.encoding == used
    assert decoded.declaration_lied is lied
    assert text in decoded.text


@pytest.mark.parametrize(
    ("bom", "codec"),
    [(codecs.BOM_UTF8, "utf-8"), (codecs.BOM_UTF16_LE, "utf-16-le")],
)
def test_bom_wins_over_a_lying_meta(bom: bytes, codec: str) -> None:
    decoded = decode(raw(bom + page(TEXT, "gbk").encode(codec)))
    assert TEXT in decoded.text
    assert decoded.declaration_lied is True


@pytest.mark.parametrize(
    "body",
    [b"", b"\xff\xfe\xfd" * 50, bytes(range(256)) * 4, b"<html><meta charset=nonsense>\xa1\xa1"],
)
def test_never_raises(body: bytes) -> None:
    decoded = decode(raw(body, "x-unknown-charset"))
    assert isinstance(decoded.text, str)


def test_gbk_superset_characters_decode() -> None:
    text = "镕基与喆、堃、𠮷"  # 𠮷 is four bytes in GB18030
    decoded = decode(raw(page(text, "gbk").encode("gb18030")))
    assert text in decoded.text


def with_stray_byte(body: bytes) -> bytes:
    """One invalid byte in the middle of the page, between two characters."""
    middle = body.index(b"</p>") // 2
    middle -= middle % 2  # ASCII head before the text: keep multi-byte pairs whole
    return body[:middle] + b"\xff" + body[middle:]


@pytest.mark.parametrize(
    ("text", "codec", "meta", "used"),
    [
        (TEXT, "gbk", "gbk", "gb18030"),
        (TEXT, "gbk", "gb2312", "gb18030"),
        (TEXT, "utf-8", "utf-8", "utf-8"),
        (TRADITIONAL, "big5", "big5", "big5"),
        (TEXT, "gbk", None, "gb18030"),  # no declaration: read, not guessed as Big5
        (TEXT, "utf-8", None, "utf-8"),
        (TRADITIONAL, "big5", None, "big5"),
    ],
)
def test_a_stray_byte_does_not_change_the_encoding(
    text: str, codec: str, meta: str | None, used: str
) -> None:
    decoded = decode(raw(with_stray_byte(page(text, meta).encode(codec))))
    assert decoded.encoding == used
    assert decoded.declaration_lied is False
    assert decoded.stray_bytes >= 1
    assert text in decoded.text  # every copy of the text but the one the byte fell in


def test_many_bad_bytes_are_a_contradiction() -> None:
    """A page declared UTF-8 whose bytes are GBK throughout is read as GBK."""
    decoded = decode(raw(page(TEXT, "utf-8").encode("gbk")))
    assert (decoded.encoding, decoded.declaration_lied, decoded.stray_bytes) == (
        "gb18030",
        True,
        0,
    )


def test_a_clean_page_has_no_stray_bytes() -> None:
    assert decode(raw(page(TEXT, "gbk").encode("gbk"))).stray_bytes == 0
    carried = page(TEXT + "\ufffd", "utf-8").encode("utf-8")  # the page's own U+FFFD
    assert decode(raw(carried)).stray_bytes == 0

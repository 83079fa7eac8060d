"""Issue 11, items 9 and 4: `wenku clean` never answers bad input with silent nulls or
garbage and exit 0 — a usage error (exit 2) for what is not an HTML page, a flag and exit 1
when the HTML parser gave up part-way."""

from __future__ import annotations

import bz2
import codecs
import gzip
import json
import lzma
from pathlib import Path

import pytest

from pipeline import process_page
from pipeline.types import PARSER_GAVE_UP, RawPage
from tests.conftest import run_wenku
from wenku.clean_input import check_encoding

TITLE = "关于做好防汛工作的通知"
BODY = "各乡镇人民政府，要切实做好今年防汛工作，确保安全度汛。" * 20
PAGE = f"<html><head><title>{TITLE}</title></head><body><h1>{TITLE}</h1><p>{BODY}</p></body></html>"


def one_line(stderr: str) -> str:
    lines = stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in stderr, stderr
    return lines[0]


@pytest.mark.parametrize(
    "raw,what",
    [
        (gzip.compress(PAGE.encode()), "gzip-compressed"),
        (bz2.compress(PAGE.encode()), "bzip2-compressed"),
        (lzma.compress(PAGE.encode()), "xz-compressed"),
        (b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj", "a PDF"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "a PNG image"),
        (b"<html>\x00\x01\x02\x00 binary", "binary"),
    ],
    ids=["gzip", "bzip2", "xz", "pdf", "png", "nul-bytes"],
)
def test_what_is_not_an_html_page_is_a_usage_error(raw: bytes, what: str) -> None:
    result = run_wenku("clean", "-", "--json", stdin=raw)
    assert result.code == 2 and result.stdout == ""
    assert what in one_line(result.stderr) and "not an HTML page" in result.stderr


def test_an_unknown_encoding_is_a_usage_error(tmp_path: Path) -> None:
    page = tmp_path / "page.html"
    page.write_text(PAGE, encoding="utf-8")
    result = run_wenku("clean", str(page), "--encoding", "bogus", "--json")
    assert result.code == 2 and result.stdout == ""
    assert "--encoding 'bogus'" in one_line(result.stderr)


@pytest.mark.parametrize("name,codec", [("GBK", "gbk"), ("utf8", "utf-8"), ("big5", "big5")])
def test_known_encodings_are_read_under_any_spelling(name: str, codec: str) -> None:
    assert check_encoding(name) == codec


def test_a_utf16_page_with_its_bom_is_a_page() -> None:
    raw = codecs.BOM_UTF16_LE + PAGE.encode("utf-16-le")
    result = run_wenku("clean", "-", "--json", stdin=raw)
    assert result.code == 0, result.stderr
    assert result.json()["title"] == TITLE


def huge_text_node() -> str:
    text = ("长" * 99 + "。") * 40_000  # 4 million characters, 12 MB of UTF-8, one text node
    return f"<html><head><title>{TITLE}</title></head><body><p>{text}</p></body></html>"


def deep_nesting() -> str:
    inner = f"<p>{BODY}</p>"
    return (
        f"<html><head><title>{TITLE}</title></head><body>{'<div>' * 100_000}{inner}</body></html>"
    )


def test_a_page_the_parser_gives_up_on_is_flagged_and_exits_1() -> None:
    result = run_wenku("clean", "-", "--json", stdin=deep_nesting().encode("utf-8"))
    assert result.code == 1
    assert "the HTML parser gave up part-way" in one_line(result.stderr)
    assert PARSER_GAVE_UP in result.json()["flags"]


def test_a_text_node_over_10_mb_is_read_whole() -> None:
    result = run_wenku("clean", "-", "--json", stdin=huge_text_node().encode("utf-8"))
    assert (result.code, result.stderr) == (0, "")
    record = result.json()
    assert record["title"] == TITLE and len(record["body"]) == 4_000_000
    assert PARSER_GAVE_UP not in record["flags"]


def test_an_ordinary_page_is_not_flagged() -> None:
    result = run_wenku("clean", "-", "--json", stdin=PAGE.encode("utf-8"))
    assert result.code == 0 and result.stderr == ""
    record = result.json()
    assert record["title"] == TITLE and PARSER_GAVE_UP not in record["flags"]


def test_one_invalid_byte_in_a_utf8_page_keeps_it_utf8() -> None:
    """Item 4 (the lead's, pipeline/decode.py): not Big5 mojibake, and flagged."""
    raw = PAGE.encode("utf-8")
    cut = raw.index("确保".encode())
    record = process_page(
        RawPage(
            "http://x.test/1.html", raw[:cut] + b"\xff" + raw[cut:], {"content-type": "text/html"}
        )
    )
    assert record.encoding in ("utf-8", "utf_8")
    assert record.document is not None and record.document.title == TITLE
    assert json.dumps(record.to_json(), ensure_ascii=False).count("\ufffd") <= 1

"""WARC files: records round-trip, revisits point at the original, files rotate by size."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from warcio.archiveiterator import ArchiveIterator

from crawler.warc import EarlierCapture, WarcStore, payload_digest, read_fetch
from pipeline.provenance import Fetch

T0 = datetime(2026, 11, 1, 2, 0, 0, 123456, tzinfo=UTC)
BODY = "<html><body><h1>政府自身建设</h1></body></html>".encode("gbk")


def fetch(body: bytes = BODY, status: int = 200, url: str = "http://x/doc/1.html") -> Fetch:
    headers = {
        "content-type": "text/html; charset=gbk",
        "etag": '"abc"',
        "content-encoding": "gzip",
    }
    return Fetch(url, "demo", T0, status, headers=headers, body=body)


def records(path: Path) -> list[tuple[str, str, str | None]]:
    with open(path, "rb") as handle:
        return [
            (
                r.rec_type,
                r.rec_headers.get_header("WARC-Target-URI"),
                r.rec_headers.get_header("WARC-Payload-Digest"),
            )
            for r in ArchiveIterator(handle)
        ]


def test_response_round_trips_with_digest(tmp_path: Path) -> None:
    store = WarcStore(tmp_path)
    original = fetch()
    digest = store.write(original)
    store.close()
    assert digest == payload_digest(BODY)
    assert original.warc_file and original.warc_offset == 0
    back = read_fetch(original.warc_file, original.warc_offset)
    assert (back.url, back.status, back.body, back.fetched_at) == (original.url, 200, BODY, T0)
    assert back.headers["etag"] == '"abc"'
    assert "content-encoding" not in back.headers  # the body stored is the decoded one
    assert [r[0] for r in records(Path(original.warc_file))] == ["response", "request"]


def test_identical_payload_becomes_a_revisit(tmp_path: Path) -> None:
    store = WarcStore(tmp_path)
    first, again = fetch(), fetch()
    store.write(first)
    store.write(again, EarlierCapture(first.url, first.fetched_at, payload_digest(BODY)))
    store.close()
    kinds = records(Path(first.warc_file or ""))
    assert [k for k, _, _ in kinds] == ["response", "request", "revisit", "request"]
    assert kinds[2][2] == payload_digest(BODY)
    revisit = read_fetch(again.warc_file or "", again.warc_offset or 0)
    assert revisit.body == b"" and revisit.status == 200


def test_files_rotate_by_size(tmp_path: Path) -> None:
    store = WarcStore(tmp_path, max_bytes=200)
    written = [fetch(BODY + bytes([i])) for i in range(3)]
    for item in written:
        store.write(item)
    store.close()
    assert len({item.warc_file for item in written}) == 3
    assert len(list(tmp_path.glob("*.warc.gz"))) == 3


def test_a_fetch_with_no_response_is_not_written(tmp_path: Path) -> None:
    store = WarcStore(tmp_path)
    failed = Fetch("http://x/down", "demo", T0, None, error="ConnectionRefusedError")
    assert store.write(failed) is None
    assert failed.warc_file is None and not list(tmp_path.iterdir())

"""What `wenku clean` checks of its input before and after the cleaning path.

The cleaning path never raises and always returns a record, so a file that is not an HTML
page (gzip bytes, a PDF) would come back as a "document" of mojibake, and a page the HTML
parser gave up on (nesting past libxml2's limit) with what came after missing. Here the
first is a usage error; the second is the record's flag `parser_gave_up` (the pipeline's),
and `wenku clean` exits 1 on it.
"""

from __future__ import annotations

import codecs

# Magic numbers of what is fed to `wenku clean` by mistake: compressed or binary files.
_MAGIC = (
    (b"\x1f\x8b", "gzip-compressed", "decompress it first (gunzip, or curl --compressed)"),
    (b"\x28\xb5\x2f\xfd", "zstd-compressed", "decompress it first (unzstd)"),
    (b"BZh", "bzip2-compressed", "decompress it first (bunzip2)"),
    (b"\xfd7zXZ\x00", "xz-compressed", "decompress it first (unxz)"),
    (b"PK\x03\x04", "a zip archive", "unpack it first"),
    (b"%PDF-", "a PDF", "wenku clean reads HTML pages"),
    (b"\x89PNG", "a PNG image", "wenku clean reads HTML pages"),
    (b"\xff\xd8\xff", "a JPEG image", "wenku clean reads HTML pages"),
    (b"GIF8", "a GIF image", "wenku clean reads HTML pages"),
)
_TEXT_BOMS = (codecs.BOM_UTF8, codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)
_SNIFF_BYTES = 8192


class NotAPage(ValueError):
    """The input is not an HTML page (a user mistake: exit 2)."""


def check_encoding(name: str | None) -> str | None:
    """`--encoding` as Python's codec name; an unknown one is a usage mistake."""
    if name is None:
        return None
    try:
        return codecs.lookup(name).name
    except LookupError:
        raise NotAPage(f"--encoding {name!r} is not an encoding Python knows") from None


def refuse_binary(raw: bytes, name: str) -> None:
    """Raise NotAPage when `raw` is compressed or binary rather than (any charset of) HTML."""
    for magic, kind, advice in _MAGIC:
        if raw.startswith(magic):
            raise NotAPage(f"{name} is {kind}, not an HTML page: {advice}")
    head = raw[:_SNIFF_BYTES]
    if b"\x00" in head and not head.startswith(_TEXT_BOMS):  # UTF-16 pages carry a BOM
        raise NotAPage(f"{name} is binary (NUL bytes), not an HTML page")

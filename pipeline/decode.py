"""Bytes → text. BOM, then the HTTP header, then `<meta>`, each checked against the bytes;
then the bytes themselves; never raises.

A declaration is believed unless the bytes clearly contradict it. A few stray bytes are
not a contradiction: one bad byte in a long page is damage, so the page is decoded as
declared and the bytes replaced (and counted: `Decoded.stray_bytes`). A GB or Big5
declaration is contradicted by bytes that are UTF-8, or that read better as the other
double-byte family: Big5 bytes very often decode without error as GBK, into rare
characters, and the character frequency model tells the two apart where decoding cannot.

Without a believable declaration the bytes are read as UTF-8, then charset-normalizer
guesses; a guess outside the Chinese encodings gives way to a GB18030 or Big5 reading
that is plainly Chinese (a stray byte makes detectors guess Big5 or a Cyrillic code page).

The detector is charset-normalizer, not chardet. Measured on GBK, GB18030, Big5 and
UTF-8 pages whose `<meta>` lies (SPEC.md; `bench/quality.py` re-measures on the demo
site's lying pages): chardet 7.7 trusts the in-page declaration and decodes Big5 pages
that claim gb2312 as GBK (102/136 right), charset-normalizer decodes them all right
(136/136) and is about ten times faster (0.3–0.5 ms a page).
"""

from __future__ import annotations

import codecs
import re
from dataclasses import replace

from pipeline.models import char_model
from pipeline.types import Decoded, RawPage

# Label → (family name recorded, Python codec used). GB2312 and GBK are decoded as
# GB18030, their superset; Big5 as cp950, Microsoft's superset that browsers also use.
_FAMILIES: dict[str, tuple[str, str]] = {
    **dict.fromkeys(("gb2312", "gbk", "gb18030", "x-gbk", "cp936", "euc-cn"), ("gb18030",) * 2),
    **dict.fromkeys(("big5", "big5-hkscs", "cp950", "x-x-big5"), ("big5", "cp950")),
    **dict.fromkeys(("utf-8", "utf8", "utf_8"), ("utf-8", "utf-8")),
}
_SIBLING = {"gb18030": "big5", "big5": "gb18030"}
_BOMS = (
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)
_META_CHARSET = re.compile(rb"""<meta[^>]{0,200}?charset\s*=\s*["']?\s*([A-Za-z0-9_.:-]+)""", re.I)
_HEADER_CHARSET = re.compile(r"""charset\s*=\s*["']?\s*([A-Za-z0-9_.:-]+)""", re.I)
_HAN = re.compile(r"[\u3400-\u9fff\ue000-\uf8ff]")
_SAMPLE = 600  # characters of each candidate decode scored for plausibility
_STRAY_BYTES = 8  # characters a reading may replace however short the page (one bad byte
# inside a UTF-8 character costs up to four)
_STRAY_SHARE = 0.002  # and beyond that, this share of the non-ASCII characters it read
_CHINESE = -9.5  # mean log-probability above which a reading is Chinese (real text ~ -6.7,
# the wrong double-byte family or Latin/Japanese bytes read as GB ≤ -10.4)
_SIBLING_MARGIN = 0.5  # how much better the other family must read to win
_REPLACED = "\ufffd"
_HEAD = 8192  # bytes of a page read first to rule UTF-8 out
_UTF8_REPLACEMENT = b"\xef\xbf\xbd"  # a U+FFFD the page carries itself


def family(label: str | None) -> tuple[str, str] | None:
    """(recorded name, codec) for a charset label; other labels Python knows pass through."""
    if not label:
        return None
    key = label.strip().lower().replace("_", "-")
    if key in _FAMILIES:
        return _FAMILIES[key]
    try:
        name = codecs.lookup(key).name
    except LookupError:
        return None
    return _FAMILIES.get(name, (name, name))


def declared_charsets(raw: RawPage) -> list[str]:
    """Header charset, then `<meta>` charset (the first 4 KB), as given."""
    found = []
    if header := _HEADER_CHARSET.search(raw.content_type):
        found.append(header.group(1))
    if meta := _META_CHARSET.search(raw.body[:4096]):
        found.append(meta.group(1).decode("ascii", "replace"))
    return found


def _strict(body: bytes, codec: str) -> str | None:
    try:
        return body.decode(codec)
    except (UnicodeDecodeError, LookupError):
        return None


def stray_bytes(text: str, body: bytes, codec: str) -> int:
    """How many bytes decoding `body` as `codec` replaced."""
    carried = body.count(_UTF8_REPLACEMENT) if codec == "utf-8" else 0
    return max(0, text.count(_REPLACED) - carried)


def _reading(body: bytes, codec: str) -> str | None:
    """`body` as `codec`, a few stray bytes replaced; None when the bytes are not in it."""
    if (text := _strict(body, codec)) is not None:
        return text
    try:
        text = body.decode(codec, "replace")
    except LookupError:
        return None
    stray = stray_bytes(text, body, codec)
    non_ascii = len(text) - len(text.encode("ascii", "ignore")) - stray
    return text if stray <= max(_STRAY_BYTES, _STRAY_SHARE * non_ascii) < non_ascii else None


def plausibility(text: str) -> float:
    """Mean log-probability of the first Han characters of `text` (higher is likelier)."""
    model = char_model()
    han = _HAN.findall(text, 0, _SAMPLE * 4)[:_SAMPLE]
    if not han:
        return 0.0
    return sum(model.char_logp(c) for c in han) / len(han)


def _is_utf8(body: bytes) -> bool:
    if body.isascii():
        return False
    head = body[:_HEAD].decode("utf-8", "replace")  # most non-UTF-8 pages fail here, cheaply
    if stray_bytes(head, body[:_HEAD], "utf-8") > _STRAY_BYTES:
        return False
    return _reading(body, "utf-8") is not None


def _verified(body: bytes, name: str, codec: str) -> str | None:
    """The text if `body` really is in `name`'s family, else None."""
    text = _reading(body, codec)
    if text is None or name not in _SIBLING:
        return text
    if _is_utf8(body):
        return None
    other = _reading(body, _FAMILIES[_SIBLING[name]][1])
    if other is not None and plausibility(other) > plausibility(text) + _SIBLING_MARGIN:
        return None
    return text


def _detect(body: bytes) -> tuple[str, str]:
    """charset-normalizer's guess, mapped to a family; gb18030 when it has none."""
    from charset_normalizer import from_bytes

    best = from_bytes(body[:65536]).best()
    return family(best.encoding if best else None) or ("gb18030", "gb18030")


def _chinese_reading(body: bytes) -> tuple[str, str, str] | None:
    """(family, codec, text) of the GB18030 or Big5 reading that is plainly Chinese."""
    for name in ("gb18030", "big5"):
        codec = _FAMILIES[name][1]
        text = _verified(body, name, codec)
        if text is not None and plausibility(text) > _CHINESE:
            return name, codec, text
    return None


def _from_bom(body: bytes) -> tuple[str, bytes] | None:
    for bom, codec in _BOMS:
        if body.startswith(bom):
            return codec, body[len(bom) :]
    return None


def _decoded(raw: RawPage, text: str, used: str, declared: str | None) -> Decoded:
    declared_family = family(declared)
    lied = declared_family is not None and declared_family[0] != used
    codec = _FAMILIES.get(used, (used, used))[1]
    return Decoded(raw.url, text, used, declared, lied, stray_bytes(text, raw.body, codec))


def _decode_bom(raw: RawPage, first: str | None) -> Decoded | None:
    if (bom := _from_bom(raw.body)) is None:
        return None
    codec, rest = bom
    text = rest.decode(codec, "replace")
    if first is None and (meta := _META_CHARSET.search(text[:4096].encode("ascii", "ignore"))):
        first = meta.group(1).decode("ascii")  # UTF-16: the byte search could not see it
    return _decoded(raw, text, codec.removesuffix("-le").removesuffix("-be"), first)


def _decode_declared(raw: RawPage, declared: list[str]) -> Decoded | None:
    for label in declared:
        fam = family(label)
        text = _verified(raw.body, *fam) if fam else None
        if fam and text is not None:
            return _decoded(raw, text, fam[0], declared[0])
    return None


def _decode_detected(raw: RawPage, first: str | None) -> Decoded:
    if _is_utf8(raw.body):
        return _decoded(raw, raw.body.decode("utf-8", "replace"), "utf-8", first)
    name, codec = _detect(raw.body)
    if name in _SIBLING and (text := _verified(raw.body, name, codec)) is not None:
        return _decoded(raw, text, name, first)
    if (chinese := _chinese_reading(raw.body)) is not None:
        name, codec, text = chinese
        return _decoded(raw, text, name, first)
    return _decoded(raw, raw.body.decode(codec, "replace"), name, first)


def _read_back(decoded: Decoded) -> Decoded:
    """A page of GBK that was shown as Latin-1 and saved so, read back as GBK."""
    from pipeline.repair.latin1 import repair_latin1_page

    if decoded.text.isascii() or (text := repair_latin1_page(decoded.text)) is None:
        return decoded
    return replace(decoded, text=text, latin1_page=True)


def decode(raw: RawPage) -> Decoded:
    """Decode a response body; records the codec used, whether a declaration lied, and how
    many stray bytes were replaced.

    A byte-order mark wins; then the header and `<meta>` charsets, each unless the bytes
    contradict it; then UTF-8; then the detector, or a plainly Chinese reading.
    """
    declared = declared_charsets(raw)
    first = declared[0] if declared else None
    decoded = (
        _decode_bom(raw, first) or _decode_declared(raw, declared) or _decode_detected(raw, first)
    )
    return _read_back(decoded)

"""One raw page → its PageRecord: decode → extract → clean → repair → normalise → hash."""

from __future__ import annotations

from pipeline.clean import Fields, clean_article
from pipeline.decode import decode
from pipeline.extract import extract
from pipeline.layout import is_prose
from pipeline.types import Article, CleanDocument, Decoded, Extracted, PageRecord, RawPage

_LIST_PAGE_LINK_DENSITY = 0.5  # an article region mostly made of links is a list


def is_article(extracted: Extracted) -> bool:
    """Whether the page's main text is an article, not a list, a menu or a few headings:
    mostly text rather than links, long enough, and with a sentence in it."""
    if extracted.link_density > _LIST_PAGE_LINK_DENSITY:
        return False
    return is_prose("\n".join(extracted.lines))


def _main_document(extracted: Extracted, script: str) -> CleanDocument | None:
    if not is_article(extracted):
        return None
    fields = Fields(
        category=extracted.category,
        published_at=extracted.published_at,
        author=extracted.author,
        source=extracted.source,
        disclaimer=extracted.disclaimer,
    )
    doc = clean_article(Article(extracted.title, extracted.lines), fields, script)
    if doc is not None:
        doc.repairs.spam_lines += extracted.spam_lines
        doc.repairs.cloaking_markup += extracted.cloaking_lines
        doc.repairs.boilerplate_lines += extracted.chrome_lines
    return doc


def _fields_of(extracted: Extracted, source: str | None) -> Fields:
    return Fields(extracted.category, extracted.published_at, source, None)


def _extended(extracted: Extracted, script: str) -> list[CleanDocument]:
    docs = (
        clean_article(article, _fields_of(extracted, article.source), script)
        for article in extracted.extended_reading
    )
    return [doc for doc in docs if doc is not None]


def carries_html(raw: RawPage) -> bool:
    """A successful response whose content type (if any) is HTML: the only kind with an
    article (error pages, redirects, robots.txt and PDFs have none)."""
    kind = raw.content_type.lower()
    return 200 <= raw.status < 300 and (not kind or "html" in kind or "xml" in kind)


def _flag_decoding(document: CleanDocument, decoded: Decoded) -> None:
    if decoded.stray_bytes:
        document.flags = sorted({*document.flags, "stray_bytes"})
    if decoded.latin1_page:
        document.repairs.latin1_repaired += 1
        document.flags = sorted({*document.flags, "latin1_page"})


def process_page(raw: RawPage, fast_path: bool = True) -> PageRecord:
    """Everything the cleaning path learns from one page; `document` None without an article.

    `fast_path=False`: no shortcut for document-library layouts (see `extract`)."""
    decoded = decode(raw)
    if not carries_html(raw):
        return PageRecord(raw.url, None, decoded.encoding, decoded.declaration_lied, None)
    extracted = extract(decoded, fast_path)
    script = extracted.script
    document = _main_document(extracted, script)
    if document is not None:
        _flag_decoding(document, decoded)
    return PageRecord(
        url=raw.url,
        canonical_url=extracted.canonical_url,
        encoding=decoded.encoding,
        declaration_lied=decoded.declaration_lied,
        document=document,
        extended_reading=_extended(extracted, script) if document else [],
        stray_bytes=decoded.stray_bytes,
        parser_gave_up=extracted.parser_gave_up,
    )

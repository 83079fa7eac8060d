"""Dressing a document as one page: script, dirt, chrome and bytes.

The forward process runs in page order (chrome, then the title line, the body, the
appended article), so a page always comes out the same, and `Forward` counts what
was done to it for the truth.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field, replace

from demosite.chrome import chrome_parts
from demosite.forward import (
    PinyinGluer,
    insert_debris,
    misalign_gbk,
    s2t,
    to_fullwidth,
    to_traditional,
    to_traditional_by_sentence,
)
from demosite.model import Document
from demosite.pages import (
    BODY_SLOT,
    SPAM_SLOT,
    Look,
    body_html,
    desktop_html,
    mobile_html,
    spam_html,
)
from demosite.plan import Dress, PageSpec


@dataclass(slots=True)
class Forward:
    """What the forward process did to one page."""

    pinyin_annotations: int = 0  # `(pinyin)` groups glued anywhere on the page
    pinyin_in_body: int = 0  # … in the main article's body paragraphs
    mojibake_runs: int = 0  # lost GBK lead bytes, body and 扩展阅读 article
    mojibake_in_body: int = 0  # … in the main article's body paragraphs
    debris: int = 0  # literal x0dx0a inserted in body paragraphs
    spam_lines: int = 0  # injected lines before the header
    body_runs: list[int] = field(default_factory=list)  # mojibake runs per body paragraph


class Scribe:
    """Writes Simplified text in a page's script and dirt, counting what it does."""

    def __init__(self, dress: Dress, rng: random.Random) -> None:
        self.dress = dress
        self.rng = rng
        self.gluer = PinyinGluer(rng) if dress.dirty else None
        self.counts = Forward()

    def chrome(self, text: str) -> str:
        if self.dress.traditional:
            text = to_traditional(text, big5=self.dress.codec == "big5")
        if self.gluer:
            text, glued = self.gluer.glue(text)
            self.counts.pinyin_annotations += glued
        return text

    def prose(self, texts: list[str], body: bool = False) -> list[str]:
        """Dress paragraphs, all in one go; `body` counts them as the body's."""
        joined = "\n".join(texts)
        if self.dress.fullwidth:
            joined = to_fullwidth(joined)
        if self.dress.traditional:
            joined = to_traditional_by_sentence(joined, big5=self.dress.codec == "big5")
        if not self.gluer:
            if body:
                self.counts.body_runs = [0] * len(texts)
            return joined.split("\n")
        joined, glued = self.gluer.glue(joined)
        damaged = [misalign_gbk(text, self.rng) for text in joined.split("\n")]
        runs = sum(count for _, count in damaged)
        self.counts.pinyin_annotations += glued
        self.counts.mojibake_runs += runs
        if body:
            self.counts.pinyin_in_body += glued
            self.counts.mojibake_in_body += runs
            self.counts.body_runs = [count for _, count in damaged]
        return [text for text, _ in damaged]


def _same(text: str) -> str:
    return text


def dress_page(spec: PageSpec, doc: Document, look: Look, seed: int) -> tuple[str, Forward]:
    """The page's HTML (base URL still a slot) and what the forward process did."""
    scribe = Scribe(spec.dress, random.Random(f"demosite:{seed}:dirt:{spec.path}"))
    if spec.route == "mobile":  # plainer: no upload chrome
        look = replace(look, upload=False, chrome=replace(look.chrome, library=False))
        skeleton = mobile_html(doc, spec)
    else:
        fw = to_fullwidth if spec.dress.fullwidth else _same
        skeleton = desktop_html(doc, spec, look, fw)
    page = scribe.chrome(skeleton)
    body = _body(doc, look, scribe)
    spam = look.spam if spec.dress.traditional else s2t(look.spam)
    scribe.counts.spam_lines = look.spam_lines
    return page.replace(SPAM_SLOT, spam_html(look, spam)).replace(BODY_SLOT, body), scribe.counts


def _body(doc: Document, look: Look, scribe: Scribe) -> str:
    (lead,) = scribe.prose([doc.article.title])
    paragraphs = list(doc.article.paragraphs)
    for index in sorted(look.debris):
        paragraphs[index], added = insert_debris(paragraphs[index], scribe.rng)
        scribe.counts.debris += added
    paragraphs = scribe.prose(paragraphs, body=True)
    extended = None
    if doc.extended:
        ext_title, *ext = scribe.prose([f"扩展阅读:{doc.extended.title}", *doc.extended.paragraphs])
        extended = (ext_title, ext)
    chrome = chrome_parts(look.chrome, doc, scribe.chrome)
    return body_html(lead, paragraphs, extended, look, scribe.chrome, chrome)


def encode_page(html: str, dress: Dress) -> bytes:
    """The page's bytes; GBK pages fall back to GB18030 for what GBK lacks."""
    if dress.codec == "gbk":
        try:
            return html.encode("gbk")
        except UnicodeEncodeError:
            return html.encode("gb18030")
    return html.encode(dress.codec, errors="xmlcharrefreplace")


def content_type(dress: Dress) -> str:
    return f"text/html; charset={dress.header}" if dress.header else "text/html"

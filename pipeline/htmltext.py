"""HTML → the page's text lines and the few `<head>` facts extraction needs.

lxml directly (parse + one `iterwalk` over the tree): BeautifulSoup over the same
parser costs several times as much per page and gives nothing more here.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field

from lxml import etree
from lxml import html as lxml_html

_BLOCK = frozenset(
    [
        "p",
        "div",
        "br",
        "li",
        "ul",
        "ol",
        "dl",
        "dt",
        "dd",
        "h1",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "tr",
        "table",
        "tbody",
        "thead",
        "tfoot",
        "section",
        "article",
        "header",
        "footer",
        "nav",
        "aside",
        "main",
        "center",
        "blockquote",
        "pre",
        "form",
        "hr",
        "title",
        "address",
        "figure",
        "figcaption",
        "td",
        "th",
        "option",
    ]
)
_SKIP = frozenset(
    ["script", "style", "noscript", "template", "iframe", "object", "select", "textarea", "svg"]
)
_XML_DECL = re.compile(r"^\s*<\?xml[^>]*>", re.I)
# Characters XML forbids: lxml refuses text that holds them ("All strings must be XML
# compatible"), and no page means them (0x07, 0x1d and NUL are seen on real pages).
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ufffe\uffff]")
_LINK_OPEN, _LINK_CLOSE = "\ue000\u200b", "\u200b\ue001"  # never left in the text
_LINK_LINE_SHARE = 0.8
_SPACE = re.compile(r"[\s\u3000\u00a0]+")


@dataclass(slots=True)
class Page:
    """What extraction reads from the HTML."""

    lines: list[str]
    title: str | None = None  # <title>
    h1: str | None = None
    canonical: str | None = None  # <link rel=canonical>
    published: str | None = None  # <meta article:published_time / pubdate> or <time datetime>
    line_links: list[int] = field(default_factory=list)  # characters inside <a>, per line
    parser_gave_up: str | None = None  # why libxml2 stopped early (the page is cut short)

    @property
    def link_lines(self) -> set[int]:
        """Lines made (almost) only of links: navigation, pagers, lists of titles."""
        pairs = zip(self.lines, self.line_links, strict=True)
        share = _LINK_LINE_SHARE
        return {i for i, (line, inside) in enumerate(pairs) if inside >= share * len(line)}

    def link_density(self, indices: Iterable[int]) -> float:
        """The share of the text of these lines that is inside links."""
        text = links = 0
        for i in indices:
            text, links = text + len(self.lines[i]), links + self.line_links[i]
        return links / text if text else 0.0


def without_controls(text: str) -> str:
    return _CONTROL.sub("", text)


def _parse(text: str) -> tuple[etree._Element | None, str | None]:
    """The document's tree, and why libxml2 stopped early if it did (nesting past its
    limit: the tree then lacks what came after). Text nodes over 10 MB are read whole."""
    text = _XML_DECL.sub("", without_controls(text), count=1)
    if not text.strip():
        return None, None
    parser = lxml_html.HTMLParser(huge_tree=True)
    try:
        root = lxml_html.document_fromstring(text, parser=parser)
    except (etree.ParserError, ValueError, AssertionError):  # lxml asserts on a page with no body
        root = None
    return root, _gave_up(parser)


def _gave_up(parser: etree.HTMLParser) -> str | None:
    for error in parser.error_log:
        if error.level_name == "FATAL" and error.type_name == "ERR_RESOURCE_LIMIT":
            return str(error.message).strip()
    return None


def _text_lines(root: etree._Element) -> tuple[list[str], list[int]]:
    """Text of the document's body split at block boundaries, and the characters of each
    line that are inside links.

    All in lxml's C code but the loops that mark block boundaries and links.
    """
    body = root.find("body")
    return _lines_of(root if body is None else body)


def block_lines(element: etree._Element) -> list[str]:
    """The text lines of an element, split at block boundaries (the element is changed)."""
    return _lines_of(element)[0]


def _lines_of(body: etree._Element) -> tuple[list[str], list[int]]:
    etree.strip_elements(body, *_SKIP, etree.Comment, etree.ProcessingInstruction, with_tail=False)
    for el in body.iter(*_BLOCK):
        el.text = "\n" + el.text if el.text else "\n"
        el.tail = "\n" + el.tail if el.tail else "\n"
    for a in body.iter("a"):  # U+E000/U+E001 (private use, stripped below) mark link text
        a.text, a.tail = _LINK_OPEN + (a.text or ""), _LINK_CLOSE + (a.tail or "")
    lines: list[str] = []
    line_links: list[int] = []
    for raw in "".join(body.itertext()).split("\n"):
        if line := _SPACE.sub(" ", _strip_links(raw)).strip():
            lines.append(line)
            line_links.append(_link_text(raw))
    return lines, line_links


def _strip_links(text: str) -> str:
    return text.replace(_LINK_OPEN, "").replace(_LINK_CLOSE, "") if _LINK_OPEN in text else text


def _link_text(text: str) -> int:
    """Characters of `text` between link marks (white space not counted)."""
    if _LINK_OPEN not in text:
        return 0
    inside = (part.split(_LINK_CLOSE, 1)[0] for part in text.split(_LINK_OPEN)[1:])
    return sum(len(part.strip()) for part in inside)


def _first_text(root: etree._Element, path: str) -> str | None:
    found = root.xpath(path)
    if not found:
        return None
    value = found[0] if isinstance(found[0], str) else found[0].text_content()
    value = _SPACE.sub(" ", str(value)).strip()
    return value or None


_PUBLISHED_PATHS = (
    "//meta[@property='article:published_time']/@content",
    "//meta[@name='pubdate' or @name='publishdate' or @name='PubDate']/@content",
    "//time/@datetime",
)


def parse_page(text: str) -> Page:
    """Lines and head facts of an HTML document; an empty Page when it does not parse."""
    root, gave_up = _parse(text)
    if root is None:
        return Page(lines=[], parser_gave_up=gave_up)
    published = next(filter(None, (_first_text(root, p) for p in _PUBLISHED_PATHS)), None)
    title = _first_text(root, "//title")
    h1 = _first_text(root, "//h1")
    canonical = _first_text(root, "//link[@rel='canonical']/@href")
    lines, line_links = _text_lines(root)  # changes the tree: head facts first
    return Page(
        lines=lines,
        title=title,
        h1=h1,
        canonical=canonical,
        published=published,
        line_links=line_links,
        parser_gave_up=gave_up,
    )

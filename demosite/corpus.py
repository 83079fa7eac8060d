"""The clean text the demo site is generated from (`fixtures/corpus.txt`).

Every item is already in the normal form of docs/conventions.md and survives
OpenCC s2t → t2s unchanged, so a page served in either script hashes alike.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from importlib import resources

_SECTION = re.compile(r"\[(\w+)\]")


@dataclass(frozen=True, slots=True)
class Category:
    """A list of the site: its URL slug and its breadcrumb names below the site root."""

    slug: str
    names: tuple[str, ...]

    @property
    def path(self) -> str:
        return " > ".join(self.names)


@dataclass(frozen=True, slots=True)
class Corpus:
    paragraphs: tuple[str, ...]
    headings: tuple[str, ...]
    news: tuple[str, ...]  # paragraphs of the shared 扩展阅读 articles
    ext_titles: tuple[str, ...]
    categories: tuple[Category, ...]
    units: tuple[str, ...]
    topics: tuple[str, ...]
    themes: tuple[str, ...]
    meetings: tuple[str, ...]
    sources: tuple[str, ...]
    disclaimers: tuple[str, ...]
    spam: tuple[str, ...]  # lottery / casino / loan keywords for the injected SEO line
    spam_other: tuple[str, ...]  # other spam, injected in the middle of some texts
    uploaders: tuple[str, ...]
    authors: tuple[str, ...]  # names some documents give as their author

    def texts(self) -> list[str]:
        """Every item that can reach a page's truth (everything but the spam)."""
        cats = [name for c in self.categories for name in c.names]
        plain = (self.paragraphs, self.headings, self.news, self.ext_titles, self.units)
        more = (self.topics, self.themes, self.meetings, self.sources, self.disclaimers)
        named = (self.authors,)
        return [t for group in (*plain, *more, *named) for t in group] + cats


def parse_sections(text: str) -> dict[str, list[str]]:
    """`[name]` starts a section; every other non-empty, non-`#` line is one item."""
    sections: dict[str, list[str]] = {}
    current: list[str] | None = None
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        match = _SECTION.fullmatch(line)
        if match:
            current = sections.setdefault(match.group(1), [])
        elif current is not None:
            current.append(line)
    return sections


def _category(line: str) -> Category:
    slug, path = line.split(" ", 1)
    return Category(slug, tuple(part.strip() for part in path.split(">")))


@cache
def load_corpus() -> Corpus:
    """The packaged corpus, parsed once per process."""
    text = resources.files("demosite.fixtures").joinpath("corpus.txt").read_text("utf-8")
    s = {name: tuple(items) for name, items in parse_sections(text).items()}
    return Corpus(
        paragraphs=s["paragraph"],
        headings=s["heading"],
        news=s["news"],
        ext_titles=s["ext_title"],
        categories=tuple(_category(line) for line in s["category"]),
        units=s["unit"],
        topics=s["topic"],
        themes=s["theme"],
        meetings=s["meeting"],
        sources=s["source"],
        disclaimers=s["disclaimer"],
        spam=s["spam"],
        spam_other=s["spam_other"],
        uploaders=s["uploader"],
        authors=s["author"],
    )

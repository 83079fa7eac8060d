"""Documents of the demo site: clean Simplified text drawn from the corpus by a seeded RNG.

A document is what the archive should end up with: its body is the truth the
cleaner is measured against, whatever the page that carries it looks like.
"""

from __future__ import annotations

import hashlib
import random
from dataclasses import dataclass, replace
from datetime import datetime, timedelta, timezone

from demosite.corpus import Category, Corpus

CST = timezone(timedelta(hours=8))
_EPOCH = datetime(2016, 1, 1, tzinfo=CST)
_SPAN_SECONDS = 5 * 365 * 86400
_CN = "一二三四五六七八九十"
_FORMAL = "壹贰叁肆伍陆柒捌玖拾"
_REPORTS = ("实施方案", "工作报告", "情况汇报", "自查报告")
_REFLECTIONS = ("心得体会", "工作总结", "经验交流材料")
EXTENDED_SHARE = 1 / 3
AUTHOR_SHARE = 0.4


@dataclass(frozen=True, slots=True)
class Article:
    """A title and its paragraphs, in normal form."""

    title: str
    paragraphs: tuple[str, ...]

    @property
    def body(self) -> str:
        return "\n".join(self.paragraphs)

    @property
    def content_hash(self) -> str:
        return hashlib.sha256(self.body.encode("utf-8")).hexdigest()


@dataclass(frozen=True, slots=True)
class Document:
    key: int  # the id of the first page that carries it
    article: Article
    category: Category
    published_at: datetime
    source: str
    disclaimer: str
    extended: Article | None  # the appended 扩展阅读 article, if any
    revised: bool = False  # a paragraph was changed for night 2
    author: str | None = None  # the byline (作者:…), on some documents


def doc_rng(seed: int, key: int, purpose: str = "doc") -> random.Random:
    """An RNG of its own per document, so that pages can be generated in any order."""
    return random.Random(f"demosite:{seed}:{purpose}:{key}")


def extended_articles(corpus: Corpus) -> tuple[Article, ...]:
    """The small pool of 扩展阅读 articles that many pages share."""
    size = len(corpus.news) // len(corpus.ext_titles)
    return tuple(
        Article(title, corpus.news[i * size : (i + 1) * size])
        for i, title in enumerate(corpus.ext_titles)
    )


def make_document(corpus: Corpus, seed: int, key: int, category: Category) -> Document:
    rng = doc_rng(seed, key)
    article = Article(make_title(corpus, rng), make_body(corpus, rng))
    published = _EPOCH + timedelta(seconds=rng.randrange(_SPAN_SECONDS))
    extended = None
    if rng.random() < EXTENDED_SHARE:
        extended = rng.choice(extended_articles(corpus))
    source, disclaimer = rng.choice(corpus.sources), rng.choice(corpus.disclaimers)
    author = rng.choice(corpus.authors) if rng.random() < AUTHOR_SHARE else None
    return Document(key, article, category, published, source, disclaimer, extended, author=author)


def make_title(corpus: Corpus, rng: random.Random) -> str:
    kind, year = rng.randrange(4), rng.randint(2015, 2020)
    if kind == 0:
        return f"{year}年{rng.choice(corpus.units)}{rng.choice(corpus.topics)}"
    if kind == 1:
        return f"{rng.choice(corpus.units)}关于{rng.choice(corpus.themes)}的{rng.choice(_REPORTS)}"
    if kind == 2:
        return f"{rng.choice(corpus.themes)}{rng.choice(_REFLECTIONS)}"
    return f"在{rng.choice(corpus.meetings)}上的讲话"


def make_body(corpus: Corpus, rng: random.Random) -> tuple[str, ...]:
    """6–25 paragraphs: 3–6 corpus paragraphs each, and a few numbered headings."""
    count = rng.randint(6, 25)
    n_headings = rng.randint(0, min(4, count // 5))
    sizes = [rng.randint(3, 6) for _ in range(count - n_headings)]
    picks = iter(rng.sample(corpus.paragraphs, sum(sizes)))
    paragraphs = ["".join(next(picks) for _ in range(size)) for size in sizes]
    spots = sorted(rng.sample(range(1, len(paragraphs)), n_headings), reverse=True)
    headings = _headings(corpus, rng, n_headings)
    for spot, heading in zip(spots, reversed(headings), strict=True):
        paragraphs.insert(spot, heading)
    return tuple(paragraphs)


def _headings(corpus: Corpus, rng: random.Random, count: int) -> list[str]:
    style = rng.randrange(4)
    texts = rng.sample(corpus.headings, count)
    return [_numbered(style, i) + text for i, text in enumerate(texts)]


def _numbered(style: int, index: int) -> str:
    if style == 0:
        return f"{_CN[index]}、"
    if style == 1:
        return f"{_FORMAL[index]}、"
    if style == 2:
        return f"({_CN[index]})"
    return f"第{_CN[index]}部分 "


def revise(corpus: Corpus, seed: int, doc: Document, within: range | None = None) -> Document:
    """Night 2: one body paragraph (of those `within`, if given) replaced by a corpus
    paragraph the body lacks."""
    rng = doc_rng(seed, doc.key, "night2")
    paragraphs = list(doc.article.paragraphs)
    indexes = within or range(len(paragraphs))
    spots = [i for i in indexes if len(paragraphs[i]) > 40] or list(indexes)
    unused = [p for p in corpus.paragraphs if all(p not in text for text in paragraphs)]
    paragraphs[rng.choice(spots)] = rng.choice(unused)
    article = replace(doc.article, paragraphs=tuple(paragraphs))
    return replace(doc, article=article, revised=True)


def part_slices(count: int, parts: int) -> list[range]:
    """Which of an article's `count` paragraphs each of its `parts` pages carries."""
    bounds = [round(count * i / parts) for i in range(parts + 1)]
    return [range(bounds[i], bounds[i + 1]) for i in range(parts)]


def part_of(doc: Document, part: int, parts: int) -> Document:
    """The document as page `part` of `parts` shows it: its share of the paragraphs."""
    paragraphs = doc.article.paragraphs
    share = part_slices(len(paragraphs), parts)[part - 1]
    article = replace(doc.article, paragraphs=paragraphs[share.start : share.stop])
    return replace(doc, article=article, extended=None)

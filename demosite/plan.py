"""The layout of the demo site for one night: which page lives where, and how it is dressed.

Night 1 is drawn from the seed; night 2 is night 1 with ~10% of the documents revised,
a few pages gone (410) and a few new ones, everything else untouched.
"""

from __future__ import annotations

import hashlib
import random
from dataclasses import dataclass, field, replace

from demosite.corpus import Category, Corpus

DOC_BASE = 583000
PRIVATE_BASE = 700000
ARTICLE_BASE = 800000
FLAKY_BASE = 900000
MISSING_BASE = 999000
ARTICLE_PARTS = 3  # the article split over pages: /doc/800001.html, …_2.html, …_3.html
FLAKY_PATHS = ("/gongwen/flaky.html", "/gongwen/flaky-b.html")  # no number: no URL rule finds them
MAX_PAGES = PRIVATE_BASE - DOC_BASE - 1000
VARIANTS = ("utf8", "gbk_dirty", "big5", "lying", "twin")
VARIANT_WEIGHTS = (36, 30, 12, 12, 10)  # twins count once per pair
MIRROR_SHARE = 0.11
FULLWIDTH_SHARE = 0.35
# The URL shapes of real document libraries; "doc" (/doc/583455.html) is the old URL rule's.
SHAPES = ("doc", "view", "show", "p", "hex", "thread", "htm", "slug")
SHAPE_WEIGHTS = (40, 9, 9, 9, 9, 8, 8, 8)


@dataclass(frozen=True, slots=True)
class Dress:
    """How a page is served: script, bytes, what it declares, and what dirt it carries."""

    variant: str  # utf8 | gbk_dirty | big5 | lying | twin | mobile
    codec: str  # the codec of the bytes: utf-8, gbk or big5
    header: str | None  # charset in the Content-Type header
    meta: str | None  # charset in the <meta> tag
    traditional: bool
    dirty: bool = False  # glued pinyin and GBK misalignment mojibake
    fullwidth: bool = False  # ASCII ,:;!?() rendered full-width

    @property
    def lied(self) -> bool:
        """A declaration exists that names another codec than the bytes'."""
        return any(d is not None and d != self.codec for d in (self.header, self.meta))


UTF8 = Dress("utf8", "utf-8", "utf-8", "utf-8", traditional=False)
GBK_DIRTY = Dress("gbk_dirty", "gbk", "gbk", "gbk", traditional=True, dirty=True)
BIG5 = Dress("big5", "big5", "big5", "big5", traditional=True)
TWIN_SIMPLIFIED = Dress("twin", "utf-8", "utf-8", "utf-8", traditional=False)
TWIN_TRADITIONAL = Dress("twin", "gbk", "gbk", "gbk", traditional=True)
LYING = tuple(
    Dress("lying", codec, header, meta, traditional=True)
    for codec, header, meta in (
        ("big5", "gb2312", "gb2312"),
        ("big5", "utf-8", "big5"),
        ("gbk", "utf-8", "utf-8"),
        ("big5", None, None),
        ("gbk", None, None),
        ("big5", "utf-8", None),
    )
)


@dataclass(frozen=True, slots=True)
class PageSpec:
    """One page that carries a document."""

    path: str
    route: str  # doc | mobile | flaky | private
    doc_key: int
    dress: Dress
    canonical: str  # the path its canonical link and 链接地址 point at
    mirror: str | None = None  # a desktop page's mobile mirror
    twin: str | None = None  # the other page of a twin pair
    pdf: str | None = None  # an attachment linked from the page
    part: int = 0  # its place in an article split over pages (0: a whole article)
    parts: tuple[str, ...] = ()  # every page of that article, first first


@dataclass(slots=True)
class Plan:
    seed: int
    night: int
    pages: int
    specs: dict[str, PageSpec] = field(default_factory=dict)  # every page served 200
    categories: dict[int, Category] = field(default_factory=dict)  # doc key → category
    listed: dict[str, list[str]] = field(default_factory=dict)  # slug → /doc paths
    gone: dict[str, PageSpec] = field(default_factory=dict)  # 410 tonight
    missing: list[str] = field(default_factory=list)  # linked, never existed: 404
    redirects: dict[str, str] = field(default_factory=dict)  # /old/ → /doc/, 301
    pdfs: dict[str, str] = field(default_factory=dict)  # pdf path → page linking it
    revised: set[int] = field(default_factory=set)  # doc keys whose text changed
    new: list[str] = field(default_factory=list)  # pages added tonight
    paths: dict[int, str] = field(default_factory=dict)  # page id → its desktop path

    def special(self, route: str) -> list[str]:
        return [path for path, spec in self.specs.items() if spec.route == route]


def doc_path(page_id: int) -> str:
    return f"/doc/{page_id}.html"


def shaped_path(seed: int, page_id: int) -> str:
    """The page's path in one of the URL shapes, drawn per page."""
    shape = random.Random(f"demosite:{seed}:shape:{page_id}").choices(SHAPES, SHAPE_WEIGHTS)[0]
    number = page_id - DOC_BASE
    return {
        "doc": doc_path(page_id),
        "view": f"/view/{10**18 + _digest(seed, page_id) % (9 * 10**18)}",
        "show": f"/show.asp?id={2000 + number}",
        "p": f"/p-{6_552_000 + number}.html",
        "hex": f"/p/{_digest(seed, page_id) % 2**48:012x}",
        "thread": f"/thread-{43_000 + number}-1-1.html",
        "htm": f"/wk/{257_000 + number}_2.htm",
        "slug": f"/article{number % 97}/{_letters(page_id * 7919 % 26**6)}.html",
    }[shape]


def _digest(seed: int, page_id: int) -> int:
    """A number drawn from the page id (tokens that look random; a clash is ~1e-5 likely)."""
    return int.from_bytes(hashlib.sha256(f"{seed}:{page_id}".encode()).digest()[:8], "big")


def _letters(code: int) -> str:
    return "".join(chr(97 + code // 26**i % 26) for i in range(6))


def build_plan(corpus: Corpus, pages: int, seed: int, night: int = 1) -> Plan:
    if not 1 <= pages <= MAX_PAGES:
        raise ValueError(f"pages must be between 1 and {MAX_PAGES}")
    if night not in (1, 2):
        raise ValueError("night must be 1 or 2")
    plan = Plan(seed, night, pages, listed={c.slug: [] for c in corpus.categories})
    rng = random.Random(f"demosite:{seed}:plan")
    _add_documents(plan, corpus, rng)
    _add_specials(plan, corpus, rng)
    if night == 2:
        _night_two(plan, corpus, random.Random(f"demosite:{seed}:night2"))
    return plan


def _add_documents(plan: Plan, corpus: Corpus, rng: random.Random) -> None:
    page_id = DOC_BASE + 1
    while page_id <= DOC_BASE + plan.pages:
        variant = rng.choices(VARIANTS, VARIANT_WEIGHTS)[0]
        if variant == "twin" and page_id + 1 <= DOC_BASE + plan.pages:
            _add_twins(plan, rng.choice(corpus.categories), page_id)
            page_id += 2
            continue
        dress = _dress(variant if variant != "twin" else "utf8", rng)
        _add_page(plan, rng.choice(corpus.categories), page_id, dress, rng)
        page_id += 1


def _dress(variant: str, rng: random.Random) -> Dress:
    if variant == "utf8":
        return replace(UTF8, fullwidth=rng.random() < FULLWIDTH_SHARE)
    if variant == "lying":
        return rng.choice(LYING)
    return {"gbk_dirty": GBK_DIRTY, "big5": BIG5}[variant]


def _add_page(
    plan: Plan, category: Category, page_id: int, dress: Dress, rng: random.Random
) -> None:
    path = plan.paths[page_id] = shaped_path(plan.seed, page_id)
    mirror = f"/m{path}" if rng.random() < MIRROR_SHARE else None
    plan.specs[path] = PageSpec(path, "doc", page_id, dress, path, mirror=mirror)
    plan.categories[page_id] = category
    plan.listed[category.slug].append(path)
    if mirror:
        mobile = Dress("mobile", "utf-8", "utf-8", "utf-8", traditional=dress.traditional)
        plan.specs[mirror] = PageSpec(mirror, "mobile", page_id, mobile, path)


def _add_twins(plan: Plan, category: Category, page_id: int) -> None:
    first = plan.paths[page_id] = shaped_path(plan.seed, page_id)
    second = plan.paths[page_id + 1] = shaped_path(plan.seed, page_id + 1)
    plan.specs[first] = PageSpec(first, "doc", page_id, TWIN_SIMPLIFIED, first, twin=second)
    plan.specs[second] = PageSpec(second, "doc", page_id, TWIN_TRADITIONAL, second, twin=first)
    plan.categories[page_id] = category
    plan.listed[category.slug] += [first, second]


def _add_specials(plan: Plan, corpus: Corpus, rng: random.Random) -> None:
    for base, route in ((FLAKY_BASE, "flaky"), (PRIVATE_BASE, "private")):
        for n, key in enumerate((base + 1, base + 2)):
            path = FLAKY_PATHS[n] if route == "flaky" else f"/{route}/{key}.html"
            plan.specs[path] = PageSpec(path, route, key, UTF8, path)
            plan.categories[key] = rng.choice(corpus.categories)
    _add_article(plan, rng.choice(corpus.categories))
    plan.missing = [doc_path(MISSING_BASE + 1), doc_path(MISSING_BASE + 2)]
    first_ids = range(DOC_BASE + 1, DOC_BASE + 1 + min(2, plan.pages))
    plan.redirects = {f"/old/{i}.html": plan.paths[i] for i in first_ids}
    first = plan.specs[plan.paths[DOC_BASE + 1]]
    plan.specs[first.path] = replace(first, pdf="/files/1.pdf")
    plan.pdfs["/files/1.pdf"] = first.path


def _add_article(plan: Plan, category: Category) -> None:
    """One article over three pages, linked from its list by its first page."""
    key = ARTICLE_BASE + 1
    first = doc_path(key)
    parts = (first, *(first.replace(".html", f"_{n}.html") for n in range(2, ARTICLE_PARTS + 1)))
    for number, path in enumerate(parts, 1):
        plan.specs[path] = PageSpec(path, "article", key, UTF8, path, part=number, parts=parts)
    plan.categories[key] = category
    plan.listed[category.slug].append(first)


def _night_two(plan: Plan, corpus: Corpus, rng: random.Random) -> None:
    singles = [s for s in plan.specs.values() if s.route == "doc" and not s.twin]
    protected = {*plan.redirects.values(), *plan.pdfs.values()}
    removable = [s for s in singles if not s.mirror and s.path not in protected]
    for spec in rng.sample(removable, min(len(removable), _few(plan.pages, 0.015))):
        plan.gone[spec.path] = plan.specs.pop(spec.path)
    kept = [s.doc_key for s in singles if s.path in plan.specs]
    plan.revised = set(rng.sample(kept, min(len(kept), max(1, round(plan.pages * 0.1)))))
    plan.revised.add(ARTICLE_BASE + 1)  # its second page changes: so does the article
    for offset in range(1, _few(plan.pages, 0.02) + 1):
        dress = _dress(rng.choice(("utf8", "gbk_dirty", "big5")), rng)
        page_id = DOC_BASE + plan.pages + offset
        _add_page(plan, rng.choice(corpus.categories), page_id, dress, rng)
        mirror = plan.specs[plan.paths[page_id]].mirror
        plan.new += [plan.paths[page_id]] + ([mirror] if mirror else [])


def _few(pages: int, share: float) -> int:
    return max(1, round(pages * share))

"""The layout of the demo site for one night: which page lives where, and how it is dressed.

Night 1 is drawn from the seed; night 2 is night 1 with ~10% of the documents revised,
a few pages gone (410) and a few new ones, everything else untouched.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field, replace

from demosite.corpus import Category, Corpus

DOC_BASE = 583000
PRIVATE_BASE = 700000
FLAKY_BASE = 900000
MISSING_BASE = 999000
MAX_PAGES = PRIVATE_BASE - DOC_BASE - 1000
VARIANTS = ("utf8", "gbk_dirty", "big5", "lying", "twin")
VARIANT_WEIGHTS = (36, 30, 12, 12, 10)  # twins count once per pair
MIRROR_SHARE = 0.11
FULLWIDTH_SHARE = 0.35


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

    def special(self, route: str) -> list[str]:
        return [path for path, spec in self.specs.items() if spec.route == route]


def doc_path(page_id: int) -> str:
    return f"/doc/{page_id}.html"


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
    path = doc_path(page_id)
    mirror = f"/m/doc/{page_id}.html" if rng.random() < MIRROR_SHARE else None
    plan.specs[path] = PageSpec(path, "doc", page_id, dress, path, mirror=mirror)
    plan.categories[page_id] = category
    plan.listed[category.slug].append(path)
    if mirror:
        mobile = Dress("mobile", "utf-8", "utf-8", "utf-8", traditional=dress.traditional)
        plan.specs[mirror] = PageSpec(mirror, "mobile", page_id, mobile, path)


def _add_twins(plan: Plan, category: Category, page_id: int) -> None:
    first, second = doc_path(page_id), doc_path(page_id + 1)
    plan.specs[first] = PageSpec(first, "doc", page_id, TWIN_SIMPLIFIED, first, twin=second)
    plan.specs[second] = PageSpec(second, "doc", page_id, TWIN_TRADITIONAL, second, twin=first)
    plan.categories[page_id] = category
    plan.listed[category.slug] += [first, second]


def _add_specials(plan: Plan, corpus: Corpus, rng: random.Random) -> None:
    for base, route in ((FLAKY_BASE, "flaky"), (PRIVATE_BASE, "private")):
        for key in (base + 1, base + 2):
            path = f"/{route}/{key}.html"
            plan.specs[path] = PageSpec(path, route, key, UTF8, path)
            plan.categories[key] = rng.choice(corpus.categories)
    plan.missing = [doc_path(MISSING_BASE + 1), doc_path(MISSING_BASE + 2)]
    first_ids = range(DOC_BASE + 1, DOC_BASE + 1 + min(2, plan.pages))
    plan.redirects = {f"/old/{i}.html": doc_path(i) for i in first_ids}
    first = plan.specs[doc_path(DOC_BASE + 1)]
    plan.specs[first.path] = replace(first, pdf="/files/1.pdf")
    plan.pdfs["/files/1.pdf"] = first.path


def _night_two(plan: Plan, corpus: Corpus, rng: random.Random) -> None:
    singles = [s for s in plan.specs.values() if s.route == "doc" and not s.twin]
    protected = {*plan.redirects.values(), *plan.pdfs.values()}
    removable = [s for s in singles if not s.mirror and s.path not in protected]
    for spec in rng.sample(removable, min(len(removable), _few(plan.pages, 0.015))):
        plan.gone[spec.path] = plan.specs.pop(spec.path)
    kept = [s.doc_key for s in singles if s.path in plan.specs]
    plan.revised = set(rng.sample(kept, min(len(kept), max(1, round(plan.pages * 0.1)))))
    for offset in range(1, _few(plan.pages, 0.02) + 1):
        dress = _dress(rng.choice(("utf8", "gbk_dirty", "big5")), rng)
        page_id = DOC_BASE + plan.pages + offset
        _add_page(plan, rng.choice(corpus.categories), page_id, dress, rng)
        mirror = plan.specs[doc_path(page_id)].mirror
        plan.new += [doc_path(page_id)] + ([mirror] if mirror else [])


def _few(pages: int, share: float) -> int:
    return max(1, round(pages * share))

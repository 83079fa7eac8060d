"""Ground truth of a demo site night: what a perfect crawl and cleaning would archive.

```
{"site": {"seed", "night", "pages"},
 "pages": {path: {status, route, variant, encoding, …, title, body, content_hash, …}},
 "documents": {content_hash: {title, body, …, paths}},  # the pages' own documents
 "extended_reading": {content_hash: {title, body, paths}},  # appended articles, shared
 "special": {"disallowed_prefix", "trap_prefix", "flaky", "pdf", "redirects", …}}
```
`documents` and `extended_reading` hold what a polite crawl archives: texts of 200
pages that robots.txt allows.
Every text is in the normal form of docs/conventions.md; paths, not absolute URLs.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import asdict
from typing import TYPE_CHECKING, Any

from demosite import listing
from demosite.model import Article, Document, make_document
from demosite.plan import PageSpec

if TYPE_CHECKING:
    from demosite.site import DemoSite

QUALITY_BASE = "http://127.0.0.1:8000"
DISALLOWED_PREFIX = "/private/"
TRAP_PREFIX = "/calendar/"


def site_truth(site: DemoSite, bodies: bool = True) -> dict[str, Any]:
    plan = site.plan
    pages = {path: page_truth(site, spec, bodies) for path, spec in plan.specs.items()}
    for path, spec in plan.gone.items():
        pages[path] = _absent(path, 410) | {"route": spec.route, "variant": spec.dress.variant}
    pages.update({path: _absent(path, 404) for path in plan.missing})
    return {
        "site": {"seed": plan.seed, "night": plan.night, "pages": plan.pages},
        "pages": pages,
        "documents": documents_truth(pages, bodies),
        "extended_reading": extended_truth(pages),
        "special": special_truth(site),
    }


def _absent(path: str, status: int) -> dict[str, Any]:
    return {"path": path, "status": status, "crawlable": True}


def _article(article: Article, bodies: bool) -> dict[str, Any]:
    record = {"title": article.title, "content_hash": article.content_hash}
    return record | ({"body": article.body} if bodies else {})


def page_truth(site: DemoSite, spec: PageSpec, bodies: bool) -> dict[str, Any]:
    doc = site.document(spec.doc_key)
    dress = spec.dress
    record = {
        "path": spec.path,
        "status": 200,
        "route": spec.route,
        "variant": dress.variant,
        "encoding": dress.codec,
        "declared_header": dress.header,
        "declared_meta": dress.meta,
        "declaration_lied": dress.lied,
        "script": "traditional" if dress.traditional else "simplified",
        "crawlable": not spec.path.startswith(DISALLOWED_PREFIX),
        "canonical": spec.canonical,
        "mirror": spec.mirror,
        "twin": spec.twin,
        "pdf": spec.pdf,
        "forward": asdict(site.forward(spec.path)) | {"fullwidth": dress.fullwidth},
        "article_part": spec.part or None,  # its place in an article split over pages
        "article_parts": list(spec.parts),  # that article's pages, first first
    }
    return record | _document_fields(site, doc, bodies)


def _document_fields(site: DemoSite, doc: Document, bodies: bool) -> dict[str, Any]:
    main = _article(doc.article, bodies)
    fields = {
        **main,
        "document_key": main["content_hash"],
        "category": doc.category.path,
        "published_at": doc.published_at.isoformat(),
        "author": doc.author,
        "source": doc.source,
        "disclaimer": doc.disclaimer,
        "extended_reading": [_article(doc.extended, bodies)] if doc.extended else [],
        "revised": doc.revised,
    }
    if doc.revised:
        original = make_document(site.corpus, site.seed, doc.key, doc.category)
        fields["previous_hash"] = original.article.content_hash
    return fields


def _archived(pages: dict[str, dict[str, Any]]) -> Iterator[tuple[str, dict[str, Any]]]:
    return ((p, page) for p, page in pages.items() if page["status"] == 200 and page["crawlable"])


def documents_truth(pages: dict[str, dict[str, Any]], bodies: bool) -> dict[str, Any]:
    """One entry per distinct page text a polite crawler archives, with its pages."""
    documents: dict[str, dict[str, Any]] = {}
    for path, page in _archived(pages):
        entry = documents.setdefault(page["content_hash"], _main_entry(page, bodies))
        entry["paths"].append(path)
    return documents


def extended_truth(pages: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """Each appended 扩展阅读 article (a document of its own), with the pages carrying it."""
    articles: dict[str, dict[str, Any]] = {}
    for path, page in _archived(pages):
        for ext in page["extended_reading"]:
            articles.setdefault(ext["content_hash"], {**ext, "paths": []})["paths"].append(path)
    return articles


def _main_entry(page: dict[str, Any], bodies: bool) -> dict[str, Any]:
    keys = ("title", "content_hash", "category", "published_at", "author", "source", "disclaimer")
    entry = {key: page[key] for key in keys}
    entry["extended_reading"] = [ext["content_hash"] for ext in page["extended_reading"]]
    return entry | ({"body": page["body"]} if bodies else {}) | {"paths": []}


def special_truth(site: DemoSite) -> dict[str, Any]:
    plan = site.plan
    specs = plan.specs.values()
    revised = [s.path for s in specs if s.doc_key in plan.revised]
    return {
        "home": "/",
        "robots": "/robots.txt",
        "disallowed_prefix": DISALLOWED_PREFIX,
        "trap_prefix": TRAP_PREFIX,
        "trap_start": listing.TRAP_START,
        "flaky": plan.special("flaky"),
        "private": plan.special("private"),
        "pdf": list(plan.pdfs),
        "pdf_linked_from": dict(plan.pdfs),
        "redirects": dict(plan.redirects),
        "missing": list(plan.missing),
        "gone": list(plan.gone),
        "changed": revised,
        "new": list(plan.new),
        "mobile": plan.special("mobile"),
        "twins": [[s.path, s.twin] for s in specs if s.twin and s.path < s.twin],
        "articles": [list(parts) for parts in sorted({s.parts for s in specs if s.parts})],
        "lists": _list_paths(site),
    }


def _list_paths(site: DemoSite) -> list[str]:
    return [
        listing.list_url(c.slug, n)
        for c in site.corpus.categories
        for n in range(1, listing.page_count(site.plan, c.slug) + 1)
    ]


def quality_pages(site: DemoSite, base_url: str = QUALITY_BASE) -> Iterator[dict[str, Any]]:
    """Document pages as the quality bench's manifest has them: bytes, dress, truth, runs.

    A page of an article split over pages is measured against its own share of the text.

    `dress` is (script, codec, charset in the bytes' <meta>, pinyin, mojibake, mobile).
    """
    for path, spec in site.plan.specs.items():
        doc, dress, forward = site.page_document(path), spec.dress, site.forward(path)
        script = "traditional" if dress.traditional else "simplified"
        response = site.render(path, base_url)
        yield {
            "file": re.sub(r"[/?=&]", "_", path.strip("/")),
            "bytes": response.body,
            "url": base_url + path,
            "headers": {"content-type": response.content_type},
            "dress": (
                script,
                dress.codec,
                dress.meta,
                dress.dirty,
                dress.dirty,
                spec.route == "mobile",
            ),
            "truth": quality_truth(doc, base_url + spec.canonical),
            "runs": list(forward.body_runs),
            "pinyin": forward.pinyin_in_body,
        }


def quality_truth(doc: Document, canonical_url: str) -> dict[str, Any]:
    """The fields a cleaned page must come out with (bench/quality.py's manifest format)."""
    ext = doc.extended
    return {
        "title": doc.article.title,
        "category": doc.category.path,
        "published_at": doc.published_at.isoformat(),
        "author": doc.author,
        "source": doc.source,
        "disclaimer": doc.disclaimer,
        "canonical_url": canonical_url,
        "body": doc.article.body,
        "extended": [{"title": ext.title, "body": ext.body}] if ext else [],
    }

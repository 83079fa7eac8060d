"""Main-text extraction on real Chinese pages with hand-copied text (`shared/extraction-dev`).

wenku beside readability-lxml and trafilatura, run here on the same pages, each given the
text wenku decoded (the peers' own charset guessing is worse: SPEC.md). Scored as that
folder's README defines: character-pair precision, recall and F1 of the body against the
hand-copied text, after NFKC, OpenCC t2s, casefolding and dropping white space; an empty
body scores 0. Published dates are compared with the hand labels to the day (to the
month where the label gives only a month); authors after removing white space.

`python bench/realweb.py [DIR]` prints the table; `bench/quality.py` includes it.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import time
import unicodedata
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from pipeline import process_page  # noqa: E402
from pipeline.decode import decode  # noqa: E402
from pipeline.models import to_simplified  # noqa: E402
from pipeline.types import RawPage  # noqa: E402

DEV = ROOT.parent / "shared" / "extraction-dev"
_WRAPPER = re.compile(rb"^\s*<text\b[^>]*>")  # the dataset's one-line crawl wrapper
_LABEL_DATE = re.compile(r"(\d{4})-(\d{1,2})(?:-(\d{1,2}))?")
_DROP = frozenset(["Cc", "Cf", "Zs", "Zl", "Zp"])
MIN_EXPECTED = 200  # a page whose expected text is this long must not give an empty body


@dataclass(frozen=True, slots=True)
class DevPage:
    name: str
    url: str
    raw: bytes
    expected: str
    date: str | None  # the hand label, None when the page has none
    author: str | None


@dataclass(slots=True)
class Extraction:
    body: str
    published: datetime | str | None = None
    author: str | None = None


@dataclass
class Score:
    f1: list[float] = field(default_factory=list)
    precision: list[float] = field(default_factory=list)
    recall: list[float] = field(default_factory=list)
    empty_long: int = 0  # empty bodies where the expected text has ≥ MIN_EXPECTED chars
    dates_right: int = 0
    dates_total: int = 0
    authors_right: int = 0
    authors_total: int = 0
    seconds: float = 0.0

    def mean(self, values: list[float]) -> float:
        return sum(values) / len(values) if values else 0.0


def load(folder: Path = DEV) -> list[DevPage]:
    index = json.loads((folder / "index.json").read_text("utf-8"))
    pages = folder / "pages"
    return [
        DevPage(
            name=entry["page"],
            url=entry["url"] or f"http://extraction-dev.invalid/{entry['page']}.html",
            raw=_WRAPPER.sub(b"", (pages / f"{entry['page']}.html").read_bytes(), count=1),
            expected=(pages / f"{entry['page']}.txt").read_text("utf-8"),
            date=_label(entry.get("date")),
            author=_label(entry.get("author")),
        )
        for entry in index
    ]


def _label(value: str | None) -> str | None:
    return None if not value or value == "UNKNOWN" else value


def _normal(text: str) -> str:
    text = to_simplified(unicodedata.normalize("NFKC", text)).casefold()
    return "".join(c for c in text if not c.isspace() and unicodedata.category(c) not in _DROP)


def _pairs(text: str) -> Counter[str]:
    text = _normal(text)
    return Counter(text[i : i + 2] for i in range(len(text) - 1))


def prf(got: str, expected: str) -> tuple[float, float, float]:
    """(precision, recall, F1) of character pairs; an empty body scores 0."""
    g, w = _pairs(got), _pairs(expected)
    if not g or not w:
        return 0.0, 0.0, 0.0
    overlap = sum((g & w).values())
    p, r = overlap / sum(g.values()), overlap / sum(w.values())
    return p, r, (2 * p * r / (p + r) if p + r else 0.0)


def date_right(label: str, got: datetime | str | None) -> bool:
    match = _LABEL_DATE.search(label)
    if not match or got is None:
        return False
    text = got.isoformat() if isinstance(got, datetime) else str(got)
    found = _LABEL_DATE.search(text)
    if not found:
        return False
    want = [int(g) for g in match.groups() if g]
    return [int(g) for g in found.groups() if g][: len(want)] == want


def author_right(label: str, got: str | None) -> bool:
    return bool(got) and _normal(label) == _normal(got or "")


def _decoded(page: DevPage) -> str:
    return decode(RawPage(url=page.url, body=page.raw)).text


def wenku(page: DevPage) -> Extraction:
    record = process_page(RawPage(url=page.url, body=page.raw))
    doc = record.document
    if doc is None:
        return Extraction("")
    return Extraction(doc.body, doc.published_at, doc.author)


def readability_lxml(page: DevPage) -> Extraction:
    from lxml import html
    from readability import Document

    document = Document(_decoded(page))
    summary = document.summary(html_partial=True)
    body = html.fromstring(summary).text_content() if summary.strip() else ""
    author = document.author()
    return Extraction(body, None, None if author == "[no-author]" else author)


def trafilatura_peer(page: DevPage) -> Extraction:
    import trafilatura

    found = trafilatura.bare_extraction(_decoded(page), with_metadata=True)
    if found is None:
        return Extraction("")
    return Extraction(found.text or "", found.date, found.author)


EXTRACTORS: dict[str, Callable[[DevPage], Extraction]] = {
    "wenku": wenku,
    "readability-lxml": readability_lxml,
    "trafilatura": trafilatura_peer,
}


def measure(pages: list[DevPage], extractor: Callable[[DevPage], Extraction]) -> Score:
    score = Score()
    for page in pages:
        start = time.process_time()
        got = extractor(page)
        score.seconds += time.process_time() - start
        p, r, f = prf(got.body, page.expected)
        score.precision.append(p)
        score.recall.append(r)
        score.f1.append(f)
        score.empty_long += not got.body.strip() and len(_normal(page.expected)) >= MIN_EXPECTED
        if page.date:
            score.dates_total += 1
            score.dates_right += date_right(page.date, got.published)
        if page.author:
            score.authors_total += 1
            score.authors_right += author_right(page.author, got.author)
    return score


def rows(scores: dict[str, Score], pages: int) -> list[tuple[str, str, str, str]]:
    out = []
    for name, s in scores.items():
        ours = name == "wenku"
        values = [
            ("pages", str(pages), ""),
            ("body F1", f"{s.mean(s.f1):.3f}", "≥ 0.93, above peers" if ours else ""),
            ("body P / R", f"{s.mean(s.precision):.3f} / {s.mean(s.recall):.3f}", ""),
            ("empty bodies (expected ≥ 200 chars)", str(s.empty_long), "0" if ours else ""),
            ("published_at right", f"{s.dates_right}/{s.dates_total}", "≥ 90%" if ours else ""),
            ("author right", f"{s.authors_right}/{s.authors_total}", ""),
            ("CPU ms per page", f"{1000 * s.seconds / max(pages, 1):.1f}", ""),
        ]
        out += [(f"real/{name}", *value) for value in values]
    return out


def misses(scores: dict[str, Score]) -> list[str]:
    ours = scores["wenku"]
    f1 = ours.mean(ours.f1)
    out = []
    if f1 < 0.93 or any(s.mean(s.f1) >= f1 for n, s in scores.items() if n != "wenku"):
        out.append("real-web body F1")
    if ours.empty_long:
        out.append("real-web empty bodies")
    if ours.dates_right < 0.9 * ours.dates_total:
        out.append("real-web published_at")
    return out


def evaluate(folder: Path = DEV) -> tuple[list[tuple[str, str, str, str]], list[str]] | None:
    """The table rows and the targets missed; None when the folder is not there."""
    if not (folder / "index.json").exists():
        return None
    pages = load(folder)
    scores = {name: measure(pages, extractor) for name, extractor in EXTRACTORS.items()}
    return rows(scores, len(pages)), misses(scores)


def per_page(folder: Path = DEV) -> list[dict[str, Any]]:
    """Each page's F1 for each extractor (for looking into a regression)."""
    pages = load(folder)
    return [
        {
            "page": p.name,
            **{n: round(prf(e(p).body, p.expected)[2], 3) for n, e in EXTRACTORS.items()},
        }
        for p in pages
    ]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("folder", nargs="?", type=Path, default=DEV)
    parser.add_argument("--pages", action="store_true", help="each page's F1, as JSON lines")
    args = parser.parse_args()
    if args.pages:
        for row in per_page(args.folder):
            print(json.dumps(row, ensure_ascii=False))
        return 0
    result = evaluate(args.folder)
    if result is None:
        print(f"no {args.folder / 'index.json'}: the real-web table needs shared/extraction-dev")
        return 0
    table, missed = result
    for row in table:
        print("  ".join(row))
    print("\nall targets met" if not missed else f"\ntargets missed: {', '.join(missed)}")
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())

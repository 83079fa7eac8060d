"""`make quality`: how well `pipeline` cleans pages whose clean truth is known.

Ends with the real-web table (`bench/realweb.py`): real Chinese pages with hand-copied
text from `../shared/extraction-dev`, wenku beside readability-lxml and trafilatura.

Fixture sets (tests/fixtures/pages/, rebuilt by make_pages.py):
- seed:      the real seed page rebuilt as HTML, fields written down by hand;
- generated: seed-like pages from the demo site's corpus dirtied by its forward process;
- clean:     clean pages with real parentheses, `!`, formal numerals: must come out unchanged.
When the demo site can build its own pages (`demosite.DemoSite`), they are measured too.

Prints one table; exits 1 when a target of the cleaning issue is missed.
"""

from __future__ import annotations

import difflib
import json
import re
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import realweb  # noqa: E402

from pipeline import process_page  # noqa: E402
from pipeline.models import is_reading  # noqa: E402
from pipeline.types import PageRecord, RawPage  # noqa: E402

PAGES = ROOT / "tests" / "fixtures" / "pages"
SEED_TRUTH = {
    "title": "政府自身建设",
    "category": "公文素材 > 范文素材",
    "published_at": "2019-05-28T14:10:11+08:00",
    "source": "网络整理",
    "disclaimer": "本文仅限学习分享,如产生版权问题,请联系我们及时删除。",
    "canonical_url": "http://www.seogis.com/gongwen/583455.html",
}
FIELDS = tuple(SEED_TRUTH)
CHROME = (
    "当前位置", "网站:", "移动端", "友情提示", "免责声明", "由互联网用户整理提供", "链接地址",
    "扩展阅读", "上传人", "文档编号", "上传时间", "页数:", "第1页", "点击查看更多", "由会员分享",
    "还剩3页未读", "返回 下载", "x0dx0a", "<tr", "荟聚奇文", "毛片", "澳门", "百家乐", "彩票",
    "时时彩", "六合彩", "网贷", "娱乐场", "开奖",
)  # fmt: skip
_GLUED = re.compile(r"([\u3400-\u9fff])[(（]([a-zāáǎàēéěèīíǐìōóǒòūúǔùǖǘǚǜüńňǹḿ]{1,7})[)）]")
_SUSPECT = re.compile(r"[\ue000-\uf8ff\ufffd]|[\u4e00-\u9fff][@-~][\u4e00-\u9fff]")


@dataclass
class Tally:
    pages: int = 0
    fields_exact: int = 0
    fields_total: int = 0
    similarity: list[float] = field(default_factory=list)
    bodies_exact: int = 0
    extended_exact: int = 0
    extended_total: int = 0
    glued_left: int = 0
    chrome_left: int = 0
    runs: int = 0
    runs_exact: int = 0
    runs_repaired: int = 0
    runs_unrepaired: int = 0
    lied_right: int = 0
    lied_total: int = 0
    evident_left: int = 0  # private-use chars, U+FFFD, letters glued between Han, in bodies
    seconds: float = 0.0


def glued_left(body: str) -> int:
    return sum(1 for m in _GLUED.finditer(body) if is_reading(m.group(1), m.group(2)))


def chrome_left(body: str) -> int:
    return sum(body.count(marker) for marker in CHROME)


def similarity(a: str, b: str) -> float:
    return difflib.SequenceMatcher(None, a, b, autojunk=False).ratio()


FAST_PATH = True  # False: measure the main-text vote on every page (see `fast_path_rows`)


def run(raw: bytes, url: str, headers: dict[str, str] | None = None) -> tuple[PageRecord, float]:
    start = time.process_time()
    record = process_page(RawPage(url=url, body=raw, headers=headers or {}), FAST_PATH)
    return record, time.process_time() - start


def record_fields(record: PageRecord) -> dict[str, Any]:
    data = record.to_json()
    return {name: data.get(name) for name in FIELDS}


def count_body(t: Tally, record: PageRecord, truth: dict[str, Any]) -> None:
    body = record.document.body if record.document else ""
    t.similarity.append(similarity(body, truth["body"]))
    t.bodies_exact += body == truth["body"]
    t.glued_left += glued_left(body)
    t.evident_left += len(_SUSPECT.findall(body))
    t.chrome_left += chrome_left(body) + sum(chrome_left(e.body) for e in record.extended_reading)
    got = [(e.title, e.body) for e in record.extended_reading]
    want = [(e["title"], e["body"]) for e in truth["extended"]]
    t.extended_total += len(want)
    t.extended_exact += sum(1 for pair in want if pair in got)


def count_runs(t: Tally, record: PageRecord, truth: dict[str, Any], runs: list[int]) -> None:
    got = record.document.body.split("\n") if record.document else []
    paragraphs = truth["body"].split("\n")
    for i, count in enumerate(runs):
        t.runs += count
        if count and (got[i] if len(got) == len(paragraphs) else None) == paragraphs[i]:
            t.runs_exact += count
    if record.document:
        t.runs_repaired += record.document.repairs.mojibake_repaired
        t.runs_unrepaired += record.document.repairs.mojibake_unrepaired


def generated() -> Iterator[dict[str, Any]]:
    manifest = json.loads((PAGES / "generated" / "manifest.json").read_text("utf-8"))
    for page in manifest:
        page["bytes"] = (PAGES / "generated" / page["file"]).read_bytes()
        yield page


def measure_generated(pages: Iterator[dict[str, Any]]) -> Tally:
    t = Tally()
    for page in pages:
        record, seconds = run(page["bytes"], page["url"])
        t.pages, t.seconds = t.pages + 1, t.seconds + seconds
        got = record_fields(record)
        t.fields_total += len(FIELDS)
        t.fields_exact += sum(got[name] == page["truth"][name] for name in FIELDS)
        count_body(t, record, page["truth"])
        count_runs(t, record, page["truth"], page.get("runs", []))
        if page["dress"][2] and page["dress"][2] != page["dress"][1]:
            t.lied_total += 1
            t.lied_right += record.declaration_lied and record.document is not None
    return t


def measure_seed() -> Tally:
    t = Tally(pages=1)
    raw = (PAGES / "seogis_583455.gbk.html").read_bytes()
    record, t.seconds = run(raw, SEED_TRUTH["canonical_url"])
    got = record_fields(record)
    t.fields_total, t.fields_exact = len(FIELDS), sum(got[k] == v for k, v in SEED_TRUTH.items())
    bodies = [record.document.body if record.document else ""]
    bodies += [e.body for e in record.extended_reading]
    t.glued_left = sum(map(glued_left, bodies))
    t.chrome_left = sum(map(chrome_left, bodies))
    docs = [d for d in [record.document, *record.extended_reading] if d]
    t.runs_repaired = sum(d.repairs.mojibake_repaired for d in docs)
    t.runs_unrepaired = sum(d.repairs.mojibake_unrepaired for d in docs)
    t.evident_left = sum(len(_SUSPECT.findall(b)) for b in bodies)  # independent of the count
    return t


def measure_clean() -> tuple[int, int, int]:
    """(pages, pages unchanged, repairs counted on them) over the clean fixture."""
    manifest = json.loads((PAGES / "clean" / "manifest.json").read_text("utf-8"))
    unchanged = repairs = 0
    for page in manifest:
        record, _ = run((PAGES / "clean" / page["file"]).read_bytes(), page["url"])
        doc = record.document
        unchanged += bool(
            doc and (doc.title, doc.body) == (page["truth"]["title"], page["truth"]["body"])
        )
        counts = vars_of(doc.repairs) if doc else {}
        repairs += sum(n for name, n in counts.items() if name not in _NOT_CHANGES)
    return len(manifest), unchanged, repairs


_NOT_CHANGES = ("boilerplate_lines",)  # the title line left out of the body is not a change


def vars_of(obj: Any) -> dict[str, int]:
    return {name: getattr(obj, name) for name in obj.__slots__}


def demosite_pages() -> Iterator[dict[str, Any]] | None:
    """The demo site's own pages and truth, when it can build them (`demosite.DemoSite`)."""
    try:
        from demosite import DemoSite
    except ImportError:
        return None
    site = DemoSite.build(pages=60, seed=1, night=1)
    return iter(site.quality_pages()) if hasattr(site, "quality_pages") else None


_FAMILY = {"gbk": "gb18030", "gb2312": "gb18030", "gb18030": "gb18030", "big5": "big5"}


def _family(name: str | None) -> str:
    key = (name or "").lower().replace("_", "-")
    if key in ("cp950", "big5hkscs", "big5-hkscs"):
        return "big5"
    if key in ("cp936", "euc-cn", "hz"):
        return "gb18030"
    return _FAMILY.get(key, "utf-8" if key in ("utf-8", "utf8", "ascii") else key)


def _best_encoding(match: Any) -> str | None:
    return str(match.encoding) if match is not None else None


def detectors(pages: list[dict[str, Any]]) -> list[tuple[str, str, str, str]]:
    """Who decodes right, on every page and on pages whose declaration lies (SPEC.md)."""
    import chardet
    from charset_normalizer import from_bytes

    from pipeline.decode import decode

    guess = {
        "pipeline.decode": lambda p: decode(RawPage(p["url"], p["bytes"], p["headers"])).encoding,
        "charset-normalizer": lambda p: _best_encoding(from_bytes(p["bytes"]).best()),
        "chardet 7.7": lambda p: chardet.detect(p["bytes"])["encoding"],
    }
    lying = [p for p in pages if p["dress"][2] and _family(p["dress"][2]) != _family(p["dress"][1])]
    rows = []
    for name, detect in guess.items():
        start = time.process_time()
        right = [_family(detect(p)) == _family(p["dress"][1]) for p in pages]
        ms = 1000 * (time.process_time() - start) / len(pages)
        on_lies = sum(r for r, p in zip(right, pages, strict=True) if p in lying)
        value = f"{sum(right)}/{len(pages)}, lying {on_lies}/{len(lying)}, {ms:.2f} ms"
        rows.append(("decode", name, value, "all"))
    return rows


def _pct(a: float, b: float) -> str:
    return f"{100 * a / b:.1f}%" if b else "—"


def rows(name: str, t: Tally) -> list[tuple[str, str, str, str]]:
    mean = sum(t.similarity) / len(t.similarity) if t.similarity else None
    runs = _pct(t.runs_exact, t.runs) if t.runs else "—"
    return [
        (name, "pages", str(t.pages), ""),
        (name, "fields exact", f"{t.fields_exact}/{t.fields_total}", "all"),
        (name, "mean body similarity", f"{mean:.4f}" if mean is not None else "—", "≥ 0.995"),
        (
            name,
            "bodies exact",
            f"{t.bodies_exact}/{len(t.similarity)}" if t.similarity else "—",
            "",
        ),
        (name, "extended reading exact", f"{t.extended_exact}/{t.extended_total}", "all"),
        (name, "glued pinyin left", str(t.glued_left), "0"),
        (name, "chrome/spam strings left", str(t.chrome_left), "0"),
        (name, "mojibake runs (forward)", str(t.runs) if t.runs else "—", ""),
        (
            name,
            "runs repaired exactly",
            f"{runs} ({t.runs_exact}/{t.runs})" if t.runs else "—",
            "≥ 95%",
        ),
        (
            name,
            "runs repaired / counted unrepaired",
            f"{t.runs_repaired} / {t.runs_unrepaired}",
            "seed ≤ 3 left",
        ),
        (name, "mojibake evident in bodies", str(t.evident_left), "seed ≤ 3"),
        (
            name,
            "lying declarations survived",
            f"{t.lied_right}/{t.lied_total}" if t.lied_total else "—",
            "all",
        ),
        (name, "CPU ms per page", f"{1000 * t.seconds / max(t.pages, 1):.1f}", ""),
    ]


def misses(seed: Tally, gen: Tally, clean: tuple[int, int, int]) -> list[str]:
    out = []
    if seed.fields_exact < seed.fields_total or gen.fields_exact < gen.fields_total:
        out.append("fields")
    if seed.glued_left or gen.glued_left:
        out.append("glued pinyin")
    if seed.chrome_left or gen.chrome_left:
        out.append("chrome")
    if seed.runs_unrepaired > 3 or seed.evident_left > 3:
        out.append("seed mojibake")
    if gen.runs and gen.runs_exact < 0.95 * gen.runs:
        out.append("generated mojibake")
    if gen.similarity and sum(gen.similarity) / len(gen.similarity) < 0.995:
        out.append("similarity")
    if clean[1] < clean[0]:
        out.append("clean pages changed")
    return out


def _mean(t: Tally) -> float:
    return sum(t.similarity) / len(t.similarity) if t.similarity else 0.0


def fast_path_rows(fast: Tally, pages: Any, name: str) -> tuple[list[Any], bool]:
    """The same pages through the main-text vote: the fast path is kept only if it is at
    least as good (issue 9)."""
    global FAST_PATH
    FAST_PATH = False
    try:
        general = measure_generated(pages)
    finally:
        FAST_PATH = True
    rows = [
        (f"{name}/vote", "fields exact", f"{general.fields_exact}/{general.fields_total}", ""),
        (f"{name}/vote", "mean body similarity", f"{_mean(general):.4f}", "≤ fast path"),
        (f"{name}/vote", "CPU ms per page", f"{1000 * general.seconds / general.pages:.1f}", ""),
    ]
    worse = _mean(fast) < _mean(general) or fast.fields_exact < general.fields_exact
    return rows, worse


def print_table(table: list[tuple[str, str, str, str]]) -> None:
    widths = [max(len(r[i]) for r in table) for i in range(4)]
    header = ("set", "measure", "value", "target")
    for row in (header, tuple("-" * w for w in widths), *table):
        print("  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip())


def real_web() -> tuple[list[tuple[str, str, str, str]], list[str]]:
    """The table for shared/extraction-dev: wenku beside readability-lxml and trafilatura."""
    result = realweb.evaluate()
    if result is None:
        return [("real", "skipped", f"no {realweb.DEV}", "")], []
    return result


def main() -> int:
    from pipeline.models import char_model

    char_model()  # loaded once per process; not part of any page's time
    run((PAGES / "generated" / "001.html").read_bytes(), "http://warm.up/")  # lazy tables too
    seed, gen, clean = measure_seed(), measure_generated(generated()), measure_clean()
    table = rows("seed", seed) + rows("generated", gen)
    vote_rows, fast_worse = fast_path_rows(gen, generated(), "generated")
    table += vote_rows
    demo = demosite_pages()
    if demo is not None:
        demo_tally = measure_generated(demo)
        table += rows("demosite", demo_tally)
        demo_vote, demo_worse = fast_path_rows(demo_tally, demosite_pages(), "demosite")
        table += demo_vote
        fast_worse = fast_worse or demo_worse
    everything = [{**p, "headers": p.get("headers", {})} for p in generated()]
    demo_all = demosite_pages()
    everything += list(demo_all) if demo_all is not None else []
    table += detectors(everything)
    table.append(("clean", "pages unchanged", f"{clean[1]}/{clean[0]}", "all"))
    table.append(("clean", "repairs counted", str(clean[2]), "0"))
    real_rows, real_missed = real_web()
    print_table(table + real_rows)
    missed = misses(seed, gen, clean) + real_missed
    missed += ["fast path worse than the vote"] if fast_worse else []
    print("\nall targets met" if not missed else f"\ntargets missed: {', '.join(missed)}")
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())

"""The language models: the same answers as when they were plain dicts, in far less memory.

Memory is measured as RSS in a fresh process (SPEC.md: ≤ 250 MB for a whole crawl, of
which Scrapy's process takes ~90–130 MB). `warm_up()` added ~146 MB when the tables were
dicts and pypinyin and jieba were imported; it adds ~16 MB now, ~18 MB after the seed page.
"""

from __future__ import annotations

import json
import random
import subprocess
import sys
from pathlib import Path

import pytest

from pipeline.models import char_model, readings, warm_up
from pipeline.tables import Table

ROOT = Path(__file__).resolve().parent.parent
WARM_UP_MB = 30  # measured 15–16 MB; margin for other allocators and Python builds
SEED_PAGE_MB = 35  # warm_up and one clean of the seed page: measured 17–18 MB

_MEASURE = """
import json, sys
from pathlib import Path

def rss_mb():
    for line in open("/proc/self/status"):
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024

import pipeline
from pipeline.types import RawPage
start = rss_mb()
pipeline.warm_up()
warm = rss_mb()
pipeline.process_page(RawPage(url="http://www.seogis.com/gongwen/583455.html",
                              body=Path(sys.argv[1]).read_bytes()))
print(json.dumps({"warm_up": warm - start, "seed": rss_mb() - start,
                  "imported": sorted(m for m in ("jieba", "pypinyin") if m in sys.modules)}))
"""


@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="RSS is read from /proc")
def test_models_fit_the_memory_budget() -> None:
    warm_up()  # the marshal files exist before the measured process starts
    seed = ROOT / "tests" / "fixtures" / "pages" / "seogis_583455.gbk.html"
    run = [sys.executable, "-c", _MEASURE, str(seed)]
    done = subprocess.run(run, capture_output=True, text=True, check=True, cwd=ROOT)
    grown = json.loads(done.stdout)
    assert grown["warm_up"] <= WARM_UP_MB
    assert grown["seed"] <= SEED_PAGE_MB
    assert grown["imported"] == []  # importing them costs 13 MB and 56 MB


@pytest.mark.parametrize(
    ("key", "pair", "word"),
    [
        ("政府", -1.8435839947791852, -7.848842069671113),
        ("建设", -2.260044774657452, -7.731153794696699),
        ("4次", -3.0, None),
        ("的是", -5.062813785834619, None),
        ("权限", -5.532745675516811, -11.538233338178205),
        ("府政", -6.685027422598698, None),
        ("砥砺", -3.6797780692808373, -14.967114148588779),
        ("一万块", None, -14.019732829644592),
        ("会计师", None, -11.571193824027466),
        ("一举两得", None, -13.706860508364253),
        ("自惭形秽", None, -13.8511101172088),
        ("中华人民", None, None),
        ("中华人民共和国", None, None),
        ("x", None, None),
        ("", None, None),
    ],
)
def test_lookups_as_before(key: str, pair: float | None, word: float | None) -> None:
    """Values the dict-based model (cache format 1) gave, to the last bit."""
    model = char_model()
    assert model.bigram.get(key) == pair
    if len(key) == 2:
        assert model.bigram.pair(key[0], key[1]) == pair
    assert model.word(key) == word


@pytest.mark.parametrize("width", [2, 3, 4])
def test_table_answers_as_a_dict(width: int) -> None:
    """Every key found with its value; keys straddling two of a row's entries not found."""
    rng = random.Random(width)
    alphabet = "的一是在不了有和人这中大为上个国我以要他"
    entries = {"".join(rng.choices(alphabet, k=width)): rng.uniform(-20, 0) for _ in range(2000)}
    table = Table.of(entries, width)
    probes = {"".join(rng.choices(alphabet, k=rng.randint(0, 5))) for _ in range(5000)}
    assert all(table.get(key) == entries.get(key) for key in probes | set(entries))
    assert all((key in table) == (key in entries) for key in probes)
    assert Table.loads(*table.dumps()) == table


@pytest.mark.parametrize(
    ("char", "expected"),
    [
        ("当", {"dang"}),
        ("的", {"de", "di"}),
        ("行", {"hang", "heng", "xing"}),
        ("乐", {"le", "yue"}),
    ],
)
def test_readings_as_before(char: str, expected: set[str]) -> None:
    assert readings()[ord(char)] == expected


def test_readings_share_their_sets() -> None:
    table = readings()
    assert len(table) > 40_000
    assert len({id(found) for found in table.values()}) < 5_000

"""The demo site's forward process and corpus: seed-like artifacts, exact round trips."""

from __future__ import annotations

import random
import re
import unicodedata
from difflib import SequenceMatcher

import pytest

from demosite.corpus import load_corpus, parse_sections
from demosite.forward import (
    PinyinGluer,
    fullwidth_to_ascii,
    glue_pinyin,
    insert_debris,
    is_lossless_run,
    misalign_gbk,
    s2t,
    t2s,
    to_fullwidth,
    to_traditional,
    to_traditional_by_sentence,
    unshift_run,
)

CORPUS = load_corpus()


@pytest.mark.parametrize(
    ("clean", "damaged"),
    [
        # the seed's own runs, made again from their clean Traditional text
        ("客觀評估。總體來說,通過", "客觀評估?傮w來說,通過"),
        ("強調。“通過改革,實現", "強調!巴ㄟ^改革,實現"),
        ("發揮作用。可以說,政府", "發揮作用?梢哉f,政府"),
    ],
)
def test_misalign_gbk_reproduces_the_seed(clean: str, damaged: str) -> None:
    assert misalign_gbk(clean, random.Random(0), share=1.0) == (damaged, 1)


def test_unshift_run_undoes_a_run() -> None:
    assert unshift_run("?傮w") == "。總體"
    assert unshift_run("!巴ㄟ^") == "。“通過"


def test_misalign_gbk_lossy_run_drops_a_byte_like_the_seed() -> None:
    clean = "任重道遠。“練內(nèi)功”是根本"
    assert misalign_gbk(clean, random.Random(0), share=1.0) == (clean, 0)
    damaged, runs = misalign_gbk(clean, random.Random(0), share=1.0, lossy=True)
    assert (damaged, runs) == ("任重道遠!熬殐(nèi)功”是根本", 1)


@pytest.mark.parametrize(
    ("segment", "lossless"),
    [
        ("。總體來說,", True),  # resynchronised by the trail byte 0x77 ('w')
        ("。“通過改革,", True),
        ("。”溫家寶總理強(", False),  # 強's trail byte meets '(' and is dropped
        ("。“練內(", False),
        ("。", False),  # nothing to resynchronise on
    ],
)
def test_is_lossless_run(segment: str, lossless: bool) -> None:
    assert is_lossless_run(segment) is lossless


def test_misalign_gbk_runs_are_repairable_on_the_corpus() -> None:
    total = 0
    for index, paragraph in enumerate(CORPUS.paragraphs):
        clean = s2t(paragraph)
        damaged, runs = misalign_gbk(clean, random.Random(index), share=0.5)
        total += runs
        assert _repair_damage(clean, damaged) == runs
    assert total >= 50


def _repair_damage(clean: str, damaged: str) -> int:
    """Check that each region where `damaged` differs repairs to `clean`'s; count them."""
    matcher = SequenceMatcher(None, clean, damaged, autojunk=False)
    regions = 0
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag != "equal":
            assert unshift_run(damaged[j1:j2]) == clean[i1:i2]
            regions += 1
    return regions


def test_glue_pinyin_marks_every_occurrence_of_a_chosen_character() -> None:
    text, count = glue_pinyin("當前位置,當時", random.Random(1), share=1.0)
    assert text.startswith("當(dāng)前")
    assert text.count("當(dāng)") == 2
    assert count == len(re.findall(r"\([a-zāáǎàēéěèīíǐìōóǒòūúǔùǖǘǚǜü]+\)", text))


def test_glue_pinyin_can_double_an_annotation() -> None:
    gluer = PinyinGluer(random.Random(0), share=0.0, other_share=1.0, double=1.0)
    assert gluer.glue("的") == ("的(de)(de)", 2)


def test_glue_pinyin_leaves_ascii_and_punctuation_alone() -> None:
    text = "(试行) 2019, x0dx0a。“”"
    assert glue_pinyin(text, random.Random(0), share=1.0) == (text, 0)


def test_insert_debris_after_punctuation() -> None:
    text, added = insert_debris("第一句。第二句,第三句。", random.Random(3))
    assert added == 1
    assert text.replace("x0dx0a", "") == "第一句。第二句,第三句。"
    assert re.search("[。,]x0dx0a", text)


def test_fullwidth_round_trip() -> None:
    text = "(一)要求:做好,落实;对吗?好!"
    assert fullwidth_to_ascii(to_fullwidth(text)) == text
    assert to_fullwidth(text) == "（一）要求：做好，落实；对吗？好！"


def test_parse_sections_skips_comments_and_blank_lines() -> None:
    text = "# note\n[a]\nx\n\n# more\ny\n[b]\nz\n"
    assert parse_sections(text) == {"a": ["x", "y"], "b": ["z"]}


def test_corpus_size_and_variety() -> None:
    paragraphs = CORPUS.paragraphs
    assert len(set(paragraphs)) == len(paragraphs) >= 120
    assert all(80 <= len(p) <= 300 for p in paragraphs)
    joined = "".join(paragraphs)
    distinct = len(set(joined))
    assert distinct > 1200
    for needed in ("(试行)", "(一)", "!", "201*年", "《", "“"):
        assert needed in joined
    assert len(CORPUS.ext_titles) == 8 and len(CORPUS.categories) == 6


def _normal(text: str) -> bool:
    plain = fullwidth_to_ascii(unicodedata.normalize("NFC", text))
    return plain == text and not re.search(r"\s\s|^\s|\s$|[^\S ]", text)


@pytest.mark.parametrize("text", CORPUS.texts())
def test_corpus_text_is_normal_and_round_trips(text: str) -> None:
    assert _normal(text)
    assert t2s(text) == text
    assert t2s(s2t(text)) == text
    big5 = to_traditional(text, big5=True)
    assert t2s(big5) == text
    big5.encode("big5")
    s2t(text).encode("gbk")


def test_sentence_cached_conversion_matches_whole_conversion() -> None:
    text = "\n".join(CORPUS.paragraphs)
    for big5 in (False, True):
        assert to_traditional_by_sentence(text, big5) == to_traditional(text, big5)

"""Near-duplicate fingerprints: similar texts score high, different ones low, signatures keep."""

from __future__ import annotations

import random

import pytest

from pipeline.neardup import THRESHOLD, BandIndex, from_bytes, signature, similarity, to_bytes

SENTENCE = (
    "执行力源于企业管理,近年来被逐步引入到政府管理中,并受到中央和各级政府领导的重视。"
    "对政府而言,执行力就是贯彻执行党和国家方针政策和上级决策部署,从而实现预定目标任务的力度和能力。"
)
rng = random.Random(7)
PARAGRAPHS = ["".join(rng.sample(SENTENCE, len(SENTENCE))) for _ in range(60)]
TEXT = "\n".join(PARAGRAPHS[:30])


@pytest.mark.parametrize(
    "other,near",
    [
        (TEXT.replace("执行", "执刑", 1), True),  # a typo
        (TEXT + "\n(来源:中国人事报)", True),  # an appended line
        (TEXT.replace("\n", "\n\n"), True),  # white space only
        ("\n".join(PARAGRAPHS[15:45]), False),  # half the paragraphs shared
        ("\n".join(PARAGRAPHS[30:60]), False),  # another text from the same words
    ],
    ids=["typo", "appended line", "white space", "half shared", "different"],
)
def test_near_duplicates_by_threshold(other: str, near: bool) -> None:
    assert (similarity(signature(TEXT), signature(other)) >= THRESHOLD) is near


def test_identical_text_is_identical_signature() -> None:
    assert similarity(signature(TEXT), signature(TEXT)) == 1.0
    assert to_bytes(signature(TEXT)) == to_bytes(signature(TEXT))


def test_signature_survives_storage() -> None:
    sig = signature(TEXT)
    assert similarity(sig, from_bytes(to_bytes(sig))) == 1.0


def test_band_index_finds_only_near_texts() -> None:
    index = BandIndex()
    for key, paragraph_set in enumerate((PARAGRAPHS[:30], PARAGRAPHS[30:60], PARAGRAPHS[10:40])):
        index.add(key, signature("\n".join(paragraph_set)))
    assert index.near(signature(TEXT.replace("执行", "执刑", 1))) == [0]
    assert index.near(signature("今天天气很好,我们去公园散步。")) == []

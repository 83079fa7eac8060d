"""Repairs, one heuristic at a time: what must change, and what must not."""

from __future__ import annotations

import pytest

from pipeline.repair import repair_line
from pipeline.repair.conversion import choose_config, fix_characters, fix_phrases
from pipeline.repair.latin1 import repair_latin1
from pipeline.repair.mojibake import repair_mojibake
from pipeline.repair.pinyin import strip_pinyin
from pipeline.types import Repairs


@pytest.mark.parametrize(
    ("text", "expected", "removed"),
    [
        ("當(dāng)前位置", "當前位置", 1),
        ("的(de)(de)工作", "的工作", 2),
        ("當(dang)前", "當前", 1),  # without tone marks
        ("行(xíng)業(yè)", "行業", 2),  # any reading of a polyphone
        ("行(háng)業", "行業", 1),
        ("動?dòng)員", "動員", 1),  # `(` eaten by the decoder
        ("接口(API)文档", "接口(API)文档", 0),
        ("意義(一)什么", "意義(一)什么", 0),
        ("北京(bei)", "北京(bei)", 0),  # not a reading of 京
        ("张三(zhang)", "张三(zhang)", 0),
        ("（二）为什么", "（二）为什么", 0),
        ("费用(含税)", "费用(含税)", 0),
        ("版本(v2)", "版本(v2)", 0),
    ],
)
def test_glued_pinyin(text: str, expected: str, removed: int) -> None:
    assert strip_pinyin(text) == (expected, removed)


@pytest.mark.parametrize(
    ("damaged", "original"),
    [
        # from the seed page
        ("評估?傮w來說,通過", "評估。總體來說,通過"),
        ("實現(xiàn)!巴ㄟ^改革,實", "實現(xiàn)。“通過改革,實"),
        ("標準?梢哉f,政府", "標準。可以說,政府"),
        ("變化!\ue195殐(nèi)功’的", "變化。‘練內(nèi)功’的"),
        ("意見!比珖(guó)政協", "意見。”全國(guó)政協"),
        ("轉變?yōu)閷?shí)實", "轉變?yōu)為實(shí)實"),
        # made by the demo site's forward process
        ("痛苦_@(zhè)段經", "痛苦。這(zhè)段經"),
        ("便捷^k公室工作", "便捷。辦公室工作"),
        ("任務,F將一年", "任務。現將一年"),
        ("他總是說:拔沂屈h(dǎng)員", "他總是說:“我是黨(dǎng)員"),
        ("糾治八娘L(fēng)”", "糾治“四風(fēng)”"),
        ("上黨課4次Mㄟ^開展", "上黨課4次。通過開展"),
        ("達到100%Mㄟ^家校", "達到100%。通過家校"),
    ],
)
def test_mojibake_repaired_exactly(damaged: str, original: str) -> None:
    text, repaired, left = repair_mojibake(damaged)
    assert text == original
    assert (repaired, left) == (1, 0)


@pytest.mark.parametrize(
    "clean",
    [
        "他买入A股和B股,做了X光和B超检查,穿T恤,看K线图,用U盘拷贝,充Q币。",
        "我们在QQ群里讨论了PM2.5问题,成立了3A级景区和5G基站。",
        "等级评为A,质量为B。维生素C,维生素E。",
        "产品分为A、B、C三类,其中A类占60%。请选择A或B,然后按Y键确认。",
        "要砥砺前行,推诿扯皮要不得,踊跃参加踢毽子比赛,不负韶华。",
        "壹、总则 贰、职责 人民币壹万贰仟元整",
        "Python 3.11 与 PostgreSQL 16 已部署;ISO 9001 认证顺利通过!真的吗?",
        "“不忘初心、牢记使命”——我们永远在路上……",
        "高屋建瓴,不折不扣、一丝不苟抓好落实。",
    ],
)
def test_clean_text_is_left_alone(clean: str) -> None:
    repairs = Repairs()
    assert repair_line(clean, repairs, set()) == clean
    assert repairs == Repairs()


@pytest.mark.parametrize(
    ("damaged", "count"),
    [("他们?cè)诮\ue147鏖_展", 1), ("五是怕?lián)\ue327?zé)任", 1)],
)
def test_private_use_runs_are_counted_when_not_repaired(damaged: str, count: int) -> None:
    text, repaired, left = repair_mojibake(damaged)
    assert repaired + left == count
    assert "\ue147" not in text or left == 1


@pytest.mark.parametrize(
    ("shown", "expected"),
    [
        (
            "提高" + "风险管理能力".encode("gbk").decode("latin-1") + "和水平",
            "提高风险管理能力和水平",
        ),
        ("·çÏÕ¹ÜÀíÄÜÁ¦", "风险管理能力"),
        (
            "加强" + "内部控制".encode("gbk").decode("cp1252", "replace") + "建设",
            "加强内部控制建设",
        ),
        ("café Müller Ångström", "café Müller Ångström"),
        ("Zürich Straße, señor", "Zürich Straße, señor"),
    ],
)
def test_gbk_shown_as_latin1(shown: str, expected: str) -> None:
    assert repair_latin1(shown)[0] == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("我们要统壹思想,妳们要努力。", "我们要统一思想,你们要努力。"),
        ("壹、总则", "壹、总则"),
        ("人民币壹万贰仟元整", "人民币壹万贰仟元整"),
        ("金额:壹佰伍拾元", "金额:壹佰伍拾元"),
    ],
)
def test_conversion_characters(text: str, expected: str) -> None:
    assert fix_characters(text)[0] == expected


def test_conversion_phrases() -> None:
    assert fix_phrases("调整字型大小和许可权") == ("调整字号和权限", 2)


def test_taiwan_phrasing_picks_tw2sp_and_plain_traditional_keeps_t2s() -> None:
    from pipeline.models import converter

    simplified = (
        "这个软件的权限设置在信息中心。我们要打印文件,网络很快。"
        "社区治理要创新,要建立健全社区议事平台,推动社区服务上网络。"
    )
    assert choose_config(str(converter("s2twp").convert(simplified))) == "tw2sp"
    assert choose_config(str(converter("s2t").convert(simplified))) == "t2s"
    assert choose_config(simplified) == "t2s"


@pytest.mark.parametrize(
    ("line", "flagged"),
    [
        ("在201*年3月召开", True),
        ("人事要闻(201*-03-18)", True),
        ("2019年3月", False),
        ("5*3=15年", False),
    ],
)
def test_masked_years_are_kept_and_flagged(line: str, flagged: bool) -> None:
    flags: set[str] = set()
    assert repair_line(line, Repairs(), flags) == line
    assert ("masked_year" in flags) is flagged


def test_repair_is_idempotent_on_the_seed() -> None:
    from pathlib import Path

    seed = (Path(__file__).parent / "fixtures" / "seogis_583455.txt").read_text("utf-8")
    for line in seed.split("\n")[10:40]:
        once = repair_line(line, Repairs(), set())
        assert repair_line(once, Repairs(), set()) == once

"""Removal heuristics: spam lines, site chrome, cloaking markup, escape debris."""

from __future__ import annotations

import pytest

from pipeline.chrome import is_chrome, key
from pipeline.clean import remove_noise, strip_debris
from pipeline.spam import is_spam
from pipeline.types import Repairs


@pytest.mark.parametrize(
    ("line", "page_script", "spam"),
    [
        (
            "毛片在线视频观看,一级日韩免费大片,在线网站黄色,澳门在线高清一级毛片",
            "traditional",
            True,
        ),
        (
            "澳门新葡京娱乐场,北京赛车pk10开奖直播,网上真人百家乐平台,时时彩计划软件下载",
            "simplified",
            True,
        ),
        (
            "學生貸款無需面籤,彩票走勢圖分析預測,銀河娛樂官網登錄,威尼斯人線上開戶",
            "simplified",
            True,
        ),
        ("苹果、香蕉、橘子、葡萄", "traditional", True),  # a keyword list in the other script
        ("苹果、香蕉、橘子、葡萄", "simplified", False),
        ("薈聚奇文、博采眾長、見賢思齊", "traditional", False),  # a slogan: chrome, not spam
        ("要坚持稳中求进,在线教育、远程办公、网络会议都要发展。", "simplified", False),
        ("一是认识到位,二是分析到位,三是评价到位。", "simplified", False),
    ],
)
def test_spam_lines(line: str, page_script: str, spam: bool) -> None:
    assert is_spam(key(line), line, page_script) is spam


@pytest.mark.parametrize(
    ("line", "chrome"),
    [
        ("友情提示:本文中关于《政府自身建设》给出的范例仅供您参考", True),
        ("政府自身建設》由互聯網用戶整理提供,轉載分享請保留原作者信息,謝謝!", True),
        ("上传人:公文小助手 文档编号:250340 上传时间:2016-10-09 格式:DOC 页数:2 大小:87KB", True),
        ("文档编号:250340", True),
        ("第1页 / 共22页", True),
        ("点击查看更多>>", True),
        ("返回 下载 相关 举报", True),
        ("《述职报告》由会员分享,可在线阅读,更多相关《述职报告》请在公文素材库上搜索。", True),
        ("还剩3页未读,继续阅读", True),
        ("分享到:", True),
        ("上一篇:关于做好防汛工作的通知", True),
        ("Copyright © 2019 公文素材库 版权所有", True),
        ("当(dāng)前我县正面临良好的发展机遇。", False),
        ("下一步,我们将继续加大交通基础设施投入。", False),
        ("第一条 为规范应用程序接口的开发和使用,制定本办法。", False),
        ("返回家乡后,他下载了相关资料。", False),
    ],
)
def test_chrome_lines(line: str, chrome: bool) -> None:
    assert is_chrome(key(line)) is chrome


@pytest.mark.parametrize(
    ("line", "expected", "cloaking", "debris"),
    [
        ('全年完成<tr id="x557"></tr>任务', "全年完成任务", 1, 0),
        ("全年完成任务。x0dx0a下一步", "全年完成任务。下一步", 0, 1),
        ("任务;x0dx0a", "任务;", 0, 1),
        ("寄存器0x0a与0x0d", "寄存器0x0a与0x0d", 0, 0),
        ("使用 <b>粗体</b> 强调", "使用 <b>粗体</b> 强调", 0, 0),
    ],
)
def test_cloaking_and_debris(line: str, expected: str, cloaking: int, debris: int) -> None:
    repairs = Repairs()
    assert strip_debris(line, repairs) == expected
    assert (repairs.cloaking_markup, repairs.escape_debris) == (cloaking, debris)


def test_remove_noise_counts_each_kind() -> None:
    lines = [
        "第一段正文。",
        "上传人:公文小助手",
        "澳门新葡京娱乐场,北京赛车pk10开奖直播,网上真人百家乐平台",
        "第二段正文。x0dx0a",
        "第1页 / 共3页",
    ]
    removal = remove_noise(lines, "simplified")
    assert removal.lines == ["第一段正文。", "第二段正文。"]
    assert removal.repairs.boilerplate_lines == 2
    assert removal.repairs.spam_lines == 1
    assert removal.repairs.escape_debris == 1

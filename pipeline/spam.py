"""Injected SEO spam lines: keyword lists of porn, gambling, lottery and loan words, and
lines written in the script the page is not.

Lines are matched on their key (`chrome.key`).
"""

from __future__ import annotations

import re

from pipeline.models import character_s2t, to_simplified

_SCRIPT_SAMPLE = 800  # characters that decide the script of a text

# Words of injected keyword lists (porn, gambling, lottery, loans): a strong word marks a
# keyword list as spam, weak ones need two.
_STRONG_SPAM = (
    "毛片 黄色 成人 色情 无码 三级 裸聊 人妻 伦理片 黄网 约炮 一级 "
    "澳门 赌场 赌博 博彩 百家乐 时时彩 六合彩 彩票 竞彩 彩金 娱乐场 娱乐城 老虎机 真钱 "
    "开奖 投注 赛车pk10 幸运飞艇 网贷 口子 下款 套现 秒批 秒到账 面签 威尼斯人 新葡京"
)
_WEAK_SPAM = (
    "免费 在线 视频 观看 娱乐 福利 高清 大片 日韩 欧美 国产 久久 精品 午夜 直播 美女 "
    "贷款 开户 官网 登录 注册 提现 棋牌 捕鱼 比分 平台 计划 下载"
)
_STRONG_RE = re.compile("|".join(_STRONG_SPAM.split()), re.I)
_WEAK_RE = re.compile("|".join(_WEAK_SPAM.split()), re.I)
_KEYWORD_SPLIT = re.compile(r"\s*[,、|;/\s]\s*")
_SENTENCE_END = re.compile(r"[。!?;:“”\"]")


def is_keyword_list(k: str) -> bool:
    """Three or more short items separated by commas or bars, with no sentence in them."""
    items = [i for i in _KEYWORD_SPLIT.split(k) if i]
    if len(items) < 3 or _SENTENCE_END.search(k):
        return False
    return sum(map(len, items)) / len(items) <= 12


def spam_score(k: str) -> int:
    """Two points per distinct strong spam word, one per distinct weak one."""
    strong = {m.lower() for m in _STRONG_RE.findall(k)}
    return 2 * len(strong) + len({m.lower() for m in _WEAK_RE.findall(k)})


def is_spam(k: str, line: str, page_script: str) -> bool:
    """A keyword list made of spam words or in the page's other script (injected lists
    often are); or a line made of spam words."""
    if not is_keyword_list(k):
        return spam_score(k) >= 6 and not _SENTENCE_END.search(k)
    return spam_score(k) >= 2 or other_script(line, page_script)


def script_of(text: str) -> str:
    """'traditional', 'simplified' or 'neutral' for a stretch of Chinese text: the script
    most of its script-specific characters belong to. Simplified texts keep a few
    Traditional forms (於, 後, 著 on old pages): one of them does not make a text
    Traditional."""
    text = text[:_SCRIPT_SAMPLE]
    traditional = _differ(text, to_simplified(text))
    simplified = _differ(text, str(character_s2t().convert(text)))
    if traditional > simplified:
        return "traditional"
    return "simplified" if simplified else "neutral"


def _differ(text: str, converted: str) -> int:
    """How many characters a conversion changed (1 when it changed the text's length)."""
    if len(converted) != len(text):
        return 1
    return sum(a != b for a, b in zip(text, converted, strict=True))


def other_script(line: str, page_script: str) -> bool:
    """True when `line` is written in the script the page is not."""
    return page_script != "neutral" and script_of(line) not in (page_script, "neutral")

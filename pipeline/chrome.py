"""Recognising site chrome and spam lines.

Lines are matched on their *key*: glued pinyin dropped, Simplified, half-width
punctuation, so one pattern serves both scripts and annotated text.
"""

from __future__ import annotations

import re
from functools import lru_cache

from pipeline.models import character_s2t, to_simplified

_WIDE = re.compile(r"[\uff01-\uff5e\u3000]")
_SCRIPT_SAMPLE = 800  # characters that decide the script of a text
_KEY_MAX = 300  # chrome and spam lines are short; longer lines are body text
_LOOSE_PINYIN = re.compile(
    r"(?<=[\u3400-\u9fff\ue000-\uf8ff])(?:\([a-zA-Z\u00c0-\u01ff\u0300-\u036f]{1,7}\d?\))+"
)


def _narrow(match: re.Match[str]) -> str:
    char = match.group(0)
    return " " if char == "\u3000" else chr(ord(char) - 0xFEE0)


def _prepared(line: str) -> str:
    if len(line) > _KEY_MAX:
        return ""
    return _LOOSE_PINYIN.sub("", _WIDE.sub(_narrow, line)).replace("\n", " ")


@lru_cache(maxsize=4096)  # extraction and removal both ask for the same lines
def key(line: str) -> str:
    """The form of a line that chrome patterns are written against ("" for long lines)."""
    return to_simplified(_prepared(line))


def keys(lines: list[str]) -> list[str]:
    """`key` of every line, with one OpenCC call (each call has a fixed cost)."""
    prepared = [_prepared(line) for line in lines]
    converted = to_simplified("\n".join(prepared)).split("\n")
    if len(converted) != len(prepared):  # a conversion that joined or split lines
        return [key(line) for line in lines]
    return converted


BREADCRUMB = re.compile(r"^(?:当前位置|您的位置|你的位置|您现在的位置|所在位置|位置)\s*:\s*(.+)$")
CRUMB_SPLIT = re.compile(r"\s*(?:>|»|›|>>|→)\s*")
DATETIME = re.compile(
    r"(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})日?"
    r"(?:\s*(\d{1,2}):(\d{2})(?::(\d{2}))?)?"
)
META_LINE = re.compile(r"(?:^|\s|\|)(?:发布)?(?:时间|日期|发布于|更新时间)\s*:\s*\d{4}")
EXTENDED = re.compile(r"^扩展阅读\s*:\s*(.+)$")
SOURCE = re.compile(r"(?:^|\s)来源\s*:\s*(.+?)(?=\s+(?:免责声明|作者|编辑|时间)\s*:|\s*$)")
DISCLAIMER = re.compile(r"免责声明\s*:\s*(.+)$")
LINK = re.compile(r"链接地址\s*:\s*(https?://\S+)")
INLINE_SOURCE = re.compile(r"[(]来源\s*:\s*([^()]{1,40})[)]\s*$")
# Cloaking markup shown as text, e.g. an empty `<tr id="x9k2"></tr>` in the page's text.
CLOAKING = re.compile(
    r"<(\w{1,10})(?:\s[^<>]{0,200})?>\s*</\1\s*>|<(?:br|hr|img)[^<>]{0,200}/?>", re.I
)
TAIL = re.compile(r"^(?:友情提示\s*:|来源\s*:|免责声明\s*:|链接地址\s*:|本文链接\s*:)")

_FOOTER_PATTERNS = (
    r"》由互联网用户整理提供",
    r"转载分享请保留原作者信息",
    r"(?:版权所有|Copyright|©|ICP备|ICP证|联系我们\s*\|)",
)
FOOTER = re.compile("|".join(f"(?:{p})" for p in _FOOTER_PATTERNS), re.I)
_CHROME_PATTERNS = (
    *_FOOTER_PATTERNS,
    r"^友情提示\s*:",
    r"^(?:上传人|文档编号|上传时间|上传者|贡献者|格式|文档格式|页数|大小|文件大小"
    r"|下载次数|浏览次数|下载积分|所需积分|文档分类|分类)\s*:",
    r"^第\s*\d+\s*页\s*/\s*共\s*\d+\s*页$",
    r"^共\s*\d+\s*页$",
    r"点击查看更多\s*>>",
    r"^(?:返回|下载|相关|举报|收藏|分享|打印|上一页|下一页)"
    r"(?:\s*(?:\||/)?\s*(?:返回|下载|相关|举报|收藏|分享|打印|上一页|下一页)){1,}$",
    r"由会员分享\s*,\s*可在线阅读\s*,\s*更多相关",
    r"还剩\s*\d+\s*页未读",
    r"^(?:分享到|分享至|收藏本页|打印本页|关闭窗口|返回顶部)\b",
    r"^(?:上一篇|下一篇|上一篇文章|下一篇文章)\s*:",
    r"^(?:相关文章|相关推荐|热门文章|推荐阅读|猜你喜欢|最新文章)\s*:?$",
    r"^本文(?:链接|地址)\s*:",
    r"^(?:网站|站点)\s*:.*\|\s*(?:时间|日期)\s*:",
)
CHROME = re.compile("|".join(f"(?:{p})" for p in _CHROME_PATTERNS), re.I)

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
    """A keyword list in the other script or made of spam words; or a line of spam words."""
    if not is_keyword_list(k):
        return spam_score(k) >= 6 and not _SENTENCE_END.search(k)
    return spam_score(k) >= 2 or other_script(line, page_script)


def is_chrome(k: str) -> bool:
    return CHROME.search(k) is not None


def script_of(text: str) -> str:
    """'traditional', 'simplified' or 'neutral' for a stretch of Chinese text."""
    text = text[:_SCRIPT_SAMPLE]
    if to_simplified(text) != text:
        return "traditional"
    return "simplified" if str(character_s2t().convert(text)) != text else "neutral"


def other_script(line: str, page_script: str) -> bool:
    """True when `line` is written in the script the page is not."""
    return page_script != "neutral" and script_of(line) not in (page_script, "neutral")

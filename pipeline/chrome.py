"""Recognising site chrome and spam lines.

Lines are matched on their *key*: glued pinyin dropped, Simplified, half-width
punctuation, so one pattern serves both scripts and annotated text.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

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


Pattern = re.Pattern[str]

BREADCRUMB = re.compile(r"^(?:当前位置|您的位置|你的位置|您现在的位置|所在位置|位置)\s*:\s*(.+)$")
CRUMB_SPLIT = re.compile(r"\s*(?:>|»|›|>>|→)\s*")
DATETIME = re.compile(
    r"(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})日?"
    r"(?:\s*(\d{1,2}):(\d{2})(?::(\d{2}))?)?"
)
META_LINE = re.compile(
    r"(?:^|\s|\||〓)(?:(?:发布|发表|发稿|更新)?(?:时间|日期)|发布于|发表于)\s*:?\s*\d{4}"
)
EXTENDED = re.compile(r"^扩展阅读\s*:\s*(.+)$")
_NAME = r"([^\s:|()\[\]【】,;。]{2,20})"
AUTHOR = re.compile(
    rf"(?:^|[\s|\[(【])(?:(?:作者|撰文|撰稿|原作者)\s*:\s*|文\s*/\s*|by\s+){_NAME}"
    rf"|记者(?:\s*:\s*|\s+)([\u4e00-\u9fff·]{{2,5}})(?=\s|\)|$)"
    rf"|^\[\s*([^\s\]]{{2,12}})\s*\]\s*来源\s*:",
    re.I,
)
AUTHOR_LABEL = re.compile(r"^(?:作者|撰文|记者|文)\s*[:/]?$")  # the name on the next line
# A line of one to six personal names (`赵延东、风笑天`), as under an essay's title.
_ONE_NAME = r"[\u4e00-\u9fff·]{2,4}"
NAMES = re.compile(rf"^{_ONE_NAME}(?:(?:\s*[、,]\s*|\s+){_ONE_NAME}){{0,5}}$")
_NOT_NAMES = frozenset(  # section headings and document kinds, not names
    [
        "摘要",
        "前言",
        "引言",
        "序言",
        "导语",
        "概述",
        "目录",
        "正文",
        "附件",
        "说明",
        "简介",
        "内容",
        "提要",
        "按语",
        "编者按",
        "结语",
        "结论",
        "后记",
        "通知",
        "公告",
        "决定",
        "意见",
        "报告",
        "请示",
        "批复",
        "纪要",
        "总结",
        "计划",
        "方案",
        "讲话",
        "发言",
        "致辞",
    ]
)


def is_names(k: str) -> bool:
    return bool(NAMES.match(k)) and k not in _NOT_NAMES


SOURCE = re.compile(r"(?:^|\s)来源\s*:\s*(.+?)(?=\s+(?:免责声明|作者|编辑|时间)\s*:|\s*$)")
DISCLAIMER = re.compile(r"免责声明\s*:\s*(.+)$")
LINK = re.compile(r"链接地址\s*:\s*(https?://\S+)")
INLINE_SOURCE = re.compile(r"[(]来源\s*:\s*([^()]{1,40})[)]\s*$")
# Cloaking markup shown as text, e.g. an empty `<tr id="x9k2"></tr>` in the page's text.
CLOAKING = re.compile(
    r"<(\w{1,10})(?:\s[^<>]{0,200})?>\s*</\1\s*>|<(?:br|hr|img)[^<>]{0,200}/?>", re.I
)


@dataclass(frozen=True, slots=True)
class Family:
    """One family of chrome lines from `chrome.toml`."""

    name: str
    role: str  # "remove", "lead" or "end"
    max_length: int
    pattern: Pattern

    def matches(self, k: str) -> bool:
        return len(k) <= self.max_length and self.pattern.search(k) is not None


TABLE = Path(__file__).with_name("chrome.toml")


def load_families(path: Path = TABLE) -> tuple[Family, ...]:
    table = tomllib.loads(path.read_text(encoding="utf-8"))
    return tuple(
        Family(
            name=entry["name"],
            role=entry["role"],
            max_length=entry["max_length"],
            pattern=re.compile("|".join(f"(?:{p})" for p in entry["patterns"]), re.I),
        )
        for entry in table["family"]
    )


FAMILIES = load_families()
_ROLES = ("remove", "lead", "end")
_BY_ROLE = {role: tuple(f for f in FAMILIES if f.role == role) for role in _ROLES}


def family_of(k: str) -> Family | None:
    """The first family whose pattern the line's key matches."""
    return next((f for f in FAMILIES if f.matches(k)), None)


def _has_role(role: str, k: str) -> bool:
    return bool(k) and any(f.matches(k) for f in _BY_ROLE[role])


def is_chrome(k: str) -> bool:
    """A line dropped wherever it stands in an article (an article-ending line too)."""
    return _has_role("remove", k) or _has_role("end", k)


def is_lead(k: str) -> bool:
    """A byline or metadata line: the page's when it stands at an article's edges."""
    return _has_role("lead", k)


def ends_article(k: str) -> bool:
    """A line after which the article is over (扩展阅读, tail, footer, related lists)."""
    return bool(EXTENDED.match(k)) or _has_role("end", k)


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

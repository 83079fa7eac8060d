"""Injected SEO spam lines: keyword lists of porn, gambling, lottery and loan words, and
lines written in the script the page is not.

Lines are matched on their key (`chrome.key`).
"""

from __future__ import annotations

import operator
import re

from pipeline.models import character_s2t, to_simplified

_SCRIPT_SAMPLE = 800  # characters that decide the script of a text

# Words of injected keyword lists (porn, gambling, lottery, loans): a strong word marks a
# keyword list as spam, weak ones need two.
_STRONG_SPAM = (  # words an official document does not use (一级, 澳门, 彩票 it does)
    "毛片 色情 无码 裸聊 人妻 伦理片 黄网 约炮 "
    "赌场 赌博 博彩 百家乐 时时彩 六合彩 竞彩 彩金 娱乐场 娱乐城 老虎机 真钱 "
    "赛车pk10 幸运飞艇 秒批 秒到账 威尼斯人 新葡京"
)
_WEAK_SPAM = (
    "免费 在线 视频 观看 娱乐 福利 高清 大片 日韩 欧美 国产 久久 精品 午夜 直播 美女 "
    "贷款 开户 官网 登录 注册 提现 棋牌 捕鱼 比分 平台 计划 下载 "
    "一级 三级 成人 黄色 澳门 彩票 开奖 投注 网贷 口子 下款 套现 面签"
)
_STRONG_RE = re.compile("|".join(_STRONG_SPAM.split()), re.I)
_WEAK_RE = re.compile("|".join(_WEAK_SPAM.split()), re.I)
_KEYWORD_SPLIT = re.compile(r"\s*[,、|;/_★☆●◆■♥\s]\s*")
# Forms of spam lines seen on hijacked and spam-farm copies of real pages (issue 9, family
# 10): porn and gambling terms that no article uses as such, gambling brands, black-market
# services; with a weak word or a site marker, one of them makes a short line spam.
_TERMS = re.compile(
    r"无码|有码|一区二区|二区三区|国产精品|精品国产|久久精品|精品久久|久久久久|亚洲(?:av|色|精品|一区)"
    r"|日韩(?:av|精品|一区|欧美)|欧美(?:日韩|一区|精品|色)|人妻|少妇|熟女|午夜(?:视频|影院|福利|电影)"
    r"|成人(?:av|影院|视频|网站|免费|午夜|看片)|av(?:在线|电影|网址|免费)|在线观看免费|免费观看视频"
    r"|毛片|三级(?:片|电影|网站)|黄色(?:网站|视频)|色综合|偷拍|自拍|乱伦|福利导航"
    r"|[a-z0-9]{0,8}(?:体育|娱乐|彩票|棋牌|电竞|真人)(?:平台|官网|官方网站|app|下载|登录|入口|网页版|开户)"
    r"|百家乐|时时彩|北京赛车|pk10|娱乐城|博彩|菠菜|彩金|老虎机|捕鱼游戏|注册送|首存|网投|葡京|威尼斯人"
    r"|bet365|开云|kaiyun|亚博|乐鱼|华体会|九游|ob体育|pg电子|代孕|办证|刻章|代开发票|发票代开|私家侦探"
    r"|外呼系统|电销卡|防封"
    r"|代开.{0,6}发票|办理.{0,4}(?:毕业证|学位证|文凭|驾照|身份证)|私服|刷单|兼职日结|黑客.{0,4}接单"
    r"|改分|定位查人|加粉|快速排名",
    re.I,
)
_TERM_HELPERS = re.compile(
    r"彩票|棋牌|六合彩|开户|邀请码|下注|赔率|网贷|秒批|秒下款|无视征信|黑户|口子|午夜|官网|app下载"
    r"|官方网站|登录入口|平台网址|网址|入口|注册|登录|攻略|论坛|代理|技巧",
    re.I,
)
_TERM_SEPARATOR = re.compile(r"[,_|、/★☆●◆■♥]|-->|\s")
_SHORT_LINE = 80
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


def has_spam_terms(k: str) -> bool:
    """Two spam terms in a list, or one in a short line with a helper word or site marker
    (`快三彩票官网_快三彩票app下载`, `金沙娱乐平台|金沙娱乐平台邀请码`)."""
    if "。" in k:  # a sentence: an article may name them (打击刷单、代开发票等行为。)
        return False
    terms = len(_TERMS.findall(k))
    if terms >= 2 and _TERM_SEPARATOR.search(k):
        return True
    return terms >= 1 and len(k) <= _SHORT_LINE and _TERM_HELPERS.search(k) is not None


def is_spam(k: str, line: str, page_script: str) -> bool:
    """A keyword list made of spam words or in the page's other script (injected lists
    often are); a line made of spam words; a line of spam terms and brands."""
    if has_spam_terms(k):
        return True
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
    return sum(map(operator.ne, text, converted))


def other_script(line: str, page_script: str) -> bool:
    """True when `line` is written in the script the page is not."""
    return page_script != "neutral" and script_of(line) not in (page_script, "neutral")

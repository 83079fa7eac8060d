"""The chrome of real document libraries that a demo page carries besides the seed's:
issue 9's families 7–11, written for the demo after what such pages show (none of it
copied, none of it in a page's truth).

- 7, document sharing: reading counters, a page marker (`NAME.docx_第2页`), a preview
  notice, an upload and infringement notice, numbered download instructions, a
  customer-service QQ line, an unzip password, a 相关下载 list;
- 8, editorial boilerplate: a 导语 notice and a 小编 introduction before the text, a
  小编 closing line after it;
- 9, forum chrome (on `thread-` pages): the edit line, Discuz's anti-copy characters
  between paragraphs, an attachment line and a reply prompt;
- 10, a spam line of other keywords, in the middle of the text;
- 11, a mobile mirror's 点击查看更多 after its 扩展阅读 article.
"""

from __future__ import annotations

import random
import string
from collections.abc import Callable
from dataclasses import dataclass, field
from html import escape

from demosite.corpus import Corpus
from demosite.model import Document

Dress = Callable[[str], str]  # dresses chrome text in the page's script and dirt
LIBRARY_SHARE = 0.6  # of pages with upload chrome
EDITORIAL_SHARE = 0.2
SPAM_SHARE = 0.15
_JAMMER_PAIRS = (string.ascii_letters, string.digits + "!#$%&()*+,-./:;")


@dataclass(frozen=True, slots=True)
class Chrome:
    """Which families a page carries, with the numbers and strings it shows."""

    library: bool = False
    editorial: bool = False
    forum: bool = False
    spam: tuple[str, ...] = ()  # the keywords of an in-text spam line
    more_after_extended: bool = False
    numbers: tuple[int, ...] = (0, 0, 0, 0, 0)  # reads, downloads, QQ, KB, replies
    jammers: tuple[str, ...] = ()
    editor: str = ""  # the forum user who last edited the post


@dataclass(slots=True)
class ChromeParts:
    """HTML to put before the text, in its middle, after it, and after the 扩展阅读."""

    head: list[str] = field(default_factory=list)
    middle: list[str] = field(default_factory=list)
    tail: list[str] = field(default_factory=list)
    after: list[str] = field(default_factory=list)


def draw_chrome(corpus: Corpus, seed: int, path: str, upload: bool) -> Chrome:
    rng = random.Random(f"demosite:{seed}:chrome:{path}")
    spam = tuple(rng.sample(corpus.spam_other, 4)) if rng.random() < SPAM_SHARE else ()
    forum = "/thread-" in path
    numbers = (
        rng.randint(80, 9999),
        rng.randint(3, 600),
        rng.randint(10**8, 4 * 10**9),
        rng.randint(18, 900),
        rng.randint(1, 60),
    )
    return Chrome(
        library=upload and rng.random() < LIBRARY_SHARE,
        editorial=rng.random() < EDITORIAL_SHARE,
        forum=forum,
        spam=spam if not path.startswith("/m/") else (),
        more_after_extended=path.startswith("/m/"),
        numbers=numbers,
        jammers=tuple(_jammer(rng) for _ in range(2)) if forum else (),
        editor=rng.choice(corpus.uploaders),
    )


def _jammer(rng: random.Random) -> str:
    """Discuz's anti-copy noise: letter and sign pairs, spaced (`k4 Q7 t. B) e/ M2 u`)."""
    letters, signs = _JAMMER_PAIRS
    pairs = [rng.choice(letters) + rng.choice(signs) for _ in range(rng.randint(5, 8))]
    return " ".join(pairs) + " " + rng.choice(letters)


def chrome_parts(chrome: Chrome, doc: Document, tx: Dress) -> ChromeParts:
    """The page's chrome as HTML, its text dressed by `tx` like the page's other chrome."""
    parts = ChromeParts()
    title = doc.article.title
    if chrome.editorial:
        _editorial(parts, title, tx)
    if chrome.forum:
        _forum(parts, chrome, doc, tx)
    if chrome.library:
        _library(parts, chrome, doc, tx)
    if chrome.spam:
        parts.middle.append(_div("ad2", tx("★".join(chrome.spam))))
    if chrome.more_after_extended and doc.extended:
        more = escape(tx("点击查看更多>>"), quote=False)
        parts.after.append(f'<div class="more"><a href="#top">{more}</a></div>\n')
    return parts


def _div(kind: str, text: str) -> str:
    return f'<div class="{kind}">{escape(text, quote=False)}</div>\n'


def _p(kind: str, text: str) -> str:
    """A paragraph of chrome, marked with a class as sites do (a text paragraph has none)."""
    return f'<p class="{kind}">{escape(text, quote=False)}</p>\n'


def _editorial(parts: ChromeParts, title: str, tx: Dress) -> None:
    notice = f"导语:{title}是机关单位常用的文稿,本文来源于网友上传,不代表本站观点。"
    intro = f"以下是小编为大家收集的{title},仅供参考,欢迎大家阅读借鉴。"
    closing = "以上就是小编整理的全部内容,希望对大家有所帮助。"
    parts.head += [_p("guide", tx(notice)), _p("intro", tx(intro))]
    parts.tail.append(_p("outro", tx(closing)))


def _forum(parts: ChromeParts, chrome: Chrome, doc: Document, tx: Dress) -> None:
    when = doc.published_at.strftime("%Y-%m-%d %H:%M")
    parts.head.append(_div("pstatus", tx(f"本帖最后由 {chrome.editor} 于 {when} 编辑")))
    parts.middle += [f'<p class="j"><font class="jammer">{j}</font></p>\n' for j in chrome.jammers]
    kb, replies = chrome.numbers[3], chrome.numbers[4]
    attachment = f"{doc.article.title}.doc ({kb}.5 KB, 下载次数: {replies})"
    parts.tail += [
        _div("attach", tx(attachment)),
        _div("locked", tx("游客,如果您要查看本帖隐藏内容请回复")),
    ]


def _library(parts: ChromeParts, chrome: Chrome, doc: Document, tx: Dress) -> None:
    reads, downloads, qq = chrome.numbers[:3]
    title = doc.article.title
    parts.head.append(_div("stat", tx(f"阅读:{reads}次 下载:{downloads}次")))
    parts.middle.append(_div("page-mark", tx(f"{title}.docx_第2页")))
    guide = [
        "下载说明:",
        "1、下载文档前请自行甄别内容是否完整,平台不提供额外的编辑服务。",
        "2、本站资源下载后的文档均无水印,预览图片经过压缩,以下载的原文为准。",
        "3、如遇到无法下载的情况,请联系客服处理。",
    ]
    parts.tail += [
        _div("preview", tx("预览已结束,剩余内容请下载后查看")),
        _div("notice", tx("本文档由用户上传分享,如有侵权请联系客服删除。")),
        *(_p("guide", tx(line)) for line in guide),
        _div("kefu", tx(f"客服QQ:{qq} 工作时间:9:00-17:30")),
        _div("pwd", tx("解压密码:www.gwdemo.cn")),
    ]
    slug = doc.category.slug
    items = "".join(
        f'<li><a href="/list/{slug}/">{escape(tx(f"{name}范文精选"))}</a></li>'
        for name in doc.category.names
    )
    parts.after.append(f'<div class="related"><h3>{tx("相关下载")}</h3><ul>{items}</ul></div>\n')

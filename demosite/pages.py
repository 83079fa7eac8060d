"""HTML of the detail pages (desktop and mobile), laid out line for line like the seed.

The skeletons are written in Simplified with three slots filled later: the spam line
(kept in the other script), the article body (dressed paragraph by paragraph) and the
base URL (known only once a server listens).
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field
from html import escape

from demosite.chrome import Chrome, ChromeParts, draw_chrome
from demosite.corpus import Corpus
from demosite.model import Document
from demosite.plan import PageSpec

SITE = "公文素材库"
SLOGAN = "荟聚奇文、博采众长、见贤思齐"
TIP_END = "该篇文章建议您自主创作。"
SHARE_MIDDLE = "由会员分享,可在线阅读,更多相关"
SPAM_SLOT = "\x00spam\x00"
BODY_SLOT = "\x00body\x00"
BASE_SLOT = "\x00base\x00"
STYLE = (
    "<style>body{margin:0;font:14px/1.8 SimSun,serif;color:#333}"
    ".slogan{color:#999;font-size:12px}.position{padding:6px 0}"
    ".article h1{font-size:22px;text-align:center}.info{color:#888;text-align:center}"
    ".content p{text-indent:2em;margin:0 0 10px}.tip,.source{color:#666;font-size:12px}"
    ".footer{border-top:1px solid #ddd;color:#999;font-size:12px}</style>"
)
SCRIPT = (
    "<script>var _hmt=_hmt||[];(function(){var hm=document.createElement('script');"
    "hm.src='/static/stat.js?v=20190528';var s=document.getElementsByTagName('script')[0];"
    "s.parentNode.insertBefore(hm,s);})();function copyLink(){var u=location.href;"
    "if(navigator.clipboard){navigator.clipboard.writeText(u);}return false;}"
    "window.onload=function(){var ads=document.querySelectorAll('.ad');for(var i=0;i<ads.length;"
    "i++){ads[i].style.display='block';}var more=document.querySelectorAll('.more a');"
    "for(var j=0;j<more.length;j++){more[j].onclick=function(){return copyLink();};}};</script>"
)
Text = Callable[[str], str]


@dataclass(frozen=True, slots=True)
class Look:
    """Per-page cosmetics, drawn from the page's own RNG."""

    spam_style: str  # text: a bare text node | div | tr: cloaking markup shown as text, then div
    spam: str  # comma-separated keywords, Simplified
    cloak: int
    upload: bool  # the page carries 文库 upload chrome
    uploader: str
    doc_number: int
    page_count: int
    size_kb: int
    debris: frozenset[int]  # body paragraphs that get a literal x0dx0a
    chrome: Chrome = field(default_factory=Chrome)  # more families of library chrome

    @property
    def spam_lines(self) -> int:
        return 2 if self.spam_style == "tr" else 1


def draw_look(corpus: Corpus, seed: int, path: str, paragraphs: int) -> Look:
    rng = random.Random(f"demosite:{seed}:look:{path}")
    style = rng.choices(("text", "div", "tr"), (4, 4, 2))[0]
    spam = ",".join(rng.sample(corpus.spam, rng.randint(4, 6)))
    debris = rng.sample(range(paragraphs), min(paragraphs, 2)) if rng.random() < 0.25 else []
    upload = rng.random() < 0.3
    return Look(
        style,
        spam,
        rng.randint(100, 99999),
        upload,
        rng.choice(corpus.uploaders),
        rng.randint(100000, 999999),
        rng.randint(2, 6),
        rng.randint(18, 96),
        frozenset(debris),
        draw_chrome(corpus, seed, path, upload),
    )


def spam_html(look: Look, text: str) -> str:
    line = escape(text, quote=False)
    if look.spam_style == "text":
        return line + "\n"
    cloak = f'&lt;tr id="x{look.cloak}"&gt;&lt;/tr&gt;\n' if look.spam_style == "tr" else ""
    return f'{cloak}<div class="ad">{line}</div>\n'


def _head(title: str, charset: str | None, canonical: str) -> str:
    meta = f'<meta http-equiv="Content-Type" content="text/html; charset={charset}">\n'
    return (
        f"<!DOCTYPE html>\n<html>\n<head>\n{meta if charset else ''}"
        f"<title>{title}</title>\n"
        f'<link rel="canonical" href="{BASE_SLOT}{canonical}">\n{STYLE}\n</head>\n<body>\n'
    )


def _crumbs(doc: Document, title: str, fw: Text) -> str:
    slug = doc.category.slug
    links = "".join(f' &gt; <a href="/list/{slug}/">{name}</a>' for name in doc.category.names)
    return (
        f'<div class="position">{fw("当前位置:")}<a href="/">{SITE}</a>{links} &gt; {title}</div>\n'
    )


def desktop_html(doc: Document, spec: PageSpec, look: Look, fw: Text) -> str:
    """The desktop detail page in Simplified, `fw` applied to its prose."""
    title = escape(fw(doc.article.title), quote=False)
    when = doc.published_at.strftime("%Y-%m-%d %H:%M:%S")
    mobile = f'<a href="{spec.mirror}">{title}</a>' if spec.mirror else title
    byline = f" | {fw('作者:')}{doc.author}" if doc.author else ""
    info = f"{fw('网站:')}{SITE} | {fw('时间:')}{when}{byline} | {fw('移动端:')}{mobile}"
    upload = (
        f'<div class="upload">上传人:{look.uploader} 文档编号:{look.doc_number} '
        f"上传时间:{when[:10]} 格式:DOC 页数:{look.page_count} 大小:{look.size_kb}KB</div>\n"
    )
    return (
        _head(f"{title}_{SITE}", spec.dress.meta, spec.canonical)
        + f'{SPAM_SLOT}<div class="slogan">{SLOGAN}</div>\n'
        + _crumbs(doc, title, fw)
        + f'<div class="article">\n<h1>{title}</h1>\n<div class="info">{info}</div>\n'
        + (upload if look.upload else "")
        + f'<div class="content">\n{BODY_SLOT}</div>\n'
        + pager_html(spec)
        + _tail(doc, spec, look, title, fw)
    )


def pager_html(spec: PageSpec) -> str:
    """An article's pager in DedeCMS's markup: 共N页, 上一页, the page numbers, 下一页."""
    if not spec.part:
        return ""
    count, number = len(spec.parts), spec.part

    def item(path: str, text: str) -> str:
        return f'<li><a href="{path}">{text}</a></li>'

    items = [f"<li><a>共{count}页: </a></li>"]
    if number > 1:
        items.append(item(spec.parts[number - 2], "上一页"))
    for n, path in enumerate(spec.parts, 1):
        here = n == number
        items.append(
            f'<li class="thisclass"><a href="#">{n}</a></li>' if here else item(path, str(n))
        )
    if number < count:
        items.append(item(spec.parts[number], "下一页"))
    return f'<div class="dede_pages"><ul class="pagelist">{"".join(items)}</ul></div>\n'


def _tail(doc: Document, spec: PageSpec, look: Look, title: str, fw: Text) -> str:
    tip = fw(f"友情提示:本文中关于《{title}》给出的范例仅供您参考拓展思维使用,{title}:{TIP_END}")
    source = escape(fw(f"来源:{doc.source} 免责声明:{doc.disclaimer}"), quote=False)
    share = f'<div class="share">《{title}》{SHARE_MIDDLE}《{title}》请在{SITE}上搜索。</div>\n'
    download = spec.pdf or "/"
    tools = (
        f'<div class="tools"><a href="/">返回</a> <a href="{download}">下载</a> '
        f'<a href="/list/{doc.category.slug}/">相关</a> <a href="#">举报</a></div>\n'
    )
    footer = fw(f"{title}》由互联网用户整理提供,转载分享请保留原作者信息,谢谢!")
    return (
        f'<div class="tip">{tip}</div>\n<div class="source">{source}</div>\n'
        + (share if look.upload else "")
        + (tools if look.upload or spec.pdf else "")
        + f'</div>\n<div class="footer">{footer}<br>\n'
        + f"{fw('链接地址:')}{BASE_SLOT}{spec.canonical}</div>\n{SCRIPT}\n</body>\n</html>\n"
    )


def mobile_html(doc: Document, spec: PageSpec) -> str:
    """The mobile mirror: plainer chrome, canonical and 链接地址 → the desktop page."""
    title = escape(doc.article.title, quote=False)
    names = " &gt; ".join(doc.category.names)
    when = doc.published_at.strftime("%Y-%m-%d %H:%M:%S")
    byline = f" 作者:{doc.author}" if doc.author else ""
    column = doc.category.names[-1]
    source = escape(f"来源:{doc.source} 免责声明:{doc.disclaimer}", quote=False)
    return (
        _head(f"{title}-{SITE}手机版", "utf-8", spec.canonical)
        + f'{SPAM_SLOT}<div class="crumb">当前位置:<a href="/">首页</a> &gt; {names}</div>\n'
        + f'<h1>{title}</h1>\n<div class="meta">时间:{when}{byline} 栏目:{column}</div>\n'
        + f'<article>\n{BODY_SLOT}</article>\n<div class="source">{source}</div>\n'
        + f'<div class="link">链接地址:{BASE_SLOT}{spec.canonical}</div>\n</body>\n</html>\n'
    )


def paragraph(text: str) -> str:
    return f"<p>{escape(text, quote=False)}</p>\n"


def body_html(
    lead: str,
    paragraphs: list[str],
    extended: tuple[str, list[str]] | None,
    look: Look,
    tx: Text,
    chrome: ChromeParts | None = None,
) -> str:
    """The content block: title repeated, body, upload chrome, then the 扩展阅读 article;
    `chrome`, the other families of library chrome, around and inside the body.

    `lead`, `paragraphs` and the extended article are already dressed; `tx` dresses chrome.
    """
    chrome = chrome or ChromeParts()
    middle = len(paragraphs) // 2
    body = [paragraph(p) for p in paragraphs]
    parts = [paragraph(lead), *chrome.head, *body[:middle], *chrome.middle, *body[middle:]]
    parts += chrome.tail
    if look.upload:
        pager = f'<div class="pager">{tx(f"第1页 / 共{look.page_count}页")}</div>\n'
        parts.insert(1 + len(chrome.head) + middle, pager)
        more = escape(tx("点击查看更多>>"), quote=False)
        parts.append(f'<div class="more">{tx(f"还剩{look.page_count - 1}页未读")}</div>\n')
        parts.append(f'<div class="more"><a href="#">{more}</a></div>\n')
    if extended:
        title, ext_paragraphs = extended
        parts.append(paragraph(title))
        parts += [paragraph(p) for p in ext_paragraphs]
    return "".join(parts + chrome.after)

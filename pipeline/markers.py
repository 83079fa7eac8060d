"""The markers of a page's structure and fields: breadcrumb, dates, meta line, 扩展阅读,
bylines, source, disclaimer, the page's link; matched on line keys (`chrome.key`).

What is chrome (to drop) is data, in `chrome.toml`; these are what is read.
"""

from __future__ import annotations

import re

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
    rf"(?:^|[\s|\[(【])by\s+((?-i:[A-Z][\w.'-]+(?:\s[A-Z][\w.'-]+){{1,3}}))"  # By Jane Smith
    rf"|(?:^|[\s|\[(【])(?:(?:作者|撰文|撰稿|原作者)\s*:\s*|文\s*/\s*|by\s+){_NAME}"
    rf"|记者(?:\s*:\s*|\s+)([\u4e00-\u9fff·]{{2,5}})(?=\s|\)|$)"
    rf"|^\[\s*([^\s\]]{{2,12}})\s*\]\s*来源\s*:",
    re.I,
)
AUTHOR_LABEL = re.compile(r"^(?:作者|撰文|记者|文)\s*[:/]?$")  # the name on the next line
# A line of one to six personal names (`赵延东、风笑天`), as under an essay's title.
_ONE_NAME = r"[\u4e00-\u9fff·]{2,4}"
NAMES = re.compile(rf"^{_ONE_NAME}(?:(?:\s*[、,]\s*|\s+){_ONE_NAME}){{0,5}}$")
_NOT_NAMES = re.compile(  # section headings and document kinds, not names
    r"^(?:摘要|前言|引言|序言|导语|概述|目录|正文|附件|说明|简介|内容|提要|按语|编者按|结语|结论|后记"
    r"|通知|公告|决定|意见|报告|请示|批复|纪要|总结|计划|方案|讲话|发言|致辞)$"
)


def is_names(k: str) -> bool:
    return bool(NAMES.match(k)) and not _NOT_NAMES.match(k)


SOURCE = re.compile(r"(?:^|\s)来源\s*:\s*(.+?)(?=\s+(?:免责声明|作者|编辑|时间)\s*:|\s*$)")
DISCLAIMER = re.compile(r"免责声明\s*:\s*(.+)$")
LINK = re.compile(r"链接地址\s*:\s*(https?://\S+)")
INLINE_SOURCE = re.compile(r"[(]来源\s*:\s*([^()]{1,40})[)]\s*$")
# Cloaking markup shown as text, e.g. an empty `<tr id="x9k2"></tr>` in the page's text.
CLOAKING = re.compile(
    r"<(\w{1,10})(?:\s[^<>]{0,200})?>\s*</\1\s*>|<(?:br|hr|img)[^<>]{0,200}/?>", re.I
)

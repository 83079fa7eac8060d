"""Removal: spam lines, site chrome and debris left inside an article's body lines.

Then `clean_article` runs the rest of a document's path: repair → normalise → hash.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime

from pipeline import chrome, markers, spam
from pipeline.fingerprint import content_hash
from pipeline.normalise import normalise_many
from pipeline.repair import choose_config, repair_line
from pipeline.repair.mojibake import lossy_marks
from pipeline.types import Article, CleanDocument, Repairs

# Escaped CR/LF left as literal text by a broken export: `x0dx0a`, `_x000D_`, `\r\n`.
_DEBRIS = re.compile(
    r"(?<![0-9A-Za-z])(?:x0d|x0a)+(?![0-9A-Za-z])|(?<![0-9A-Za-z])(?:x0d|x0a){2,}"
    r"|_x000[dDaA]_|(?:\\[rnt])+|&nbsp;?|&#1[03];"
)


_MAY_HAVE_DEBRIS = re.compile(r"[<&\\]|x0[da]|_x000", re.I)


@dataclass(slots=True)
class Fields:
    """A document's fields besides its body, before normalisation."""

    category: str | None = None
    published_at: datetime | None = None
    source: str | None = None
    disclaimer: str | None = None
    author: str | None = None


@dataclass(slots=True)
class _Removal:
    lines: list[str] = field(default_factory=list)
    repairs: Repairs = field(default_factory=Repairs)
    flags: set[str] = field(default_factory=set)


def strip_debris(line: str, repairs: Repairs) -> str:
    """Cloaking markup and escape debris removed from inside a line."""
    if not _MAY_HAVE_DEBRIS.search(line):
        return line
    line, cloaks = markers.CLOAKING.subn("", line)
    line, debris = _DEBRIS.subn("", line)
    repairs.cloaking_markup += cloaks
    repairs.escape_debris += debris
    return line


def _is_noise(k: str, n: int, count: int) -> bool:
    """Chrome anywhere; a byline or metadata line among the article's first or last lines."""
    if chrome.is_chrome(k):
        return True
    lead = chrome.lead_family(k)
    return lead is not None and (n < lead.edge or n >= count - lead.edge)


def remove_noise(lines: list[str], page_script: str) -> _Removal:
    """Body lines without spam, chrome and debris; counts in `repairs`."""
    out = _Removal()
    keys = chrome.keys(lines)
    runs = chrome.in_runs(keys)
    for n, (line, k) in enumerate(zip(lines, keys, strict=True)):
        if n in runs or _is_noise(k, n, len(lines)):
            out.repairs.boilerplate_lines += 1
            out.flags.update(chrome.flags_of([k]))
            continue
        if spam.is_spam(k, line, page_script):
            out.repairs.spam_lines += 1
            continue
        if stripped := strip_debris(line, out.repairs).strip():
            out.lines.append(stripped)
    return out


def _without_spans(body: str, repairs: Repairs, flags: set[str]) -> str:
    """The normalised body without chrome spans inside its paragraphs (forum anti-copy
    noise, 小编 introductions, page markers); paragraphs left empty are dropped."""
    kept, families = [], chrome.strip_families(body)
    if not families:
        return body
    for paragraph in body.split("\n"):
        text, cut, found = chrome.strip_spans(paragraph, families)
        repairs.chrome_spans += cut
        flags.update(found)
        if text := text.strip():
            kept.append(text)
    return "\n".join(kept)


def clean_article(article: Article, fields: Fields, page_script: str) -> CleanDocument | None:
    """Removal → repair → normalise → hash; None when no body is left.

    The body is repaired and normalised as one text (its paragraphs joined by newlines,
    which no repair crosses): a few regex passes per document rather than per line.
    """
    removal = remove_noise(article.lines, page_script)
    repairs, flags = removal.repairs, removal.flags
    text = repair_line("\n".join(removal.lines), repairs, flags)
    if repairs.mojibake_repaired:
        repairs.mojibake_unrepaired += len(lossy_marks(text))
    config = choose_config(text) if page_script == "traditional" else "t2s"
    if config != "t2s":
        flags.add(f"opencc_{config}")
    title = repair_line(article.title, Repairs(), set())
    raw_fields = [fields.category, fields.author, fields.source, fields.disclaimer]
    body, title, *normal = normalise_many([text, title, *(f or "" for f in raw_fields)], config)
    body = _without_spans(body, repairs, flags)
    if not body:
        return None
    pairs = zip(normal, raw_fields, strict=True)
    category, author, source, disclaimer = (n if raw else None for n, raw in pairs)
    return CleanDocument(
        title=title,
        body=body,
        content_hash=content_hash(body),
        category=category,
        published_at=fields.published_at,
        author=author,
        source=source,
        disclaimer=disclaimer,
        repairs=repairs,
        flags=sorted(flags),
    )

"""Site profiles: what to crawl on a document library, and the generic default."""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from ipaddress import ip_address
from urllib.parse import urlsplit

# The URL rule wenku used before documents were recognised by content: a path segment of
# digits ending in .html (/gongwen/583455.html). Crawl summaries count the documents that
# came from pages it misses, when a profile gives no detail_pattern of its own.
DEFAULT_DETAIL_PATTERN = r"/\d+\.s?html?$"
DETAIL_MODES = ("prioritise", "restrict")
DETAIL_PRIORITY = 10  # Scrapy request priority of URLs a prioritising profile's pattern matches
DEFAULT_DENY_PATTERNS = (
    r"/(login|register|signup|logout|user|member|search)\b",
    r"[?&](sort|order|print|share)=",
    r"\.(jpe?g|png|gif|css|js|zip|rar|exe|docx?|xlsx?|pptx?)$",
)


class ProfileError(ValueError):
    """A profile or start URL that cannot be crawled (a user mistake)."""


@dataclass(frozen=True, slots=True)
class SiteProfile:
    name: str
    start_urls: tuple[str, ...]
    allowed_domains: tuple[str, ...]
    # A hint, never the only way a document is recognised (the page's content decides):
    # "prioritise" fetches matching URLs first, "restrict" lets only them become documents.
    detail_pattern: str | None = None
    detail_mode: str = "prioritise"
    deny_patterns: tuple[str, ...] = DEFAULT_DENY_PATTERNS
    max_depth: int = 20
    max_pages: int = 0  # 0: no page budget
    schedule: str | None = None  # cron for the nightly flow; None: the default schedule
    _hint: re.Pattern[str] | None = field(init=False, repr=False, compare=False)
    _rule: re.Pattern[str] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if self.detail_mode not in DETAIL_MODES:
            modes = " or ".join(repr(mode) for mode in DETAIL_MODES)
            raise ProfileError(f"detail_mode must be {modes}, not {self.detail_mode!r}")
        hint = _compiled(self.detail_pattern) if self.detail_pattern else None
        object.__setattr__(self, "_hint", hint)
        object.__setattr__(self, "_rule", hint or re.compile(DEFAULT_DETAIL_PATTERN))

    def may_be_document(self, url: str) -> bool:
        """Whether a page at `url` is cleaned as a document when its content is an article."""
        return self.detail_mode != "restrict" or self.url_rule_matches(url)

    def priority(self, url: str) -> int:
        """The Scrapy request priority of `url`: higher for likely documents when prioritising."""
        hinted = self._hint is not None and self.detail_mode == "prioritise"
        return DETAIL_PRIORITY if hinted and self.url_rule_matches(url) else 0

    def url_rule_matches(self, url: str) -> bool:
        """Whether the URL rule (detail_pattern, else the old default) calls `url` a document:
        it is searched in the path, then in the path and query (`/show.asp?id=2348`)."""
        parts = urlsplit(url)
        found = self._rule.search(parts.path)
        return bool(found or (parts.query and self._rule.search(f"{parts.path}?{parts.query}")))

    def with_limits(self, max_pages: int | None) -> SiteProfile:
        return self if max_pages is None else replace(self, max_pages=max_pages)

    @property
    def on_loopback(self) -> bool:
        return all(is_loopback_host(domain) for domain in self.allowed_domains)


def profile_for_urls(urls: list[str], name: str | None = None) -> SiteProfile:
    """The generic profile: stay on the start URLs' hosts; every page may be a document."""
    if not urls:
        raise ProfileError("give at least one start URL")
    hosts = tuple(dict.fromkeys(_host_of(url) for url in urls))
    return SiteProfile(name=name or hosts[0], start_urls=tuple(urls), allowed_domains=hosts)


def _compiled(pattern: str) -> re.Pattern[str]:
    try:
        return re.compile(pattern)
    except re.error as exc:
        raise ProfileError(
            f"detail_pattern {pattern!r} is not a regular expression: {exc}"
        ) from None


def is_loopback_host(host: str) -> bool:
    host = urlsplit(f"//{host}").hostname or ""
    if host == "localhost":
        return True
    try:
        return ip_address(host).is_loopback
    except ValueError:
        return False


def _host_of(url: str) -> str:
    """The host, with its port when it has one (Scrapy's domain filters compare both)."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ProfileError(f"not an http(s) URL: {url!r}")
    return f"{parts.hostname}:{parts.port}" if parts.port else parts.hostname

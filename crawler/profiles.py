"""Site profiles: what to crawl on a document library, and the generic default."""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from ipaddress import ip_address
from urllib.parse import urlsplit

# A detail page is a path segment of digits ending in .html: /gongwen/583455.html, /doc/7.html.
DEFAULT_DETAIL_PATTERN = r"/\d+\.s?html?$"
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
    detail_pattern: str = DEFAULT_DETAIL_PATTERN
    deny_patterns: tuple[str, ...] = DEFAULT_DENY_PATTERNS
    max_depth: int = 20
    max_pages: int = 0  # 0: no page budget
    schedule: str | None = None  # cron for the nightly flow; None: the default schedule
    _detail: re.Pattern[str] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_detail", re.compile(self.detail_pattern))

    def is_detail(self, url: str) -> bool:
        return bool(self._detail.search(urlsplit(url).path))

    def with_limits(self, max_pages: int | None) -> SiteProfile:
        return self if max_pages is None else replace(self, max_pages=max_pages)

    @property
    def on_loopback(self) -> bool:
        return all(is_loopback_host(domain) for domain in self.allowed_domains)


def profile_for_urls(urls: list[str], name: str | None = None) -> SiteProfile:
    """The generic profile: stay on the start URLs' hosts, detail pages by the default rule."""
    if not urls:
        raise ProfileError("give at least one start URL")
    hosts = tuple(dict.fromkeys(_host_of(url) for url in urls))
    return SiteProfile(name=name or hosts[0], start_urls=tuple(urls), allowed_domains=hosts)


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

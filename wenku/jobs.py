"""What the CLI and the flows both call: choosing a profile, cleaning one file."""

from __future__ import annotations

from dataclasses import replace

from crawler.profiles import SiteProfile, profile_for_urls
from pipeline.types import PageRecord, RawPage
from wenku.config import Settings


def crawl_profile(
    settings: Settings, urls: list[str], site: str | None, max_pages: int | None
) -> SiteProfile:
    """The named profile (start URLs on the command line replace its own), or the default."""
    if site is None:
        return profile_for_urls(urls).with_limits(max_pages)
    profile = settings.site(site)
    if urls:
        custom = profile_for_urls(urls, site)
        profile = replace(
            profile, start_urls=custom.start_urls, allowed_domains=custom.allowed_domains
        )
    return profile.with_limits(max_pages)


def clean_file(raw: bytes, url: str, encoding: str | None = None) -> PageRecord:
    """Decode, extract and clean one saved page; `encoding` overrides every declaration.
    `record.parser_gave_up` says why the HTML parser stopped part-way, if it did."""
    from pipeline import process_page

    headers = {"content-type": f"text/html; charset={encoding}"} if encoding else {}
    return process_page(RawPage(url=url, body=raw, headers=headers))

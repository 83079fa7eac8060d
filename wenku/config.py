"""The one configuration object of the CLI and the flows: flags, then env WENKU_*, then defaults.

Site profiles and schedules come from a TOML file (`--config`, env WENKU_CONFIG, else
./wenku.toml when it exists); see README "Configuration".
"""

from __future__ import annotations

import os
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from crawler.profiles import ProfileError, SiteProfile, profile_for_urls

DEFAULT_DB_URL = "sqlite:///wenku.db"
DEFAULT_WARC_DIR = "warc"
DEFAULT_WARC_MAX_MB = 512  # a WARC file is closed and a new one begun past this size
DEFAULT_ARCHIVE_RETRY_SECONDS = 60.0  # how long the archive writer rides out a DB outage
DEFAULT_CONFIG_FILE = "wenku.toml"
DEFAULT_NIGHTLY_CRON = "0 2 * * *"
DEFAULT_TIMEZONE = "Asia/Shanghai"


class ConfigError(ValueError):
    """A configuration mistake the user can fix (exit code 2)."""


@dataclass(slots=True)
class Settings:
    db_url: str = DEFAULT_DB_URL
    warc_dir: Path = Path(DEFAULT_WARC_DIR)
    warc_max_mb: int = DEFAULT_WARC_MAX_MB
    nightly_cron: str = DEFAULT_NIGHTLY_CRON
    timezone: str = DEFAULT_TIMEZONE
    min_revisit_days: float = 1.0
    max_revisit_days: float = 30.0
    archive_workers: int | None = None  # None: cores - 1, at least 1
    archive_retry_seconds: float = DEFAULT_ARCHIVE_RETRY_SECONDS
    frontier_url: str | None = None  # redis://…: crawls share their frontier there
    sites: dict[str, SiteProfile] = field(default_factory=dict)

    def site_for_url(self, url: str) -> SiteProfile | None:
        """The configured profile whose domains include `url`'s host, if any."""
        parts = urlsplit(url)
        host = f"{parts.hostname}:{parts.port}" if parts.port else parts.hostname or ""
        for profile in self.sites.values():
            if host in profile.allowed_domains:
                return profile
        return None

    def site(self, name: str) -> SiteProfile:
        try:
            return self.sites[name]
        except KeyError:
            known = ", ".join(sorted(self.sites)) or "none configured"
            raise ConfigError(f"no site named {name!r} (known: {known})") from None


def load_settings(db_url: str | None = None, config_file: str | None = None) -> Settings:
    """Settings from flags, then the environment, then the config file, then defaults."""
    data = _read_config(config_file or os.environ.get("WENKU_CONFIG"))
    archive = data.get("archive", {})
    schedule = data.get("schedule", {})
    return Settings(
        db_url=db_url or os.environ.get("WENKU_DB_URL") or archive.get("db_url", DEFAULT_DB_URL),
        warc_dir=Path(
            os.environ.get("WENKU_WARC_DIR") or archive.get("warc_dir", DEFAULT_WARC_DIR)
        ),
        warc_max_mb=_positive_int(archive.get("warc_max_mb", DEFAULT_WARC_MAX_MB), "warc_max_mb"),
        nightly_cron=schedule.get("cron", DEFAULT_NIGHTLY_CRON),
        timezone=schedule.get("timezone", DEFAULT_TIMEZONE),
        min_revisit_days=float(schedule.get("min_revisit_days", 1.0)),
        archive_workers=_workers(archive.get("workers")),
        archive_retry_seconds=_seconds(
            archive.get("retry_seconds", DEFAULT_ARCHIVE_RETRY_SECONDS), "retry_seconds"
        ),
        max_revisit_days=float(schedule.get("max_revisit_days", 30.0)),
        frontier_url=_frontier_url(
            os.environ.get("WENKU_FRONTIER_URL") or data.get("frontier", {}).get("url")
        ),
        sites={name: _profile(name, spec) for name, spec in data.get("sites", {}).items()},
    )


def _positive_int(value: Any, name: str) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or value < 1:
        raise ConfigError(f"[archive] {name} must be a whole number of at least 1, not {value!r}")
    return value


def _frontier_url(value: Any) -> str | None:
    if value is None or value == "":
        return None
    if not isinstance(value, str) or urlsplit(value).scheme not in ("redis", "rediss", "unix"):
        raise ConfigError(f"[frontier] url must be a redis:// URL, not {value!r}")
    return value


def _workers(value: Any) -> int | None:
    return None if value is None else _positive_int(value, "workers")


def _seconds(value: Any, name: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
        raise ConfigError(f"[archive] {name} must be a number of seconds, not {value!r}")
    return float(value)


def _read_config(path: str | None) -> dict[str, Any]:
    if path is None:
        if not Path(DEFAULT_CONFIG_FILE).exists():
            return {}
        path = DEFAULT_CONFIG_FILE
    try:
        with open(path, "rb") as handle:
            return tomllib.load(handle)
    except FileNotFoundError:
        raise ConfigError(f"config file not found: {path}") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"config file {path} is not valid TOML: {exc}") from None


_PROFILE_KEYS = {
    "detail_pattern",
    "detail_mode",
    "deny_patterns",
    "max_depth",
    "max_pages",
    "schedule",
}
# A site's name becomes a path component (the flows' state/jobs/SITE) and part of a Prefect
# deployment name: letters, digits, `_`, `-` and `.`, never `/` or a leading dot (`..`).
_SITE_NAME = re.compile(r"\w[\w.-]*")


def _profile(name: str, spec: dict[str, Any]) -> SiteProfile:
    if not _SITE_NAME.fullmatch(name):
        raise ConfigError(
            f"site name {name!r}: use letters, digits, '_', '-' and '.' (not first), no '/'"
        )
    unknown = set(spec) - _PROFILE_KEYS - {"start_urls", "allowed_domains"}
    if unknown:
        raise ConfigError(f"site {name!r}: unknown keys {', '.join(sorted(unknown))}")
    try:
        base = profile_for_urls(list(spec.get("start_urls", [])), name)
    except ProfileError as exc:
        raise ConfigError(f"site {name!r}: {exc}") from None
    fields = {key: spec[key] for key in _PROFILE_KEYS if key in spec}
    if "deny_patterns" in fields:
        fields["deny_patterns"] = tuple(fields["deny_patterns"])
    domains = tuple(spec.get("allowed_domains", base.allowed_domains))
    try:
        return SiteProfile(name, base.start_urls, domains, **fields)
    except ProfileError as exc:
        raise ConfigError(f"site {name!r}: {exc}") from None

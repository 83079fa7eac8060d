"""Which Prefect API this process would talk to, and whether it answers.

Importing Prefect costs a second or more, so a command that only reports to Prefect when an
API is configured asks Prefect's own settings only when something could configure one:
env PREFECT_API_URL (empty: none), else a Prefect settings file that mentions the API
(the profiles file, or `.env`, `prefect.toml`, `pyproject.toml` here). This looks at no
setting itself; when a file could set one, Prefect reads it.
"""

from __future__ import annotations

import os
from pathlib import Path
from urllib.error import HTTPError, URLError
from urllib.request import urlopen

PROBE_SECONDS = 2.0
# A file is left to Prefect when it contains one of these (case-insensitive).
_MENTIONS = {
    ".env": "prefect_api_url",
    "prefect.toml": "api",
    "pyproject.toml": "tool.prefect",
}


def configured_api_url() -> str | None:
    """The Prefect API URL configured for this process, or None (never an ephemeral one)."""
    if "PREFECT_API_URL" in os.environ:
        return os.environ["PREFECT_API_URL"] or None
    if not any(_may_configure(path, word) for path, word in _settings_files()):
        return None
    from prefect.settings import get_current_settings

    return get_current_settings().api.url or None


def _settings_files() -> list[tuple[Path, str]]:
    home = Path(os.environ.get("PREFECT_HOME") or Path.home() / ".prefect").expanduser()
    profiles = os.environ.get("PREFECT_PROFILES_PATH") or home / "profiles.toml"
    return [(Path(profiles), "prefect_api_url")] + [
        (Path(name), word) for name, word in _MENTIONS.items()
    ]


def _may_configure(path: Path, word: str) -> bool:
    try:
        return word in path.read_text(encoding="utf-8", errors="replace").lower()
    except OSError:  # no such file (the usual case), or unreadable: Prefect cannot use it
        return False


def unreachable(api_url: str, timeout: float = PROBE_SECONDS) -> str | None:
    """None when the API answers HTTP (any status below 500); else what went wrong."""
    try:
        with urlopen(f"{api_url.rstrip('/')}/health", timeout=timeout):
            return None
    except HTTPError as exc:
        return None if exc.code < 500 else f"HTTP {exc.code}"
    except (URLError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        return str(reason) or type(reason).__name__

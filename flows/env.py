"""The environment the flows and their crawl subprocesses read, set before Prefect loads.

Flows and their child processes read the same settings as the CLI (`load_settings()`:
env WENKU_*, then the config file); a command that runs flows exports its flags here first.
"""

from __future__ import annotations

import os
from pathlib import Path

DEFAULT_STATE_DIR = "state"


def export_settings(
    db_url: str | None = None, config_file: str | None = None, warc_dir: Path | None = None
) -> None:
    """Make flags visible to flow runs and their crawl subprocesses (they inherit the env)."""
    if db_url:
        os.environ["WENKU_DB_URL"] = db_url
    if config_file:
        os.environ["WENKU_CONFIG"] = str(Path(config_file).resolve())
    if warc_dir:
        os.environ["WENKU_WARC_DIR"] = str(warc_dir.resolve())


def state_dir() -> Path:
    """Where crawl JOBDIRs live: env WENKU_STATE_DIR, else ./state."""
    return Path(os.environ.get("WENKU_STATE_DIR") or DEFAULT_STATE_DIR)

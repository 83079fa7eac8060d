"""Identity of a text: SHA-256 of its normal form (docs/conventions.md)."""

from __future__ import annotations

import hashlib


def content_hash(body: str) -> str:
    """SHA-256 hex of a normalised body in UTF-8."""
    return hashlib.sha256(body.encode("utf-8")).hexdigest()

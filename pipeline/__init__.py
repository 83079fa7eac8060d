"""The cleaning path: decode → extract → clean → repair → normalise → fingerprint.

Pure functions on the plain data of `pipeline.types`; no Scrapy, no SQLAlchemy.

The stages load on first use: the crawler and the archive writer import only
`pipeline.provenance` and `pipeline.types`, and should not carry the cleaner's modules
(readability-lxml, trafilatura, the models' code) in their memory. `decode` and `extract`
are imported from their modules (`from pipeline.decode import decode`): as names of this
package they would clash with the submodules of the same name.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from pipeline.clean import clean_article
    from pipeline.fingerprint import content_hash
    from pipeline.models import warm_up
    from pipeline.normalise import normalise_text
    from pipeline.process import process_page

_HOMES = {
    "clean_article": "pipeline.clean",
    "content_hash": "pipeline.fingerprint",
    "normalise_text": "pipeline.normalise",
    "process_page": "pipeline.process",
    "warm_up": "pipeline.models",
}

__all__ = ["clean_article", "content_hash", "normalise_text", "process_page", "warm_up"]


def __getattr__(name: str) -> Any:
    if name not in _HOMES:
        raise AttributeError(f"module 'pipeline' has no attribute {name!r}")
    value = getattr(import_module(_HOMES[name]), name)
    globals()[name] = value
    return value

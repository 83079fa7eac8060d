"""The cleaning path: decode → extract → clean → repair → normalise → fingerprint.

Pure functions on the plain data of `pipeline.types`; no Scrapy, no SQLAlchemy.
"""

from pipeline.clean import clean_article
from pipeline.decode import decode
from pipeline.extract import extract
from pipeline.fingerprint import content_hash
from pipeline.models import warm_up
from pipeline.normalise import normalise_text
from pipeline.process import process_page

__all__ = [
    "clean_article",
    "content_hash",
    "decode",
    "extract",
    "normalise_text",
    "process_page",
    "warm_up",
]

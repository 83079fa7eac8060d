"""wenku: crawl, clean, deduplicate and archive Chinese document-library sites."""

__version__ = "0.1.0"

"""Prefect 3 flows: `nightly_crawl(sites)`, `recrawl_url(url)` and `reprocess(since)`.

Each crawl runs `python -m wenku ...` in its own OS process (Twisted's reactor cannot restart
inside one process: scrapy/scrapy#5350), so the flows call exactly what the CLI calls. This
package imports Prefect lazily: `flows.env` must be usable before Prefect is configured.
"""

"""Scrapy spiders, middlewares and the thin adapters that hand responses to the pipeline."""

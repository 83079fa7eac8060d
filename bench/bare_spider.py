"""The baseline of `make bench`: a bare Scrapy spider that only follows links.

Same loopback settings as a wenku crawl (concurrency, robots.txt, depth), no item
processing at all. Prints its Scrapy stats as JSON.
"""

from __future__ import annotations

import json
import resource
import sys

from scrapy import Request, Spider
from scrapy.crawler import CrawlerProcess
from scrapy.linkextractors import LinkExtractor

from crawler.profiles import profile_for_urls
from crawler.settings import crawl_settings
from crawler.spiders.library import RETRY_STATUSES


class BareSpider(Spider):
    name = "bare"

    def __init__(self, start_url: str, **kwargs: object):
        super().__init__(**kwargs)
        self.start_urls = [start_url]
        self.links = LinkExtractor()

    def parse(self, response):  # type: ignore[no-untyped-def,override]
        if hasattr(response, "text"):
            for link in self.links.extract_links(response):
                yield Request(link.url)


def main(url: str) -> None:
    settings = crawl_settings(profile_for_urls([url]))
    for key in ("ITEM_PIPELINES", "EXTENSIONS", "DOWNLOADER_MIDDLEWARES"):
        settings[key] = {}
    settings["HTTPERROR_ALLOW_ALL"] = False
    settings["REDIRECT_ENABLED"] = True
    settings["RETRY_HTTP_CODES"] = sorted(RETRY_STATUSES)  # Scrapy's own retries, as usual
    process = CrawlerProcess(settings)
    crawler = process.create_crawler(BareSpider)
    process.crawl(crawler, start_url=url)
    process.start()
    assert crawler.stats is not None
    own = resource.getrusage(resource.RUSAGE_SELF)
    crawler.stats.set_value("cpu_seconds", own.ru_utime + own.ru_stime)
    print(json.dumps(crawler.stats.get_stats(), default=str))


if __name__ == "__main__":
    main(sys.argv[1])

"""The settings module `scrapy.cfg` names, for `scrapy crawl library -a url=URL[,URL…]`.

wenku's own commands build settings per crawl (`crawler.settings.crawl_settings`, which
also lifts throttling on loopback); this gives Scrapy's command line the same components
with the polite defaults, archiving into env WENKU_DB_URL (else ./wenku.db).
"""

import os

from crawler.settings import BASE, POLITE

globals().update(BASE)
globals().update(POLITE)

SPIDER_MODULES = ["crawler.spiders"]
NEWSPIDER_MODULE = "crawler.spiders"
DEPTH_LIMIT = 20
WENKU_DB_URL = os.environ.get("WENKU_DB_URL") or "sqlite:///wenku.db"
WENKU_WARC_DIR = os.environ.get("WENKU_WARC_DIR") or "warc"

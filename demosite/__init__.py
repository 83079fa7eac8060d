"""The demo document library: a deterministic 公文/范文 site that ships its ground truth.

    site = DemoSite.build(pages=200, seed=7, night=1)  # lazy; fast for thousands of pages
    site.truth()  # {"site", "pages", "documents", "special"}: see demosite.truth
    with DemoServer(pages=200, seed=7, night=1) as srv:  # 127.0.0.1, a free port
        srv.url, srv.set_night(2), srv.request_log, srv.site.truth()

Routes: `/` → `/list/<slug>/`, `/list/<slug>/index_<n>.html` (20 a page) →
`/doc/<id>.html`; mobile mirrors `/m/doc/<id>.html`; `/robots.txt` (disallows
`/private/<id>.html`, which are linked); `/flaky/<id>.html` (500 once, then 200);
`/old/<id>.html` (301); `/files/1.pdf`; the link trap `/calendar/YYYY-MM.html`; linked
dead links (404); on night 2, removed pages (410). Only document pages, and the
redirects and dead links that point like them, end in `/<digits>.html`.
"""

from demosite.server import DemoServer, LoggedRequest
from demosite.site import DemoSite, Response

__all__ = ["DemoServer", "DemoSite", "LoggedRequest", "Response"]

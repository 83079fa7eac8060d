"""The demo document library: a deterministic 公文/范文 site that ships its ground truth.

    site = DemoSite.build(pages=200, seed=7, night=1)  # lazy; fast for thousands of pages
    site.truth()  # {"site", "pages", "documents", "special"}: see demosite.truth
    with DemoServer(pages=200, seed=7, night=1) as srv:  # 127.0.0.1, a free port
        srv.url, srv.set_night(2), srv.request_log, srv.site.truth()

Routes: `/` → `/list/<slug>/`, `/list/<slug>/index_<n>.html` (20 a page) → the documents,
each under one of the URL shapes of real libraries (`/doc/<id>.html`, `/view/<19 digits>`,
`/show.asp?id=<n>`, `/p-<n>.html`, `/p/<12 hex>`, `/thread-<n>-1-1.html`,
`/wk/<n>_2.htm`, `/article<n>/<letters>.html`); mobile mirrors `/m<path>`; one article
split over three pages (`/doc/800001.html`, `…_2.html`, `…_3.html`, with a 共3页 pager);
`/robots.txt` (disallows `/private/<id>.html`, which are linked); `/gongwen/flaky.html` and
`/gongwen/flaky-b.html` (500 once, then 200); `/old/<id>.html` (301); `/files/1.pdf`; the
link trap `/calendar/YYYY-MM.html`; linked dead links (404); on night 2, removed pages
(410). Besides the seed's chrome, pages carry the library chrome of issue 9's families
7–11 (demosite.chrome), which no truth contains.
"""

from demosite.server import DemoServer, LoggedRequest
from demosite.site import DemoSite, Response

__all__ = ["DemoServer", "DemoSite", "LoggedRequest", "Response"]

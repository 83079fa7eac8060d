"""Error pages for `wenku browse`: a Datasette plugin replacing Datasette's own handler.

A bad address or parameter (`?_sort=nope`, `?_timelimit=abc`) is the visitor's mistake:
it answers 400 or 404 with one line. Datasette's handler answers 500 for these and prints
a traceback with every local variable on the server's terminal.
"""

from __future__ import annotations

import logging
import sys
from typing import Any

from datasette import Response, hookimpl
from datasette.plugins import pm
from datasette.utils.asgi import Base400
from datasette.views.base import DatasetteError

logger = logging.getLogger(__name__)


def install_error_pages() -> None:
    """Put `handle_exception` below in place of Datasette's: every hook's result is awaited,
    so the default one cannot merely be outranked."""
    default = pm.get_plugin("datasette.handle_exception")
    if default is not None:
        pm.unregister(default)
    if not pm.is_registered(sys.modules[__name__]):
        pm.register(sys.modules[__name__], name=__name__)


def error_status(exception: BaseException) -> tuple[int, str]:
    """The HTTP status and one-line message for an exception raised serving a request."""
    if isinstance(exception, Base400):
        return exception.status, str(exception.args[0] if exception.args else "bad request")
    if isinstance(exception, DatasetteError):  # a sort, facet or filter it cannot do
        return min(exception.status, 400), str(exception.message)
    if isinstance(exception, ValueError | TypeError | KeyError):  # a parameter it cannot read
        return 400, f"bad request: {exception}"
    return 500, f"{type(exception).__name__}: {exception}"


@hookimpl
def handle_exception(datasette: Any, request: Any, exception: BaseException) -> Any:
    async def error_page() -> Response:
        status, message = error_status(exception)
        if status >= 500:
            logger.error("wenku browse: %s failed: %s", request.path, message)
        info = {"ok": False, "error": message, "status": status, "title": None}
        if request.path.endswith(".json"):
            return Response.json(info, status=status)
        template = datasette.jinja_env.select_template([f"{status}.html", "error.html"])
        context = {**info, "urls": datasette.urls, "menu_links": lambda: []}
        context["app_css_hash"] = datasette.app_css_hash()
        return Response.html(await template.render_async(context), status=status)

    return error_page

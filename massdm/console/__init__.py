"""The web console: server-rendered pages over the same services as the API (docs/console.md).

`install_console(app)` adds its routes under /console (and /api-keys, the page the provider's 401
message sends people to) and its static files. Pages are Jinja2 templates; htmx (vendored in
static/vendor) updates parts of a page, such as a delivery progress bar, without a reload; every
page also works as a plain form post.
"""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from massdm.console.routes import ROUTERS, SANDBOX_ROUTERS

STATIC = Path(__file__).parent / "static"


def install_console(app: FastAPI, *, sandbox: bool) -> None:
    for router in (*ROUTERS, *(SANDBOX_ROUTERS if sandbox else ())):
        app.router.routes.extend(router.routes)
    app.mount("/console/static", StaticFiles(directory=STATIC), name="console-static")

"""The ``metta-lit serve`` web app: replay viewer, live play, runs dashboard, leaderboard and
experiments (Starlette).

Pages are static files of this package (``static/``: HTML, CSS and plain ES modules, no build
step, registered in :mod:`metta_lit.web.pages`); they talk to the JSON API of
:mod:`metta_lit.web.routes` and to one websocket for live play. Every path a request names goes
through :class:`~metta_lit.web.paths.Folder`, so it cannot leave the configured folders; files
are parsed as data (JSON, CSV, YAML text, safetensors), never run.
"""

from __future__ import annotations

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.middleware.trustedhost import TrustedHostMiddleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Mount
from starlette.staticfiles import StaticFiles

from metta_lit.web import pages
from metta_lit.web.routes import experiments, play, replays, runs
from metta_lit.web.security import SecurityMiddleware, allowed_hosts
from metta_lit.web.site import STATIC, Site, WebConfig

__all__ = ["WebConfig", "create_app"]


async def http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    return JSONResponse({"error": exc.detail}, status_code=exc.status_code)


def create_app(config: WebConfig) -> Starlette:
    site = Site(config)
    return Starlette(
        routes=[
            *pages.routes(),
            *replays.routes(site),
            *runs.routes(site),
            *play.routes(site),
            *experiments.routes(site),
            Mount("/static", StaticFiles(directory=STATIC), name="static"),
        ],
        exception_handlers={HTTPException: http_error},
        middleware=[
            # Outermost first: the Host allow-list, then origin checks and security headers.
            Middleware(TrustedHostMiddleware, allowed_hosts=allowed_hosts(config.host, config.allowed_hosts)),
            Middleware(SecurityMiddleware),
        ],
    )

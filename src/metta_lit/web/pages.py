"""The app's pages and their navigation bar, declared once.

A page is ``static/<name>.html`` plus an entry in :data:`PAGES`; each page's HTML holds a
``<nav></nav>`` that is filled from this list when the page is served, so the bar is written in
one place. Labels are this file's constants, escaped all the same.
"""

from __future__ import annotations

import html
from dataclasses import dataclass

from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.routing import Route

from metta_lit.web.site import STATIC

NAV_SLOT = "<nav></nav>"


@dataclass(frozen=True)
class Page:
    name: str  # served at /<name> from static/<name>.html
    label: str  # its link in the navigation bar


PAGES = (
    Page("runs", "Runs"),
    Page("experiments", "Experiments"),
    Page("leaderboard", "Leaderboard"),
    Page("replay", "Replays"),
    Page("play", "Live play"),
)
HOME = "runs"


def nav(current: str) -> str:
    links = " ".join(
        f'<a href="/{p.name}"{" class=active" if p.name == current else ""}>{html.escape(p.label)}</a>' for p in PAGES
    )
    return f"<nav><b>metta-lit</b> {links}</nav>"


def render(page: Page) -> str:
    text = (STATIC / f"{page.name}.html").read_text()
    if NAV_SLOT not in text:
        raise ValueError(f"static/{page.name}.html has no {NAV_SLOT} for the navigation bar")
    return text.replace(NAV_SLOT, nav(page.name), 1)


def routes() -> list[Route]:
    def serve(page: Page):
        async def endpoint(request: Request) -> Response:
            return HTMLResponse(render(page))

        return endpoint

    return [
        Route("/", lambda request: RedirectResponse(f"/{HOME}")),
        *(Route(f"/{page.name}", serve(page)) for page in PAGES),
    ]

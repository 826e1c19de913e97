"""What keeps the web app's data to itself: allowed host names, same-origin requests that act,
and headers that forbid any script the app did not ship.

There is no authentication: anyone who can reach the port can read the runs and replays.
The checks below stop *other web pages* in the user's browser from using the app:
- **Host allow-list** (DNS rebinding): only the names the server is meant to be reached by
  are answered: loopback names when it listens on loopback, plus ``allowed_hosts`` (and the
  address it is bound to) otherwise. Listening on ``0.0.0.0`` keeps the check.
- **Same origin for anything that acts or costs** (every method but GET/HEAD, and the play
  websocket): a browser lets any site POST to localhost and open websockets to it; it always
  sends ``Origin`` with them, so a request whose ``Origin`` is not this app is refused.
  Tools without ``Origin`` (curl, scripts) are not browsers and pass.
- **Content-Security-Policy** on every response: scripts and styles only from the app's own
  files (no inline script, no ``eval``), nothing framed or embedded, so text that reaches a
  page from a file can never run even if it were inserted as HTML.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from starlette.datastructures import Headers
from starlette.types import ASGIApp, Receive, Scope, Send

LOOPBACK = ("127.0.0.1", "localhost", "::1")
SAFE_METHODS = ("GET", "HEAD", "OPTIONS")
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; "
    "connect-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'"
)
HEADERS = [
    (b"content-security-policy", CSP.encode()),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
    (b"x-frame-options", b"DENY"),
]


def allowed_hosts(host: str, extra: Iterable[str] = ()) -> list[str]:
    """Host names the app answers to when listening on ``host``: loopback names always, the
    bound address when it is a specific one, and the user's ``extra`` names."""
    names = [*LOOPBACK, "[::1]", *extra]
    if host not in LOOPBACK and host not in ("0.0.0.0", "::", ""):
        names.append(f"[{host}]" if ":" in host else host)
    return list(dict.fromkeys(names))


def same_origin(headers: Headers | dict[str, str]) -> bool:
    """Whether a request comes from this app's own pages (or from a tool, which sends no Origin)."""
    origin = headers.get("origin")
    return origin is None or origin.split("://", 1)[-1] == headers.get("host")


class SecurityMiddleware:
    """Refuses cross-origin requests that act, and adds the security headers to every response."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "websocket":
            if not same_origin(Headers(scope=scope)):
                await send({"type": "websocket.close", "code": 1008, "reason": "cross-origin"})
                return
            await self.app(scope, receive, send)
            return
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if scope["method"] not in SAFE_METHODS and not same_origin(Headers(scope=scope)):
            await refuse(send, 403, "this request is accepted from this app's own pages only (cross-origin)")
            return

        async def with_headers(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", []), *HEADERS]
            await send(message)

        await self.app(scope, receive, with_headers)


async def refuse(send: Send, status: int, error: str) -> None:
    body = json.dumps({"error": error}).encode()
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode()), *HEADERS]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})

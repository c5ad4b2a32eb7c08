"""An in-browser GraphQL explorer on the local GraphQL URL, as `amplify mock` offers one.

A browser's `GET /graphql` (one that accepts HTML and asks for no WebSocket upgrade) gets the
page in explorer.html: a query editor, a field for a user pool ID token, the
schema read by introspection where the API enables it, and subscriptions over the real-time
protocol. Every other GET goes to the real-time endpoint unchanged. The page loads nothing
from elsewhere and runs every request as the token's user, like any other client.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from pathlib import Path

from aiohttp import hdrs, web

PAGE = (Path(__file__).parent / "explorer.html").read_text(encoding="utf-8")

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def wants_explorer(request: web.Request) -> bool:
    """A page load by a browser: it accepts HTML and is not opening a WebSocket."""
    upgrade = request.headers.get(hdrs.UPGRADE, "").lower() == "websocket"
    return not upgrade and "text/html" in request.headers.get(hdrs.ACCEPT, "")


def with_explorer(other_gets: Handler) -> Handler:
    """The GET handler: the explorer for browsers, `other_gets` for everything else."""

    async def handle(request: web.Request) -> web.StreamResponse:
        if wants_explorer(request):
            return web.Response(text=PAGE, content_type="text/html", charset="utf-8")
        return await other_gets(request)

    return handle

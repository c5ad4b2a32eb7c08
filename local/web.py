"""Serve the web client (clients/web) next to the local stack, with this run's outputs.

The page reads `outputs.json`, shaped like `cdk deploy --outputs-file` output, so the same files
work against a deployed stack when served with `cdk-outputs.json` under that name.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from aiohttp import web

NO_STORE = {"Cache-Control": "no-store"}


def create_web_app(web_dir: Path, stack_name: str, outputs: Mapping[str, str]) -> web.Application:
    root = web_dir.resolve()
    if not (root / "index.html").is_file():
        raise OSError(f"{root} has no index.html: build the web client (make web-build)")

    async def index(_request: web.Request) -> web.FileResponse:
        return web.FileResponse(root / "index.html", headers=NO_STORE)

    async def configuration(_request: web.Request) -> web.Response:
        return web.json_response({stack_name: dict(outputs)}, headers=NO_STORE)

    app = web.Application()
    app.router.add_get("/", index)
    app.router.add_get("/outputs.json", configuration)
    app.router.add_static("/", root, follow_symlinks=False)
    return app

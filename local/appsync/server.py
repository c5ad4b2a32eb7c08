"""The local AppSync endpoint: `POST /graphql`, and with a subscription registry the real-time
WebSocket on the same path (`GET /graphql` with an upgrade, see realtime.py) and, for a
browser's plain GET, the GraphQL explorer (explorer.py)."""

from __future__ import annotations

import asyncio
import json
import logging
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from aiohttp import web

from local.appsync.auth import AuthFailure, RequestAuthenticator, unauthorized_body
from local.appsync.executor import AppSyncExecutor
from local.appsync.explorer import with_explorer
from local.appsync.realtime import RealtimeEndpoint, RealtimeSettings
from local.appsync.subscriptions import SubscriptionRegistry

log = logging.getLogger("local.appsync")

MAX_BODY_BYTES = 1024 * 1024
CORS_HEADERS = {
    "Access-Control-Allow-Origin": "*",
    "Access-Control-Allow-Headers": "*",
    "Access-Control-Allow-Methods": "POST, OPTIONS",
}

EXECUTOR_KEY = web.AppKey("executor", AppSyncExecutor)
AUTH_KEY = web.AppKey("authenticator", RequestAuthenticator)
POOL_KEY = web.AppKey("pool", ThreadPoolExecutor)
REALTIME_KEY = web.AppKey("realtime", RealtimeEndpoint)


def create_appsync_app(
    executor: AppSyncExecutor,
    authenticator: RequestAuthenticator,
    *,
    workers: int = 8,
    subscriptions: SubscriptionRegistry | None = None,
    realtime_settings: RealtimeSettings | None = None,
) -> web.Application:
    """The endpoint; given a registry, it also serves subscriptions over WebSocket."""
    app = web.Application(client_max_size=MAX_BODY_BYTES)
    app[EXECUTOR_KEY] = executor
    app[AUTH_KEY] = authenticator
    app[POOL_KEY] = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="appsync")
    app.router.add_post("/graphql", _graphql)
    app.router.add_route("OPTIONS", "/graphql", _preflight)
    if subscriptions is not None:
        realtime = RealtimeEndpoint(
            executor, authenticator, subscriptions, app[POOL_KEY], realtime_settings
        )
        app[REALTIME_KEY] = realtime
        app.router.add_get("/graphql", with_explorer(realtime.handle))

        async def _close_connections(app: web.Application) -> None:
            await realtime.close_all()

        app.on_shutdown.append(_close_connections)

    async def _shutdown(app: web.Application) -> None:
        app[POOL_KEY].shutdown(wait=False, cancel_futures=True)

    app.on_cleanup.append(_shutdown)
    return app


def _json(body: dict[str, Any], status: int = 200) -> web.Response:
    return web.json_response(body, status=status, headers=CORS_HEADERS)


def _bad_request(message: str) -> web.Response:
    return _json({"errors": [{"errorType": "BadRequestException", "message": message}]}, 400)


async def _preflight(request: web.Request) -> web.Response:
    return web.Response(status=200, headers=CORS_HEADERS)


async def _graphql(request: web.Request) -> web.Response:
    try:
        raw = await request.read()
    except web.HTTPRequestEntityTooLarge:
        return _json({"errors": [{"errorType": "PayloadTooLarge", "message": "Too large"}]}, 413)
    authenticator = request.app[AUTH_KEY]
    try:
        caller = authenticator.authenticate(
            request.method,
            request.rel_url.raw_path,  # SigV4 signs the path as sent, still encoded
            request.rel_url.raw_query_string,
            request.headers,
            raw,
            request.remote or "127.0.0.1",
        )
    except AuthFailure as failure:
        log.info("request-level auth failed: %s (cause: %s)", failure, failure.__cause__)
        return _json(unauthorized_body(str(failure)), 401)
    try:
        payload = json.loads(raw)
    except ValueError:
        return _bad_request("The request body is not valid JSON.")
    if not isinstance(payload, dict) or not isinstance(payload.get("query"), str):
        return _bad_request("The request body must be a JSON object with a 'query' string.")
    variables = payload.get("variables") or {}
    operation_name = payload.get("operationName")
    if not isinstance(variables, dict) or not isinstance(operation_name, str | None):
        return _bad_request("'variables' must be an object and 'operationName' a string.")
    headers = {k.lower(): v for k, v in request.headers.items()}
    loop = asyncio.get_running_loop()
    body = await loop.run_in_executor(
        request.app[POOL_KEY],
        lambda: request.app[EXECUTOR_KEY].execute(
            payload["query"], variables, operation_name, caller, headers
        ),
    )
    return _json(body)

"""The local AppSync endpoint: `POST /graphql`, and with a subscription registry the real-time
WebSocket (see realtime/) both on the same path (`GET /graphql` with an upgrade) and where
AWS's clients look for it on a custom domain: `<GraphQL URL>/realtime`. Amplify JS and
aws-appsync-subscription-link append `/realtime` to any GraphQL URL that is not
`*.appsync-api.<region>.amazonaws.com` (Amplify: api-graphql `AWSWebSocketProvider/appsyncUrl`,
`getRealtimeEndpointUrl`; the subscription link: `realtime-subscription-handshake-link`).

Answers carry AppSync's response headers: `x-amzn-RequestId` always, `x-amzn-ErrorType` on a
request-level failure (clients read the error kind from it), and the CORS headers a browser
needs to send the request and to read those headers.
A browser's plain GET on the GraphQL path gets the GraphQL explorer (explorer.py)."""

from __future__ import annotations

import asyncio
import json
import logging
import uuid
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from aiohttp import web

from local.appsync.auth import AuthFailure, AuthRequest, RequestAuthenticator
from local.appsync.errors import request_error_body, unauthorized_body
from local.appsync.executor import AppSyncExecutor
from local.appsync.explorer import with_explorer
from local.appsync.faults import (
    FAULT_HEADER,
    FaultInjector,
    FaultPlanError,
    answer_after,
    answer_before,
)
from local.appsync.realtime import RealtimeEndpoint, RealtimeSettings
from local.appsync.subscriptions import SubscriptionRegistry

log = logging.getLogger("local.appsync")

MAX_BODY_BYTES = 1024 * 1024
GRAPHQL_PATH = "/graphql"
REALTIME_PATH = GRAPHQL_PATH + "/realtime"
CORS_HEADERS = {
    "Access-Control-Allow-Origin": "*",
    "Access-Control-Allow-Headers": "*",
    "Access-Control-Allow-Methods": "POST, OPTIONS",
    "Access-Control-Expose-Headers": (
        "x-amzn-RequestId, x-amzn-ErrorType, x-amzn-ErrorMessage, x-amz-user-agent, Date"
    ),
    "Access-Control-Max-Age": "86400",
}

EXECUTOR_KEY = web.AppKey("executor", AppSyncExecutor)
AUTH_KEY = web.AppKey("authenticator", RequestAuthenticator)
POOL_KEY = web.AppKey("pool", ThreadPoolExecutor)
REALTIME_KEY = web.AppKey("realtime", RealtimeEndpoint)
FAULTS_KEY = web.AppKey("faults", FaultInjector)


def create_appsync_app(
    executor: AppSyncExecutor,
    authenticator: RequestAuthenticator,
    *,
    workers: int = 8,
    subscriptions: SubscriptionRegistry | None = None,
    realtime_settings: RealtimeSettings | None = None,
    faults: FaultInjector | None = None,
) -> web.Application:
    """The endpoint; given a registry, it also serves subscriptions over WebSocket.

    Given a fault injector (local/appsync/faults.py), POST /graphql answers with its faults.
    """
    app = web.Application(client_max_size=MAX_BODY_BYTES)
    app[EXECUTOR_KEY] = executor
    app[AUTH_KEY] = authenticator
    if faults is not None:
        app[FAULTS_KEY] = faults
    app[POOL_KEY] = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="appsync")
    app.router.add_post(GRAPHQL_PATH, _graphql)
    app.router.add_route("OPTIONS", GRAPHQL_PATH, _preflight)
    if subscriptions is not None:
        realtime = RealtimeEndpoint(
            executor, authenticator, subscriptions, app[POOL_KEY], realtime_settings
        )
        app[REALTIME_KEY] = realtime
        app.router.add_get(GRAPHQL_PATH, with_explorer(realtime.handle))
        app.router.add_get(REALTIME_PATH, realtime.handle)

        async def _close_connections(app: web.Application) -> None:
            await realtime.close_all()

        app.on_shutdown.append(_close_connections)

    async def _shutdown(app: web.Application) -> None:
        app[POOL_KEY].shutdown(wait=False, cancel_futures=True)

    app.on_cleanup.append(_shutdown)
    return app


def _json(body: dict[str, Any], status: int = 200) -> web.Response:
    headers = {**CORS_HEADERS, "x-amzn-RequestId": str(uuid.uuid4())}
    if status >= 400:
        headers["x-amzn-ErrorType"] = str(body["errors"][0]["errorType"])
    return web.json_response(body, status=status, headers=headers)


def _bad_request(message: str) -> web.Response:
    return _json(_bad_request_body(message), 400)


def _bad_request_body(message: str) -> dict[str, Any]:
    return request_error_body("BadRequestException", message)


async def _preflight(request: web.Request) -> web.Response:
    return web.Response(status=200, headers={**CORS_HEADERS, "x-amzn-RequestId": str(uuid.uuid4())})


async def _graphql(request: web.Request) -> web.StreamResponse:
    try:
        raw = await request.read()
    except web.HTTPRequestEntityTooLarge:
        return _json(request_error_body("PayloadTooLarge", "Too large"), 413)
    injector = request.app.get(FAULTS_KEY)
    try:
        fault = injector.decide(request.headers, raw) if injector is not None else None
    except FaultPlanError as error:
        return _bad_request(f"{FAULT_HEADER}: {error}")
    if fault is None or injector is None:
        return await _answer(request, raw)
    early = await answer_before(fault, request, injector)
    if early is not None:
        return early
    response = await _answer(request, raw)
    return response if fault == "slow" else answer_after()


async def _answer(request: web.Request, raw: bytes) -> web.Response:
    """Auth and execution run in a worker thread: a Lambda authorizer waits for its function,
    which runs on this event loop (lambda_authorizer.py)."""
    loop = asyncio.get_running_loop()
    auth_request = AuthRequest(
        request.method,
        request.rel_url.raw_path,  # SigV4 signs the path as sent, still encoded
        request.rel_url.raw_query_string,
        request.headers,
        raw,
        request.remote or "127.0.0.1",
    )
    status, body = await loop.run_in_executor(
        request.app[POOL_KEY], _respond, request.app, auth_request
    )
    return _json(body, status)


def _respond(app: web.Application, request: AuthRequest) -> tuple[int, dict[str, Any]]:
    try:
        caller = app[AUTH_KEY].authenticate(request)
    except AuthFailure as failure:
        log.info("request-level auth failed: %s (cause: %s)", failure, failure.__cause__)
        return 401, unauthorized_body(str(failure))
    try:
        payload = json.loads(request.body)
    except (ValueError, RecursionError):  # RecursionError: nested deeper than the parser goes
        return 400, _bad_request_body("The request body is not valid JSON.")
    if not isinstance(payload, dict) or not isinstance(payload.get("query"), str):
        message = "The request body must be a JSON object with a 'query' string."
        return 400, _bad_request_body(message)
    variables = payload.get("variables") or {}
    operation_name = payload.get("operationName")
    if not isinstance(variables, dict) or not isinstance(operation_name, str | None):
        message = "'variables' must be an object and 'operationName' a string."
        return 400, _bad_request_body(message)
    lowered = {k.lower(): v for k, v in request.headers.items()}
    return 200, app[EXECUTOR_KEY].execute(
        payload["query"], variables, operation_name, caller, lowered
    )

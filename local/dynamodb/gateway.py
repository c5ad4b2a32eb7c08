"""The DynamoDB endpoint the local function calls: signature and IAM checked, then moto.

moto accepts any signature from anyone. A function's role, though, may only do what the
template grants it, so the function does not talk to moto directly: its environment points
`AWS_ENDPOINT_URL_DYNAMODB` here. Each request is SigV4-verified (local.aws.sigv4, service
`dynamodb`), the caller's identity policies are evaluated (local.iam.policy) for
`dynamodb:<Operation>` on every table (or index) ARN the request names, with the request's
global condition keys (local.iam.conditions), and only an allowed request is forwarded to moto.
Refusals take DynamoDB's shape (JSON 1.0 `__type`, HTTP 400):
- a bad or unknown signature: `UnrecognizedClientException` / `InvalidSignatureException`;
- a denied action: `AccessDeniedException`, "User: <arn> is not authorized to perform:
  dynamodb:<Operation> on resource: <arn> because no identity-based policy allows the
  dynamodb:<Operation> action" (the wording of AWS's IAM troubleshooting guide).

DynamoDB applies a conditional write atomically; moto does not under concurrent requests, so
writes pass through one at a time (Powertools' idempotency relies on a conditional PutItem).
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Callable, Iterable
from typing import Any

import aiohttp
from aiohttp import web

from local.aws.sigv4 import CredentialsLookup, SignatureError, verify_request
from local.iam.conditions import request_context
from local.iam.policy import Decision, Policy, PolicyError, evaluate

log = logging.getLogger("local.dynamodb")

TARGET_PREFIX = "DynamoDB_20120810."
CORAL = "com.amazon.coral.service#"
DYNAMODB = "com.amazonaws.dynamodb.v20120810#"
FORWARDED_HEADERS = ("content-type", "x-amz-target", "x-amz-date", "authorization")

PolicyLookup = Callable[[str], list[Policy]]
SESSION_KEY = web.AppKey("session", aiohttp.ClientSession)
WRITES = frozenset({"PutItem", "UpdateItem", "DeleteItem", "BatchWriteItem", "TransactWriteItems"})


def table_arn(region: str, account: str, table: str) -> str:
    return f"arn:aws:dynamodb:{region}:{account}:table/{table}"


def resources_of(body: dict[str, Any], region: str, account: str) -> list[str]:
    """The ARNs an operation acts on: its table (or index), or each table of a batch."""
    if isinstance(body.get("TableName"), str):
        arn = table_arn(region, account, body["TableName"])
        index = body.get("IndexName")
        return [f"{arn}/index/{index}" if isinstance(index, str) else arn]
    tables: list[str] = []
    if isinstance(body.get("RequestItems"), dict):  # BatchGetItem, BatchWriteItem
        tables.extend(body["RequestItems"])
    for item in body.get("TransactItems") or []:  # TransactGetItems, TransactWriteItems
        for action in item.values() if isinstance(item, dict) else []:
            if isinstance(action, dict) and isinstance(action.get("TableName"), str):
                tables.append(action["TableName"])
    if tables:
        return [table_arn(region, account, name) for name in dict.fromkeys(tables)]
    return [table_arn(region, account, "*")]  # ListTables and other account-wide calls


def _error(type_name: str, message: str, status: int = 400) -> web.Response:
    body = {"__type": type_name, "Message": message}
    return web.Response(
        status=status,
        body=json.dumps(body).encode(),
        content_type="application/x-amz-json-1.0",
        headers={"x-amzn-ErrorType": type_name.rsplit("#", 1)[-1]},
    )


def create_dynamodb_gateway(
    moto_endpoint: str,
    *,
    region: str,
    account: str,
    lookup: CredentialsLookup,
    policies: PolicyLookup,
) -> web.Application:
    """An aiohttp app serving DynamoDB's JSON protocol on `POST /`, in front of moto."""
    app = web.Application(client_max_size=16 * 1024 * 1024)
    write_lock = asyncio.Lock()

    async def open_session(app: web.Application) -> None:
        app[SESSION_KEY] = aiohttp.ClientSession()

    async def close_session(app: web.Application) -> None:
        await app[SESSION_KEY].close()

    async def handle(request: web.Request) -> web.Response:
        raw = await request.read()
        target = request.headers.get("X-Amz-Target", "")
        if not target.startswith(TARGET_PREFIX):
            return _error(CORAL + "UnknownOperationException", f"unknown target {target!r}")
        operation = target.removeprefix(TARGET_PREFIX)
        try:
            identity = verify_request(
                method=request.method,
                path=request.rel_url.raw_path,
                query_string=request.rel_url.raw_query_string,
                headers=request.headers.items(),
                body=raw,
                region=region,
                service="dynamodb",
                lookup=lookup,
            )
        except SignatureError as failure:
            log.info("DynamoDB %s refused: %s", operation, failure)
            unknown = str(failure).startswith("unknown access key")
            kind = "UnrecognizedClientException" if unknown else "InvalidSignatureException"
            return _error(CORAL + kind, "The request signature is not valid.")
        try:
            body = json.loads(raw or b"{}")
        except ValueError:
            return _error(CORAL + "SerializationException", "The body is not valid JSON.")
        principal = identity.role_arn or identity.arn
        action = f"dynamodb:{operation}"
        # In AWS the function's SDK reaches DynamoDB over HTTPS; this loopback hop stands in for it.
        context = request_context(identity.arn, request.remote, region, secure=True)
        for resource in resources_of(body if isinstance(body, dict) else {}, region, account):
            decision = _decide(policies, principal, action, resource, context)
            if not decision.allowed:
                log.info("IAM denied %s %s on %s: %s", identity.arn, action, resource, decision)
                return _error(
                    DYNAMODB + "AccessDeniedException",
                    f"User: {identity.arn} is not authorized to perform: {action} on "
                    f"resource: {resource} because no identity-based policy allows the "
                    f"{action} action",
                )
        headers = {k: v for k, v in request.headers.items() if k.lower() in FORWARDED_HEADERS}
        if operation in WRITES:
            async with write_lock:
                return await forward(raw, headers)
        return await forward(raw, headers)

    async def forward(raw: bytes, headers: dict[str, str]) -> web.Response:
        async with app[SESSION_KEY].post(moto_endpoint + "/", data=raw, headers=headers) as reply:
            payload = await reply.read()
            passed = _passed_headers(reply.headers.items())
            return web.Response(status=reply.status, body=payload, headers=passed)

    app.on_startup.append(open_session)
    app.on_cleanup.append(close_session)
    app.router.add_post("/", handle)
    return app


def _decide(
    policies: PolicyLookup, principal: str, action: str, resource: str, context: dict[str, Any]
) -> Decision:
    try:
        return evaluate(policies(principal), action, resource, context)
    except PolicyError as error:  # never allow what cannot be evaluated
        return Decision(False, f"cannot evaluate: {error}")


def _passed_headers(headers: Iterable[tuple[str, str]]) -> dict[str, str]:
    keep = ("content-type", "x-amzn-requestid", "x-amz-crc32", "x-amzn-errortype")
    return {k: v for k, v in headers if k.lower() in keep}

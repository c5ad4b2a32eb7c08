"""AppSync's real-time WebSocket protocol on the local GraphQL endpoint (`GET /graphql` or
`GET /graphql/realtime`, upgrade).

As documented in "Building a real-time WebSocket client in AWS AppSync":
- subprotocol `graphql-ws`; the authorization header object arrives base64-encoded in the URL
  query (`?header=...&payload=e30=`), base64url-encoded as a `header-...` subprotocol, or as
  plain HTTP headers. It names the GraphQL endpoint's `host`; for IAM it is a SigV4 signature
  of `POST <graphql path>/connect` with body `{}` (the GraphQL path, also when the socket was
  opened at `<graphql path>/realtime`);
- `connection_init` -> `connection_ack` with `payload.connectionTimeoutMs`, then `ka` messages;
  messages sent before the ack are ignored;
- `start` (`id`, `payload.data`: the JSON string of query and variables,
  `payload.extensions.authorization`: the same header object, for IAM signed over `data` as a
  `POST <graphql path>`) -> `start_ack`, then `data` messages; `stop` -> `complete`;
- failures: `connection_error` (then close) while connecting, `error` for a message.

Auth is the HTTP endpoint's (`RequestAuthenticator`), at connect and again at every `start`.
Each connection writes through one bounded queue: a consumer that cannot keep up is closed
instead of buffering without limit.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import json
import logging
from collections.abc import Callable, Coroutine, Mapping
from concurrent.futures import Executor
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote

from aiohttp import WSCloseCode, WSMsgType, web
from graphql import FragmentDefinitionNode, GraphQLError, OperationType, get_operation_ast
from graphql.execution.values import (
    get_argument_values,
    get_variable_values,
)

from local.appsync.auth import AuthFailure, RequestAuthenticator
from local.appsync.errors import NO_VALID_AUTHORIZATION
from local.appsync.executor import AppSyncExecutor
from local.appsync.identity import Caller
from local.appsync.subscriptions import SUBSCRIPTION, Subscription, SubscriptionRegistry

log = logging.getLogger("local.appsync.realtime")

SUBPROTOCOL = "graphql-ws"
HEADER_PROTOCOL_PREFIX = "header-"
CONNECT_SUFFIX = "/connect"
REALTIME_SUFFIX = "/realtime"  # where clients connect on a custom domain
# What a subscriber hears when the local runtime itself failed (details in the runner's log).
LOCAL_FAILURE = {
    "errorType": "LocalRuntimeError",
    "message": "The local AppSync could not start this subscription; the runner's log says why.",
}
INIT_TIMEOUT_CLOSE = 4408  # graphql-ws convention; AppSync does not document its own


@dataclass(frozen=True)
class RealtimeSettings:
    connection_timeout_ms: int = 300_000  # what AppSync announces in connection_ack
    keepalive_interval_s: float = 60.0  # AppSync sends `ka` about once a minute
    init_timeout_s: float = 10.0  # a connection that never sends connection_init is closed
    queue_size: int = 1000  # messages waiting for one slow consumer before it is closed
    max_message_bytes: int = 256 * 1024
    close_timeout_s: float = 2.0
    # A WebSocket ping this often; a client that does not answer with a pong (it vanished, or
    # its network did) is disconnected and its subscriptions removed. `ka` messages need no
    # answer, so they alone cannot tell a live client from a dead one.
    heartbeat_s: float = 30.0


def error_message(
    errors: list[dict[str, Any]], subscription_id: str | None = None
) -> dict[str, Any]:
    message: dict[str, Any] = {"type": "error", "payload": {"errors": errors}}
    if subscription_id is not None:
        message["id"] = subscription_id
    return message


def unsupported(what: str = "unknown") -> list[dict[str, Any]]:
    return [
        {
            "errorType": "UnsupportedOperation",
            "message": f"{what} not supported through the realtime channel",
        }
    ]


class RealtimeEndpoint:
    """Accepts WebSocket connections and keeps track of them until they close."""

    def __init__(
        self,
        executor: AppSyncExecutor,
        authenticator: RequestAuthenticator,
        registry: SubscriptionRegistry,
        pool: Executor,
        settings: RealtimeSettings | None = None,
    ) -> None:
        self.executor = executor
        self.authenticator = authenticator
        self.registry = registry
        self.pool = pool
        self.settings = settings or RealtimeSettings()
        self._connections: set[Connection] = set()

    @property
    def connection_count(self) -> int:
        return len(self._connections)

    async def handle(self, request: web.Request) -> web.StreamResponse:
        ws = web.WebSocketResponse(
            protocols=(SUBPROTOCOL,),
            max_msg_size=self.settings.max_message_bytes,
            autoping=True,
            heartbeat=self.settings.heartbeat_s,
        )
        if not ws.can_prepare(request).ok:
            message = "Expected a WebSocket upgrade with the graphql-ws subprotocol."
            body = {"errors": [{"errorType": "BadRequestException", "message": message}]}
            return web.json_response(body, status=400)
        loop = asyncio.get_running_loop()
        self.registry.bind(loop)
        verdict = await loop.run_in_executor(self.pool, self._authenticate_connect, request)
        await ws.prepare(request)
        connection = Connection(self, ws, request, verdict)
        self._connections.add(connection)
        try:
            await connection.run()
        finally:
            self._connections.discard(connection)
        return ws

    async def close_all(self) -> None:
        """Server shutdown: close every connection with a proper close frame."""
        await asyncio.gather(
            *(c.close(WSCloseCode.GOING_AWAY, "server shutdown") for c in list(self._connections)),
            return_exceptions=True,
        )

    def _authenticate_connect(self, request: web.Request) -> Caller | AuthFailure:
        try:
            headers = handshake_headers(request)
            _check_host(headers, request.host)
            return self.authenticator.authenticate(
                "POST",
                graphql_path(request) + CONNECT_SUFFIX,
                "",
                headers,
                b"{}",
                request.remote or "127.0.0.1",
            )
        except AuthFailure as failure:
            log.info("real-time connect refused: %s (cause: %s)", failure, failure.__cause__)
            return failure


class Connection:
    """One client: its protocol state, its subscriptions and its outgoing queue."""

    def __init__(
        self,
        endpoint: RealtimeEndpoint,
        ws: web.WebSocketResponse,
        request: web.Request,
        verdict: Caller | AuthFailure,
    ) -> None:
        self.endpoint = endpoint
        self.ws = ws
        self.request = request
        self.verdict = verdict
        self.settings = endpoint.settings
        self.queue: asyncio.Queue[dict[str, Any]] = asyncio.Queue(self.settings.queue_size)
        self.initialized = False
        self.pending: set[str] = set()  # started, resolver not answered yet
        self.active: set[str] = set()
        self._closing = False
        self._workers: set[asyncio.Task[Any]] = set()  # writer, keep-alive, starts in flight
        self._closer: asyncio.Task[None] | None = None

    # -- life cycle ------------------------------------------------------------------------

    async def run(self) -> None:
        loop = asyncio.get_running_loop()
        self._spawn(self._write())
        init_timer = loop.call_later(self.settings.init_timeout_s, self._init_expired)
        try:
            if self.ws.ws_protocol != SUBPROTOCOL:
                self._refuse_connection(
                    [{"message": "SubProtocolNotSupportedError", "errorCode": 400}]
                )
            async for message in self.ws:
                if message.type == WSMsgType.TEXT:
                    self._on_text(message.data)
                elif message.type == WSMsgType.BINARY:
                    self.offer(error_message(unsupported()))
        finally:
            init_timer.cancel()
            self._forget()
            await self._stop_workers()
            if self._closer is not None:
                await self._closer

    async def close(self, code: int, reason: str) -> None:
        """Send a close frame (once), whoever asks; the connection then ends."""
        self._close_soon(code, reason)
        assert self._closer is not None
        await asyncio.shield(self._closer)

    def offer(self, message: dict[str, Any]) -> None:
        """Queue a message for the client; a full queue closes the connection."""
        if self._closing:
            return
        try:
            self.queue.put_nowait(message)
        except asyncio.QueueFull:
            log.warning("closing a real-time connection: %d messages unread", self.queue.qsize())
            self._close_soon(WSCloseCode.TRY_AGAIN_LATER, "subscriber too slow")

    def _forget(self) -> None:
        """No more messages or subscriptions for this connection."""
        self._closing = True
        self.endpoint.registry.remove_all(self)
        self.pending.clear()
        self.active.clear()

    def _close_soon(self, code: int, reason: str) -> None:
        self._forget()
        if self._closer is None:
            self._closer = asyncio.ensure_future(self._close(code, reason))

    async def _close(self, code: int, reason: str) -> None:
        await self._stop_workers()
        if self.ws.closed:
            return
        try:
            await asyncio.wait_for(
                self.ws.close(code=code, message=reason.encode()),
                self.settings.close_timeout_s,
            )
        except (TimeoutError, ConnectionError):
            transport = self.request.transport
            if transport is not None:
                transport.abort()

    def _spawn(self, work: Coroutine[Any, Any, None]) -> None:
        task = asyncio.create_task(work)
        self._workers.add(task)
        task.add_done_callback(self._workers.discard)

    async def _stop_workers(self) -> None:
        current = asyncio.current_task()
        workers = [task for task in self._workers if task is not current]
        for task in workers:
            task.cancel()
        await asyncio.gather(*workers, return_exceptions=True)

    async def _write(self) -> None:
        while True:
            message = await self.queue.get()
            await self.ws.send_str(json.dumps(message))
            if message.get("type") == "connection_error":
                self._close_soon(WSCloseCode.OK, "connection refused")
                return

    async def _keepalive(self) -> None:
        while True:
            self.offer({"type": "ka"})
            await asyncio.sleep(self.settings.keepalive_interval_s)

    def _init_expired(self) -> None:
        if not self.initialized:
            self._close_soon(INIT_TIMEOUT_CLOSE, "Connection initialisation timeout")

    def _refuse_connection(self, errors: list[dict[str, Any]]) -> None:
        """Send `connection_error`; the writer closes the connection after it."""
        self.offer({"type": "connection_error", "payload": {"errors": errors}})
        self._forget()

    # -- messages --------------------------------------------------------------------------

    def _on_text(self, text: str) -> None:
        try:
            message = json.loads(text)
        except (ValueError, RecursionError):
            message = None
        if not isinstance(message, dict) or not isinstance(message.get("type"), str):
            self.offer(error_message(unsupported()))
            return
        kind = message["type"]
        if kind == "connection_init":
            self._on_init()
        elif not self.initialized:
            return  # AppSync ignores what arrives before connection_ack
        elif kind == "start":
            self._on_start(message)
        elif kind == "stop":
            self._on_stop(message.get("id"))
        else:
            self.offer(error_message(unsupported()))

    def _on_init(self) -> None:
        if self.initialized:
            return
        if isinstance(self.verdict, AuthFailure):
            error = {
                "errorType": "UnauthorizedException",
                "message": str(self.verdict),
                "errorCode": 401,
            }
            self._refuse_connection([error])
            return
        self.initialized = True
        self.offer(
            {
                "type": "connection_ack",
                "payload": {"connectionTimeoutMs": self.settings.connection_timeout_ms},
            }
        )
        self._spawn(self._keepalive())

    def _on_start(self, message: dict[str, Any]) -> None:
        """Checks that need no I/O now (so duplicates are caught in order), the rest in a task."""
        subscription_id = message.get("id")
        payload = message.get("payload")
        if not isinstance(subscription_id, str) or not subscription_id:
            self.offer(error_message(unsupported()))
            return
        if not isinstance(payload, dict) or not isinstance(payload.get("data"), str):
            self.offer(error_message(unsupported(), subscription_id))
            return
        if subscription_id in self.pending or subscription_id in self.active:
            duplicate = {
                "errorType": "DuplicatedOperationError",
                "message": f"Duplicated operation with id {subscription_id}",
            }
            self.offer(error_message([duplicate], subscription_id))
            return
        self.pending.add(subscription_id)
        self._spawn(self._start(subscription_id, payload))

    async def _start(self, subscription_id: str, payload: dict[str, Any]) -> None:
        loop = asyncio.get_running_loop()
        try:
            prepared: Subscription | list[dict[str, Any]] = await loop.run_in_executor(
                self.endpoint.pool, self._prepare, subscription_id, payload
            )
        except Exception:  # a failure of the local runtime: answer, never leave it hanging
            log.exception("subscription %s could not be prepared", subscription_id)
            prepared = [LOCAL_FAILURE]
        if subscription_id not in self.pending or self._closing:
            return  # stopped or disconnected while the resolver ran
        self.pending.discard(subscription_id)
        if isinstance(prepared, list):
            self.offer(error_message(prepared, subscription_id))
            return
        self.endpoint.registry.add(prepared)
        self.active.add(subscription_id)
        self.offer({"type": "start_ack", "id": subscription_id})

    def _on_stop(self, subscription_id: Any) -> None:
        if not isinstance(subscription_id, str):
            self.offer(error_message(unsupported()))
            return
        if subscription_id in self.pending:
            self.pending.discard(subscription_id)
        elif subscription_id in self.active:
            self.active.discard(subscription_id)
            self.endpoint.registry.remove(self, subscription_id)
        else:
            unknown = {
                "errorType": "UnknownOperationError",
                "message": f"Unknown operation id {subscription_id}",
            }
            self.offer(error_message([unknown], subscription_id))
            return
        self.offer({"type": "complete", "id": subscription_id})

    # -- start, off the event loop ---------------------------------------------------------

    def _prepare(
        self, subscription_id: str, payload: dict[str, Any]
    ) -> Subscription | list[dict[str, Any]]:
        """Authenticate, validate and run the field's resolver; the subscription or errors."""
        data = payload["data"]
        extensions = payload.get("extensions")
        authorization = extensions.get("authorization") if isinstance(extensions, dict) else None
        try:
            headers = _string_headers(authorization)
            _check_host(headers, self.request.host)
            caller = self.endpoint.authenticator.authenticate(
                "POST", graphql_path(self.request), "", headers, data.encode(), self._source_ip
            )
        except AuthFailure as failure:
            log.info("subscription %s refused: %s", subscription_id, failure)
            return [{"errorType": "UnauthorizedException", "message": str(failure)}]
        return _subscribe(self.endpoint.executor, self, subscription_id, data, caller)

    @property
    def _source_ip(self) -> str:
        return self.request.remote or "127.0.0.1"


def _subscribe(
    executor: AppSyncExecutor,
    subscriber: Connection,
    subscription_id: str,
    data: str,
    caller: Caller,
) -> Subscription | list[dict[str, Any]]:
    try:
        request = json.loads(data)
    except (ValueError, RecursionError):
        request = None
    if not isinstance(request, dict) or not isinstance(request.get("query"), str):
        return unsupported()
    variables = request.get("variables") or {}
    operation_name = request.get("operationName")
    if not isinstance(variables, dict) or not isinstance(operation_name, str | None):
        return unsupported()
    document, errors = executor.parse_request(request["query"], operation_name)
    if document is None:
        return errors
    operation = get_operation_ast(document, operation_name)
    assert operation is not None
    if operation.operation != OperationType.SUBSCRIPTION:
        return unsupported(operation.operation.value)
    fields = executor.subscription_fields(document)
    if len(fields) != 1:
        return unsupported()
    node = fields[0]
    field_name = node.name.value
    if not executor.is_allowed(caller, SUBSCRIPTION, field_name):
        message = f"Not Authorized to access {field_name} on type {SUBSCRIPTION}"
        return [{"errorType": "Unauthorized", "message": message}]
    coerced = get_variable_values(executor.schema, operation.variable_definitions or (), variables)
    if isinstance(coerced, list):
        return [_graphql_error(e) for e in coerced]
    root = executor.schema.subscription_type
    assert root is not None
    try:
        arguments = get_argument_values(root.fields[field_name], node, coerced)
    except GraphQLError as error:
        return [_graphql_error(error)]
    _value, resolver_errors, extensions = executor.run_root_resolver(
        caller, SUBSCRIPTION, field_name, arguments
    )
    if resolver_errors:
        return [_resolver_error(e) for e in resolver_errors]
    fragments = {
        d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)
    }
    return Subscription(
        subscriber=subscriber,
        id=subscription_id,
        caller=caller,
        field_node=node,
        arguments=dict(arguments),
        fragments=fragments,
        variables=coerced,
        filter=extensions.subscription_filter,
        invalidation_filter=extensions.invalidation_filter,
    )


def graphql_path(request: web.Request) -> str:
    """The GraphQL endpoint's path, which IAM signatures name, for either real-time path."""
    return request.rel_url.raw_path.removesuffix(REALTIME_SUFFIX)


def handshake_headers(request: web.Request) -> dict[str, str]:
    """The authorization header object of a connection request, from wherever it was sent."""
    encoded = _raw_query_param(request.query_string, "header")
    if encoded is not None:
        return _decode_header_object(encoded)
    for protocol in _offered_protocols(request.headers):
        if protocol.startswith(HEADER_PROTOCOL_PREFIX):
            return _decode_header_object(protocol.removeprefix(HEADER_PROTOCOL_PREFIX))
    return {k: v for k, v in request.headers.items() if k.lower() != "sec-websocket-protocol"}


def _raw_query_param(query_string: str, name: str) -> str | None:
    """A query value percent-decoded only: clients send raw base64, whose `+` is no space."""
    for pair in query_string.split("&"):
        key, _, value = pair.partition("=")
        if key == name:
            return unquote(value)
    return None


def _offered_protocols(headers: Mapping[str, str]) -> list[str]:
    values = headers.getall("Sec-WebSocket-Protocol", []) if hasattr(headers, "getall") else []
    return [p.strip() for value in values for p in value.split(",") if p.strip()]


def _decode_header_object(encoded: str) -> dict[str, str]:
    """base64 (query string) or base64url (subprotocol), padding optional."""
    padded = encoded + "=" * (-len(encoded) % 4)
    decode: Callable[[str], bytes] = (
        base64.urlsafe_b64decode if ("-" in encoded or "_" in encoded) else base64.b64decode
    )
    try:
        value = json.loads(decode(padded))
    except (binascii.Error, ValueError) as error:
        raise AuthFailure(NO_VALID_AUTHORIZATION) from error
    return _string_headers(value)


def _string_headers(value: Any) -> dict[str, str]:
    if not isinstance(value, dict) or not all(isinstance(v, str) for v in value.values()):
        raise AuthFailure(NO_VALID_AUTHORIZATION)
    return {str(k): v for k, v in value.items()}


def _check_host(headers: Mapping[str, str], endpoint_host: str) -> None:
    """The header object names the GraphQL endpoint's host (here, this server)."""
    host = next((v for k, v in headers.items() if k.lower() == "host"), None)
    if host is None or host.lower() != endpoint_host.lower():
        raise AuthFailure(NO_VALID_AUTHORIZATION)


def _graphql_error(error: GraphQLError) -> dict[str, Any]:
    return {"errorType": "ValidationError", "message": error.message}


def _resolver_error(entry: dict[str, Any]) -> dict[str, Any]:
    """AppSync's real-time errors carry errorType and message; other keys only when set."""
    extras = {k: v for k, v in entry.items() if k not in ("errorType", "message") and v is not None}
    return {"errorType": entry.get("errorType"), "message": entry.get("message", "Error"), **extras}

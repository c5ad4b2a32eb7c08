"""One real-time connection: its protocol state, its subscriptions and its outgoing queue.

`connection_init` -> `connection_ack` (with `connectionTimeoutMs`), then `ka` messages; what
arrives before the ack is ignored. `start` -> `start_ack` then `data` messages, or `error`;
`stop` -> `complete`. A refused connection gets `connection_error` and is closed.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Coroutine
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from aiohttp import WSCloseCode, WSMsgType, web

from local.appsync.auth import AuthFailure
from local.appsync.identity import Caller
from local.appsync.realtime.handshake import authenticate_start
from local.appsync.realtime.messages import (
    LOCAL_FAILURE,
    SUBPROTOCOL,
    error_message,
    unsupported,
)
from local.appsync.realtime.subscribe import prepare_subscription
from local.appsync.subscriptions import Subscription

if TYPE_CHECKING:
    from local.appsync.realtime.endpoint import RealtimeEndpoint

log = logging.getLogger("local.appsync.realtime")

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
            caller = authenticate_start(
                self.endpoint.authenticator, self.request, authorization, data
            )
        except AuthFailure as failure:
            log.info("subscription %s refused: %s", subscription_id, failure)
            return [{"errorType": "UnauthorizedException", "message": str(failure)}]
        return prepare_subscription(self.endpoint.executor, self, subscription_id, data, caller)

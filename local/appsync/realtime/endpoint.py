"""The real-time endpoint: accepts WebSocket connections and tracks them until they close."""

from __future__ import annotations

import asyncio
import logging
from concurrent.futures import Executor

from aiohttp import WSCloseCode, web

from local.appsync.auth import AuthFailure, RequestAuthenticator
from local.appsync.errors import request_error_body
from local.appsync.executor import AppSyncExecutor
from local.appsync.identity import Caller
from local.appsync.realtime.connection import Connection, RealtimeSettings
from local.appsync.realtime.handshake import authenticate_connect
from local.appsync.realtime.messages import SUBPROTOCOL
from local.appsync.subscriptions import SubscriptionRegistry

log = logging.getLogger("local.appsync.realtime")


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
            body = request_error_body("BadRequestException", message)
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
            return authenticate_connect(self.authenticator, request)
        except AuthFailure as failure:
            log.info("real-time connect refused: %s (cause: %s)", failure, failure.__cause__)
            return failure

"""`todo watch`: print your todos' changes as they happen, until Ctrl-C.

It speaks AppSync's real-time protocol over the stack's `GraphQLRealtimeUrl` (locally a ws://
URL on the GraphQL endpoint, deployed the `appsync-realtime-api` host) and subscribes to
onCreateTodo, onUpdateTodo and onDeleteTodo for your own `sub`, signed in with your ID token.
The authorization header names the GraphQL endpoint's host, not the real-time host.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import json
import sys
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed, InvalidHandshake, InvalidURI
from websockets.typing import Subprotocol

from todo_cli import cognito
from todo_cli.config import StackConfig
from todo_cli.errors import CliError
from todo_cli.session import default_session_path

SUBPROTOCOL = Subprotocol("graphql-ws")
TODO_FIELDS = "id owner title completed version createdAt updatedAt"
EVENTS = {"onCreateTodo": "created", "onUpdateTodo": "updated", "onDeleteTodo": "deleted"}
OPEN_TIMEOUT_S = 10.0
STOP_TIMEOUT_S = 2.0

Emit = Callable[[str, dict[str, Any]], None]


@dataclass(frozen=True)
class Endpoint:
    realtime_url: str  # where the WebSocket connects
    host: str  # the GraphQL endpoint's host, which the authorization header must name

    @classmethod
    def from_config(cls, config: StackConfig) -> Endpoint:
        if not config.graphql_realtime_url:
            raise CliError(
                f"stack {config.stack_name} has no GraphQLRealtimeUrl output: "
                "redeploy (or restart `make up`) with a version that serves subscriptions"
            )
        if config.graphql_url:
            host = urlsplit(config.graphql_url).netloc
        else:
            host = urlsplit(config.graphql_realtime_url).netloc.replace(
                "appsync-realtime-api", "appsync-api"
            )
        return cls(config.graphql_realtime_url, host)

    def connect_url(self, id_token: str) -> str:
        """The header object and an empty payload, base64-encoded in the query string."""
        header = json.dumps({"host": self.host, "Authorization": id_token})
        encoded = base64.b64encode(header.encode()).decode()
        return f"{self.realtime_url}?header={encoded}&payload=e30="


def subscription_document(field: str) -> str:
    name = field[0].upper() + field[1:]
    return f"subscription {name}($owner: String!) {{ {field}(owner: $owner) {{ {TODO_FIELDS} }} }}"


def token_subject(id_token: str) -> str:
    """The `sub` claim of a JWT (read, not verified: the server verifies it)."""
    try:
        body = id_token.split(".")[1]
        claims = json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
        return str(claims["sub"])
    except (IndexError, ValueError, KeyError, TypeError):
        raise CliError("the saved session holds no readable ID token: run `todo signin`") from None


def describe_errors(payload: Any) -> str:
    errors = payload.get("errors") if isinstance(payload, dict) else None
    if not errors:
        return json.dumps(payload)
    return "; ".join(
        f"{e.get('errorType') or 'Error'}: {e.get('message', '')}".rstrip(": ") for e in errors
    )


async def watch(
    endpoint: Endpoint, id_token: str, owner: str, emit: Emit, ready: Callable[[], None]
) -> None:
    """Subscribe, call `ready`, then `emit(event, todo)` for each event until cancelled."""
    try:
        connection = connect(
            endpoint.connect_url(id_token),
            subprotocols=[SUBPROTOCOL],
            open_timeout=OPEN_TIMEOUT_S,
            close_timeout=STOP_TIMEOUT_S,
            max_size=2**20,
        )
        async with connection as ws:
            await _session(ws, endpoint, id_token, owner, emit, ready)
    except (OSError, InvalidHandshake, InvalidURI, TimeoutError) as error:
        raise CliError(f"cannot open {endpoint.realtime_url}: {error}") from None


async def _session(
    ws: ClientConnection,
    endpoint: Endpoint,
    id_token: str,
    owner: str,
    emit: Emit,
    ready: Callable[[], None],
) -> None:
    await _send(ws, {"type": "connection_init"})
    ack = await _next(ws, OPEN_TIMEOUT_S)
    if ack.get("type") != "connection_ack":
        raise CliError(f"the server refused the connection: {describe_errors(ack.get('payload'))}")
    keepalive_s = ack.get("payload", {}).get("connectionTimeoutMs", 300_000) / 1000
    fields = {str(uuid.uuid4()): field for field in EVENTS}
    authorization = {"host": endpoint.host, "Authorization": id_token}
    for subscription_id, field in fields.items():
        data = json.dumps({"query": subscription_document(field), "variables": {"owner": owner}})
        start = {"data": data, "extensions": {"authorization": authorization}}
        await _send(ws, {"id": subscription_id, "type": "start", "payload": start})
    try:
        waiting = set(fields)
        while waiting:
            message = await _next(ws, keepalive_s)
            if message.get("type") == "error":
                raise CliError(f"subscription refused: {describe_errors(message.get('payload'))}")
            if message.get("type") == "start_ack":
                waiting.discard(message.get("id"))
        ready()
        while True:
            message = await _next(ws, keepalive_s)
            kind, name = message.get("type"), fields.get(str(message.get("id")))
            if kind == "data" and name is not None:
                todo = (message.get("payload", {}).get("data") or {}).get(name)
                if isinstance(todo, dict):
                    emit(EVENTS[name], todo)
            elif kind == "error":
                raise CliError(f"subscription failed: {describe_errors(message.get('payload'))}")
    finally:
        await _stop_all(ws, fields)


async def _stop_all(ws: ClientConnection, fields: dict[str, str]) -> None:
    """Unregister before disconnecting, as AppSync asks; best effort on the way out."""
    try:
        async with asyncio.timeout(STOP_TIMEOUT_S):
            for subscription_id in fields:
                await _send(ws, {"type": "stop", "id": subscription_id})
    except (ConnectionClosed, TimeoutError):
        pass


async def _send(ws: ClientConnection, message: dict[str, Any]) -> None:
    await ws.send(json.dumps(message))


async def _next(ws: ClientConnection, timeout_s: float) -> dict[str, Any]:
    """The next message other than a keep-alive; a silent server is a lost connection."""
    while True:
        try:
            raw = await asyncio.wait_for(ws.recv(), timeout_s)
        except TimeoutError:
            raise CliError(f"no keep-alive from the server for {timeout_s:g} s") from None
        except ConnectionClosed as closed:
            raise CliError(f"the real-time connection closed ({closed})") from None
        message = json.loads(raw)
        if not isinstance(message, dict):
            continue
        if message.get("type") == "connection_error":
            raise CliError(
                f"the server refused the connection: {describe_errors(message.get('payload'))}"
            )
        if message.get("type") != "ka":
            return message


class EventPrinter:
    """One line per event on stdout: human-readable, or one JSON object with --json."""

    def __init__(self, as_json: bool, email: str) -> None:
        self.as_json = as_json
        self.email = email

    def ready(self) -> None:
        print(f"watching the todos of {self.email} (Ctrl-C to stop)", file=sys.stderr, flush=True)

    def event(self, kind: str, todo: dict[str, Any]) -> None:
        if self.as_json:
            print(json.dumps({"event": kind, "todo": todo}), flush=True)
            return
        mark = "x" if todo.get("completed") else " "
        line = f"{kind:<8}[{mark}] {todo.get('title')}  ({todo.get('id')}, v{todo.get('version')})"
        print(line, flush=True)


def cmd_watch(args: argparse.Namespace, config: StackConfig) -> int:
    """Runs until Ctrl-C (exit 0) or until the connection fails (CliError)."""
    path = args.session or default_session_path(config.user_pool_client_id)
    session = cognito.current_session(config, path)
    endpoint = Endpoint.from_config(config)
    printer = EventPrinter(args.json, session.email)
    owner = token_subject(session.id_token)
    try:
        asyncio.run(watch(endpoint, session.id_token, owner, printer.event, printer.ready))
    except KeyboardInterrupt:
        return 0
    return 0

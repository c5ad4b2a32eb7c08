"""Subscriptions end to end: REST -> Lambda -> SigV4 -> AppSync mutation -> WebSocket subscriber.

Subscribers are independent clients: gql's AppSync WebSocket transport (unpatched), a plain
`websockets` client for protocol-level checks, and the project's own `todo watch`.
"""

from __future__ import annotations

import asyncio
import base64
import json
import os
import queue
import signal
import subprocess
import sys
import threading
import time
from collections.abc import AsyncIterator, Callable
from concurrent.futures import ThreadPoolExecutor
from contextlib import AsyncExitStack, asynccontextmanager
from typing import Any
from urllib.parse import urlsplit

import pytest
from e2e_support import PASSWORD, ROOT, STACK_NAME, TODO_FIELDS, RunningStack, User
from gql import Client, GraphQLRequest
from gql.client import AsyncClientSession
from gql.transport.appsync_auth import AppSyncIAMAuthentication, AppSyncJWTAuthentication
from gql.transport.appsync_websockets import AppSyncWebsocketsTransport
from gql.transport.exceptions import TransportQueryError
from websockets.asyncio.client import connect

EVENT_DEADLINE_S = 1.0
FIELDS = ("onCreateTodo", "onUpdateTodo", "onDeleteTodo")


def document(field: str) -> str:
    return f"subscription ($owner: String!) {{ {field}(owner: $owner) {{ {TODO_FIELDS} }} }}"


def graphql_host(stack: RunningStack) -> str:
    return urlsplit(stack.outputs["GraphQLUrl"]).netloc


@asynccontextmanager
async def gql_session(stack: RunningStack, auth: Any) -> AsyncIterator[AsyncClientSession]:
    transport = AppSyncWebsocketsTransport(url=stack.outputs["GraphQLRealtimeUrl"], auth=auth)
    async with Client(transport=transport) as session:
        yield session


def user_auth(stack: RunningStack, user: User) -> AppSyncJWTAuthentication:
    return AppSyncJWTAuthentication(host=graphql_host(stack), jwt=user.id_token)


class Subscriber:
    """Runs one gql subscription in a task; every event lands in `events` with its time."""

    def __init__(self, session: AsyncClientSession, field: str, owner: str) -> None:
        self.field = field
        self.events: asyncio.Queue[tuple[float, dict[str, Any]]] = asyncio.Queue()
        request = GraphQLRequest(document(field), variable_values={"owner": owner})
        self.task = asyncio.create_task(self._run(session, request))

    async def _run(self, session: AsyncClientSession, request: GraphQLRequest) -> None:
        async for result in session.subscribe(request):
            await self.events.put((time.perf_counter(), result[self.field]))

    async def next(self, timeout: float = EVENT_DEADLINE_S) -> tuple[float, dict[str, Any]]:
        return await asyncio.wait_for(self.events.get(), timeout)

    async def stop(self) -> None:
        self.task.cancel()
        await asyncio.gather(self.task, return_exceptions=True)


async def until(condition: Callable[[], bool], timeout: float = 5.0) -> None:
    async with asyncio.timeout(timeout):
        while not condition():
            await asyncio.sleep(0.01)


async def registered(stack: RunningStack, count: int) -> None:
    """Wait until the endpoint holds `count` subscriptions (start_ack'ed, so events flow)."""
    registry = stack.stack.subscriptions
    assert registry is not None
    await until(lambda: len(registry) == count)


async def rest(call: Callable[[], Any]) -> tuple[float, Any]:
    """Run a blocking REST call off the loop; the time its response arrived, and the result."""
    result = await asyncio.to_thread(call)
    return time.perf_counter(), result


@pytest.fixture(autouse=True)
def no_subscription_left_behind(stack: RunningStack) -> Any:
    registry = stack.stack.subscriptions
    assert registry is not None
    assert len(registry) == 0
    yield
    deadline = time.monotonic() + 5
    while len(registry) and time.monotonic() < deadline:
        time.sleep(0.02)
    assert len(registry) == 0, "subscriptions outlived their connections"


def complete(user: User, todo: dict[str, Any]) -> dict[str, Any]:
    response = user.rest.patch(
        user.url(f"/items/{todo['id']}"),
        json={"completed": True, "version": todo["version"]},
        timeout=10,
    )
    assert response.status_code == 200, response.text
    return response.json()


def delete(user: User, todo: dict[str, Any]) -> None:
    response = user.rest.delete(
        user.url(f"/items/{todo['id']}"), params={"version": todo["version"]}, timeout=10
    )
    assert response.status_code == 204, response.text


# -- one user, gql ---------------------------------------------------------------------------


def test_owner_receives_create_complete_and_delete_within_a_second(stack, alice):
    async def scenario() -> list[tuple[str, float, dict[str, Any], dict[str, Any]]]:
        async with gql_session(stack, user_auth(stack, alice)) as session:
            subscribers = {f: Subscriber(session, f, alice.sub) for f in FIELDS}
            await registered(stack, 3)
            seen = []
            done_at, created = await rest(lambda: alice.create("buy milk"))
            seen.append(("created", done_at, created, await subscribers["onCreateTodo"].next()))
            done_at, completed = await rest(lambda: complete(alice, created))
            seen.append(("completed", done_at, completed, await subscribers["onUpdateTodo"].next()))
            done_at, _ = await rest(lambda: delete(alice, completed))
            seen.append(("deleted", done_at, completed, await subscribers["onDeleteTodo"].next()))
            for subscriber in subscribers.values():
                await subscriber.stop()
        return [(kind, at, todo, event) for kind, at, todo, event in seen]

    for kind, responded_at, todo, (received_at, event) in asyncio.run(scenario()):
        assert received_at - responded_at < EVENT_DEADLINE_S, kind
        assert event == todo, kind
        assert all(value is not None for value in event.values()), kind
        assert set(event) == set(TODO_FIELDS.split()), kind


def test_subscriber_of_another_owner_receives_none_of_the_events(stack, alice, bob):
    async def scenario() -> dict[str, Any]:
        async with gql_session(stack, user_auth(stack, bob)) as session:
            bobs = Subscriber(session, "onCreateTodo", bob.sub)
            await registered(stack, 1)
            await rest(lambda: alice.create("alice's"))
            await rest(lambda: bob.create("bob's"))
            # Deliveries on one connection keep the mutations' order: alice's would come first.
            _, first = await bobs.next()
            await bobs.stop()
            return first

    assert asyncio.run(scenario())["title"] == "bob's"


def test_subscribing_to_another_owners_todos_is_refused_with_appsyncs_error(stack, alice, bob):
    async def scenario() -> list[Any]:
        async with gql_session(stack, user_auth(stack, bob)) as session:
            request = GraphQLRequest(document("onCreateTodo"), variable_values={"owner": alice.sub})
            with pytest.raises(TransportQueryError) as refused:
                async for _ in session.subscribe(request):
                    pass
            return list(refused.value.errors or [])

    assert asyncio.run(scenario()) == [
        {
            "errors": [
                {
                    "errorType": "Unauthorized",
                    "message": "Not Authorized to access onCreateTodo on type Subscription",
                }
            ]
        }
    ]


def test_iam_principal_connects_with_sigv4_but_may_not_subscribe(stack, function_role):
    async def scenario() -> list[Any]:
        auth = AppSyncIAMAuthentication(
            host=graphql_host(stack), region_name="us-east-1", credentials=function_role
        )
        async with gql_session(stack, auth) as session:
            request = GraphQLRequest(document("onCreateTodo"), variable_values={"owner": "x"})
            with pytest.raises(TransportQueryError) as refused:
                async for _ in session.subscribe(request):
                    pass
            return list(refused.value.errors or [])

    errors = asyncio.run(scenario())
    assert errors[0]["errors"][0]["errorType"] == "Unauthorized"


def test_expired_or_foreign_token_is_refused_at_connect(stack, alice):
    async def scenario() -> dict[str, Any]:
        header = {"host": graphql_host(stack), "Authorization": alice.id_token[:-4] + "AAAA"}
        async with raw_connection(stack, header) as ws:
            await ws.send(json.dumps({"type": "connection_init"}))
            return json.loads(await asyncio.wait_for(ws.recv(), 5))

    refusal = asyncio.run(scenario())
    assert refusal["type"] == "connection_error"
    assert refusal["payload"]["errors"][0]["errorType"] == "UnauthorizedException"


# -- protocol level, plain websockets --------------------------------------------------------


@asynccontextmanager
async def raw_connection(stack: RunningStack, header: dict[str, str]) -> AsyncIterator[Any]:
    encoded = base64.b64encode(json.dumps(header).encode()).decode()
    url = f"{stack.outputs['GraphQLRealtimeUrl']}?header={encoded}&payload=e30="
    async with connect(url, subprotocols=["graphql-ws"]) as ws:  # type: ignore[list-item]
        yield ws


async def next_message(ws: Any, timeout: float = 5.0) -> dict[str, Any]:
    while True:
        message = json.loads(await asyncio.wait_for(ws.recv(), timeout))
        if message["type"] != "ka":
            return message


def test_nothing_is_delivered_after_stop(stack, alice):
    async def scenario() -> list[dict[str, Any]]:
        header = {"host": graphql_host(stack), "Authorization": alice.id_token}
        async with raw_connection(stack, header) as ws:
            await ws.send(json.dumps({"type": "connection_init"}))
            assert (await next_message(ws))["type"] == "connection_ack"
            for subscription_id in ("stopped", "sentinel"):
                data = json.dumps(
                    {"query": document("onCreateTodo"), "variables": {"owner": alice.sub}}
                )
                payload = {"data": data, "extensions": {"authorization": header}}
                await ws.send(
                    json.dumps({"id": subscription_id, "type": "start", "payload": payload})
                )
                assert (await next_message(ws))["type"] == "start_ack"
            await ws.send(json.dumps({"type": "stop", "id": "stopped"}))
            assert await next_message(ws) == {"type": "complete", "id": "stopped"}
            await rest(lambda: alice.create("after stop"))
            first = await next_message(ws)
            await ws.send(json.dumps({"type": "stop", "id": "sentinel"}))
            rest_of_it = [first, await next_message(ws)]
        return rest_of_it

    first, last = asyncio.run(scenario())
    assert first["type"] == "data" and first["id"] == "sentinel"
    assert last == {"type": "complete", "id": "sentinel"}


# -- many subscribers ------------------------------------------------------------------------


def test_fifty_subscribers_each_get_every_event_of_their_owner_exactly_once(stack, make_user):
    users = [make_user() for _ in range(10)]
    connections_per_user, todos_per_user = 5, 4

    async def scenario() -> tuple[dict[str, set[str]], list[tuple[str, list[str]]]]:
        async with asyncio.timeout(60), AsyncExitStack() as connections:
            received: list[tuple[str, list[str]]] = []
            subscribers: list[tuple[User, Subscriber]] = []
            for user in users:
                for _ in range(connections_per_user):
                    session = await connections.enter_async_context(
                        gql_session(stack, user_auth(stack, user))
                    )
                    subscribers.append((user, Subscriber(session, "onCreateTodo", user.sub)))
            await registered(stack, len(subscribers))
            with ThreadPoolExecutor(max_workers=10) as pool:
                jobs = [
                    (user, pool.submit(user.create, f"todo {n}"))
                    for n in range(todos_per_user)
                    for user in users
                ]
                created: dict[str, set[str]] = {u.sub: set() for u in users}
                for user, job in jobs:
                    created[user.sub].add((await asyncio.wrap_future(job))["id"])
            for user, subscriber in subscribers:
                ids = [(await subscriber.next(5.0))[1]["id"] for _ in range(todos_per_user)]
                await asyncio.sleep(0)  # a duplicate would already be queued behind these
                ids += [event["id"] for _, event in drain(subscriber.events)]
                received.append((user.sub, ids))
                await subscriber.stop()
            return created, received

    created, received = asyncio.run(scenario())
    assert len(received) == 50
    for owner, ids in received:
        assert sorted(ids) == sorted(created[owner])


def drain(events: asyncio.Queue[Any]) -> list[Any]:
    items = []
    while not events.empty():
        items.append(events.get_nowait())
    return items


# -- the project's CLI -----------------------------------------------------------------------


def cli(*args: str, **options: Any) -> subprocess.Popen[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.Popen(
        [sys.executable, "-m", "todo_cli.main", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
        **options,
    )


def lines_of(stream: Any) -> queue.Queue[str]:
    lines: queue.Queue[str] = queue.Queue()
    threading.Thread(target=lambda: [lines.put(line) for line in stream], daemon=True).start()
    return lines


def test_todo_watch_prints_the_users_events_and_exits_cleanly_on_ctrl_c(stack, alice, tmp_path):
    outputs = tmp_path / "outputs.json"
    outputs.write_text(json.dumps({STACK_NAME: stack.outputs}))
    files = ["--outputs", str(outputs), "--session", str(tmp_path / "session.json")]
    signin = cli(*files, "signin", "--email", alice.email, "--password", PASSWORD)
    assert signin.wait(30) == 0, signin.communicate()[1]

    watch = cli(*files, "watch", "--json")
    assert watch.stdout is not None and watch.stderr is not None
    stdout, stderr = lines_of(watch.stdout), lines_of(watch.stderr)
    try:
        assert "watching the todos of" in stderr.get(timeout=20)
        created = alice.create("from the CLI")
        first = json.loads(stdout.get(timeout=EVENT_DEADLINE_S))
        completed = complete(alice, created)
        second = json.loads(stdout.get(timeout=EVENT_DEADLINE_S))
        delete(alice, completed)
        third = json.loads(stdout.get(timeout=EVENT_DEADLINE_S))
    finally:
        watch.send_signal(signal.SIGINT)
        code = watch.wait(10)
    assert [first, second, third] == [
        {"event": "created", "todo": created},
        {"event": "updated", "todo": completed},
        {"event": "deleted", "todo": completed},
    ]
    assert code == 0

"""AppSync's real-time WebSocket protocol on the local endpoint, against a server on 127.0.0.1.

The executor is the real one over schema.graphql with fake resolvers (the subscription resolver
keeps the template's rule: owner must be the caller's sub); tokens and signatures are checked
by stubs. Each test runs its own server on its own event loop.
"""

from __future__ import annotations

import asyncio
import base64
import json
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
from aiohttp import WSMsgType
from aiohttp.test_utils import TestServer

from local.appsync.auth import RequestAuthenticator
from local.appsync.executor import AppSyncExecutor
from local.appsync.identity import COGNITO, IAM, Caller
from local.appsync.realtime import RealtimeSettings
from local.appsync.server import create_appsync_app
from local.appsync.specs import DataSourceSpec, ResolverSpec
from local.appsync.subscriptions import SubscriptionRegistry

ROOT = Path(__file__).resolve().parents[3]
SCHEMA = (ROOT / "schema" / "schema.graphql").read_text()
PRELUDE = (ROOT / "local" / "appsync" / "prelude.graphql").read_text()
ALICE_TOKEN = "alice-token"
TOKENS = {ALICE_TOKEN: {"sub": "alice"}, "bob-token": {"sub": "bob"}}
GOOD_SIGNATURE = "AWS4-HMAC-SHA256 Credential=AKID/20260101/us-east-1/appsync/aws4_request, Sig=ok"
LAMBDA = Caller(IAM, {"userArn": "arn:aws:sts::1:assumed-role/fn/x"}, principal_arn="role")
ALL_FIELDS = "id owner title completed version createdAt updatedAt"
ON_CREATE = "subscription S($owner: String!) { onCreateTodo(owner: $owner) { %s } }"
CREATE = "mutation C($input: CreateTodoInput!) { createTodo(input: $input) { %s } }"
NONE = DataSourceSpec("none", "NONE")
FAST = RealtimeSettings(
    keepalive_interval_s=0.2, init_timeout_s=0.5, close_timeout_s=1.0, heartbeat_s=0.3
)


def fake_resolver(spec, arguments, caller, source, info, headers):
    """createTodo echoes its input as a Todo; subscriptions keep the template's owner rule
    (and the owner "crash" makes the local runtime itself fail)."""
    if spec.type_name == "Subscription":
        if arguments.get("owner") == "crash":
            raise RuntimeError("the local runtime failed")
        if caller.identity.get("sub") != arguments.get("owner"):
            message = f"Not Authorized to access {spec.field_name} on type Subscription"
            return None, [{"message": message, "errorType": "Unauthorized"}]
        return None, []
    todo = {
        "id": "t-" + arguments["input"]["title"],
        "owner": arguments["input"]["owner"],
        "title": arguments["input"]["title"],
        "completed": False,
        "version": 1,
        "createdAt": "2026-01-01T00:00:00.000Z",
        "updatedAt": "2026-01-01T00:00:00.000Z",
    }
    return todo, []


@dataclass
class SigV4Stub:
    """Accepts GOOD_SIGNATURE and records what was verified."""

    verified: list[tuple[str, str, bytes]] = field(default_factory=list)

    def __call__(self, method, path, query, headers, body):
        if headers.get("Authorization") != GOOD_SIGNATURE:
            raise ValueError("bad signature")
        self.verified.append((method, path, body))
        return {"arn": "arn:aws:sts::1:assumed-role/fn/x", "account_id": "1"}


def verify_jwt(token: str) -> dict[str, Any]:
    return TOKENS[token]


def make_executor() -> AppSyncExecutor:
    resolvers = {
        ("Mutation", "createTodo"): ResolverSpec("Mutation", "createTodo", "UNIT", "", NONE),
        **{
            ("Subscription", name): ResolverSpec("Subscription", name, "UNIT", "", NONE)
            for name in ("onCreateTodo", "onUpdateTodo", "onDeleteTodo")
        },
    }
    return AppSyncExecutor(
        SCHEMA,
        PRELUDE,
        default_mode=COGNITO,
        additional_modes=[IAM],
        resolvers=resolvers,
        run_resolver=fake_resolver,
        policy_check=lambda caller, type_name, field_name: True,
    )


@dataclass
class Endpoint:
    server: TestServer
    executor: AppSyncExecutor
    registry: SubscriptionRegistry
    sigv4: SigV4Stub
    http: aiohttp.ClientSession

    @property
    def host(self) -> str:
        return f"127.0.0.1:{self.server.port}"

    def url(self, header: dict[str, str] | None = None) -> str:
        base = f"ws://{self.host}/graphql"
        if header is None:
            return base
        encoded = base64.b64encode(json.dumps(header).encode()).decode()
        return f"{base}?header={encoded}&payload=e30="

    def user_header(self, token: str = ALICE_TOKEN) -> dict[str, str]:
        return {"host": self.host, "Authorization": token}

    async def connect(self, header: dict[str, str] | None = None, **options: Any) -> Client:
        options.setdefault("protocols", ("graphql-ws",))
        ws = await self.http.ws_connect(self.url(header or self.user_header()), **options)
        return Client(ws)

    async def connected(self, token: str = ALICE_TOKEN) -> Client:
        client = await self.connect(self.user_header(token))
        await client.send({"type": "connection_init"})
        assert (await client.next())["type"] == "connection_ack"
        return client

    async def mutate(self, owner: str, title: str, selection: str = ALL_FIELDS) -> None:
        """A createTodo through the executor, from a worker thread as the HTTP side does."""
        variables = {"input": {"owner": owner, "title": title}}
        body = await asyncio.get_running_loop().run_in_executor(
            None, self.executor.execute, CREATE % selection, variables, None, LAMBDA
        )
        assert "errors" not in body, body

    async def until(self, condition: Callable[[], bool], timeout: float = 2.0) -> None:
        async with asyncio.timeout(timeout):
            while not condition():
                await asyncio.sleep(0.01)


@dataclass
class Client:
    ws: aiohttp.ClientWebSocketResponse

    async def send(self, message: dict[str, Any]) -> None:
        await self.ws.send_str(json.dumps(message))

    async def receive(self, timeout: float = 2.0) -> dict[str, Any]:
        message = await self.ws.receive(timeout)
        assert message.type == WSMsgType.TEXT, message
        return json.loads(message.data)

    async def next(self, timeout: float = 2.0) -> dict[str, Any]:
        """The next message that is not a keep-alive."""
        while True:
            message = await self.receive(timeout)
            if message["type"] != "ka":
                return message

    async def start(
        self,
        subscription_id: str,
        owner: str = "alice",
        selection: str = ALL_FIELDS,
        authorization: dict[str, str] | None = None,
        query: str = ON_CREATE,
    ) -> dict[str, Any]:
        data = json.dumps({"query": query % selection, "variables": {"owner": owner}})
        payload = {"data": data, "extensions": {"authorization": authorization}}
        await self.send({"id": subscription_id, "type": "start", "payload": payload})
        return await self.next()

    async def closed(self, timeout: float = 2.0) -> aiohttp.WSMessage:
        """The close message, skipping whatever arrives before it."""
        async with asyncio.timeout(timeout):
            while True:
                message = await self.ws.receive()
                if message.type in (WSMsgType.CLOSE, WSMsgType.CLOSED, WSMsgType.CLOSING):
                    return message


@asynccontextmanager
async def endpoint(settings: RealtimeSettings = FAST) -> AsyncIterator[Endpoint]:
    executor = make_executor()
    registry = SubscriptionRegistry(executor)
    sigv4 = SigV4Stub()
    authenticator = RequestAuthenticator(frozenset([COGNITO, IAM]), verify_jwt, sigv4)
    app = create_appsync_app(
        executor, authenticator, subscriptions=registry, realtime_settings=settings
    )
    server = TestServer(app, host="127.0.0.1")
    await server.start_server()
    async with aiohttp.ClientSession() as http:
        try:
            yield Endpoint(server, executor, registry, sigv4, http)
        finally:
            await server.close()


def run(test: Callable[[Endpoint], Awaitable[None]], settings: RealtimeSettings = FAST) -> None:
    async def main() -> None:
        async with endpoint(settings) as ep:
            await test(ep)

    asyncio.run(main())


# -- handshake -------------------------------------------------------------------------------


def test_connection_init_is_acknowledged_with_the_connection_timeout():
    async def scenario(ep: Endpoint) -> None:
        client = await ep.connect()
        await client.send({"type": "connection_init"})
        ack = await client.receive()
        assert ack == {"type": "connection_ack", "payload": {"connectionTimeoutMs": 300000}}

    run(scenario)


def test_connection_negotiates_the_graphql_ws_subprotocol():
    async def scenario(ep: Endpoint) -> None:
        client = await ep.connect()
        assert client.ws.protocol == "graphql-ws"

    run(scenario)


def test_keep_alive_messages_arrive_periodically_after_the_ack():
    async def scenario(ep: Endpoint) -> None:
        client = await ep.connected()
        kinds = [(await client.receive(1.0))["type"] for _ in range(3)]
        assert kinds == ["ka", "ka", "ka"]

    run(scenario)


def test_header_may_be_sent_as_a_base64url_subprotocol():
    async def scenario(ep: Endpoint) -> None:
        header = json.dumps(ep.user_header()).encode()
        encoded = base64.urlsafe_b64encode(header).decode().rstrip("=")
        ws = await ep.http.ws_connect(ep.url(), protocols=("graphql-ws", f"header-{encoded}"))
        client = Client(ws)
        await client.send({"type": "connection_init"})
        assert (await client.next())["type"] == "connection_ack"

    run(scenario)


def test_iam_connection_is_verified_as_a_signed_post_to_graphql_connect_with_body_braces():
    async def scenario(ep: Endpoint) -> None:
        header = {
            "host": ep.host,
            "x-amz-date": "20260101T000000Z",
            "Authorization": GOOD_SIGNATURE,
        }
        client = await ep.connect(header)
        await client.send({"type": "connection_init"})
        assert (await client.next())["type"] == "connection_ack"
        assert ep.sigv4.verified == [("POST", "/graphql/connect", b"{}")]

    run(scenario)


def test_bad_token_at_connect_gets_connection_error_then_close():
    async def scenario(ep: Endpoint) -> None:
        client = await ep.connect(ep.user_header("forged-token"))
        await client.send({"type": "connection_init"})
        refusal = await client.receive()
        assert refusal == {
            "type": "connection_error",
            "payload": {
                "errors": [
                    {
                        "errorType": "UnauthorizedException",
                        "message": "Valid authorization header not provided.",
                        "errorCode": 401,
                    }
                ]
            },
        }
        assert (await client.closed()).type in (WSMsgType.CLOSE, WSMsgType.CLOSED)

    run(scenario)


def test_header_naming_another_host_is_refused():
    async def scenario(ep: Endpoint) -> None:
        client = await ep.connect({"host": "elsewhere:443", "Authorization": "alice-token"})
        await client.send({"type": "connection_init"})
        assert (await client.receive())["type"] == "connection_error"

    run(scenario)


def test_connection_without_the_graphql_ws_subprotocol_is_refused():
    async def scenario(ep: Endpoint) -> None:
        client = await ep.connect(protocols=())
        refusal = await client.receive()
        assert refusal["type"] == "connection_error"
        assert refusal["payload"]["errors"][0]["message"] == "SubProtocolNotSupportedError"

    run(scenario)


def test_messages_before_connection_init_are_ignored():
    async def scenario(ep: Endpoint) -> None:
        client = await ep.connect()
        await client.send({"type": "stop", "id": "1"})
        await client.send({"type": "connection_init"})
        assert (await client.receive())["type"] == "connection_ack"

    run(scenario)


def test_connection_that_never_sends_connection_init_is_closed():
    async def scenario(ep: Endpoint) -> None:
        client = await ep.connect()
        closing = await client.closed(timeout=2.0)
        assert closing.type == WSMsgType.CLOSE
        assert closing.data == 4408

    run(scenario)


def test_client_that_stops_answering_pings_is_disconnected_and_forgotten():
    async def scenario(ep: Endpoint) -> None:
        # GIVEN a subscribed client whose WebSocket no longer answers pings (it vanished)
        client = await ep.connect(autoping=False)
        await client.send({"type": "connection_init"})
        assert (await client.next())["type"] == "connection_ack"
        assert (await client.start("s1", authorization=ep.user_header()))["type"] == "start_ack"
        # THEN the server drops it after the heartbeat and forgets its subscription
        await ep.until(lambda: len(ep.registry) == 0, timeout=3.0)

    run(scenario)


def test_client_that_answers_pings_stays_connected():
    async def scenario(ep: Endpoint) -> None:
        client = await ep.connected()
        assert (await client.start("s1", authorization=ep.user_header()))["type"] == "start_ack"
        # a live client keeps reading (that is when its WebSocket answers pings)
        async with asyncio.timeout(5):
            for _ in range(5):  # ka every 0.2 s: about a second, several heartbeats
                assert (await client.receive())["type"] == "ka"
        assert len(ep.registry) == 1
        await ep.mutate("alice", "still here")
        assert (await client.next())["type"] == "data"

    run(scenario)


# -- subscriptions ---------------------------------------------------------------------------


def test_start_is_acknowledged_with_its_id():
    async def scenario(ep: Endpoint) -> None:
        client = await ep.connected()
        ack = await client.start("sub-1", authorization=ep.user_header())
        assert ack == {"type": "start_ack", "id": "sub-1"}

    run(scenario)


def test_mutation_result_is_delivered_as_a_data_message():
    async def scenario(ep: Endpoint) -> None:
        client = await ep.connected()
        await client.start("sub-1", authorization=ep.user_header())
        await ep.mutate("alice", "milk")
        data = await client.next()
        assert data["type"] == "data" and data["id"] == "sub-1"
        todo = data["payload"]["data"]["onCreateTodo"]
        assert todo["title"] == "milk" and todo["owner"] == "alice" and todo["version"] == 1

    run(scenario)


def test_subscriber_receives_only_the_fields_it_selected():
    async def scenario(ep: Endpoint) -> None:
        client = await ep.connected()
        await client.start("sub-1", selection="id title", authorization=ep.user_header())
        await ep.mutate("alice", "milk")
        data = await client.next()
        assert data["payload"] == {"data": {"onCreateTodo": {"id": "t-milk", "title": "milk"}}}

    run(scenario)


def test_fields_the_mutation_did_not_select_arrive_as_null():
    async def scenario(ep: Endpoint) -> None:
        client = await ep.connected()
        await client.start("sub-1", authorization=ep.user_header())
        await ep.mutate("alice", "milk", selection="id owner title")
        todo = (await client.next())["payload"]["data"]["onCreateTodo"]
        assert todo["title"] == "milk"
        assert todo["version"] is None and todo["createdAt"] is None

    run(scenario)


def test_events_of_another_owner_are_not_delivered():
    async def scenario(ep: Endpoint) -> None:
        client = await ep.connected()
        await client.start("sub-1", authorization=ep.user_header())
        await ep.mutate("bob", "bobs")
        await ep.mutate("alice", "alices")
        todo = (await client.next())["payload"]["data"]["onCreateTodo"]
        assert todo["title"] == "alices"

    run(scenario)


def test_subscribing_to_another_owner_is_refused_by_the_subscription_resolver():
    async def scenario(ep: Endpoint) -> None:
        client = await ep.connected()
        refusal = await client.start("sub-1", owner="bob", authorization=ep.user_header())
        assert refusal == {
            "type": "error",
            "id": "sub-1",
            "payload": {
                "errors": [
                    {
                        "errorType": "Unauthorized",
                        "message": "Not Authorized to access onCreateTodo on type Subscription",
                    }
                ]
            },
        }
        assert len(ep.registry) == 0

    run(scenario)


def test_a_subscription_whose_resolver_crashes_gets_an_error_instead_of_hanging():
    # AppSync answers every `start` with start_ack or an error message (real-time WebSocket
    # client guide); a failure of the local runtime must not leave the subscriber waiting.
    async def scenario(ep: Endpoint) -> None:
        client = await ep.connected()
        answer = await client.start("sub-1", owner="crash", authorization=ep.user_header())
        assert answer["type"] == "error"
        assert answer["id"] == "sub-1"
        assert answer["payload"]["errors"][0]["errorType"] == "LocalRuntimeError"
        assert len(ep.registry) == 0

    run(scenario)


def test_iam_caller_cannot_subscribe_to_a_user_pool_field():
    async def scenario(ep: Endpoint) -> None:
        client = await ep.connected()
        signed = {
            "host": ep.host,
            "x-amz-date": "20260101T000000Z",
            "Authorization": GOOD_SIGNATURE,
        }
        refusal = await client.start("sub-1", authorization=signed)
        assert refusal["type"] == "error"
        assert refusal["payload"]["errors"][0]["errorType"] == "Unauthorized"

    run(scenario)


def test_iam_start_is_verified_as_a_signed_post_to_graphql_over_the_data_string():
    async def scenario(ep: Endpoint) -> None:
        client = await ep.connected()
        signed = {
            "host": ep.host,
            "x-amz-date": "20260101T000000Z",
            "Authorization": GOOD_SIGNATURE,
        }
        data = json.dumps({"query": ON_CREATE % "id", "variables": {"owner": "alice"}})
        payload = {"data": data, "extensions": {"authorization": signed}}
        await client.send({"id": "sub-1", "type": "start", "payload": payload})
        await client.next()
        assert ep.sigv4.verified == [("POST", "/graphql", data.encode())]

    run(scenario)


def test_bad_token_at_start_is_refused_with_unauthorized_exception():
    async def scenario(ep: Endpoint) -> None:
        client = await ep.connected()
        refusal = await client.start("sub-1", authorization=ep.user_header("forged-token"))
        assert refusal == {
            "type": "error",
            "id": "sub-1",
            "payload": {
                "errors": [
                    {
                        "errorType": "UnauthorizedException",
                        "message": "Valid authorization header not provided.",
                    }
                ]
            },
        }

    run(scenario)


def test_start_with_an_invalid_query_returns_the_validation_errors():
    async def scenario(ep: Endpoint) -> None:
        client = await ep.connected()
        refusal = await client.start("sub-1", selection="nope", authorization=ep.user_header())
        assert refusal["type"] == "error" and refusal["id"] == "sub-1"
        assert "nope" in refusal["payload"]["errors"][0]["message"]

    run(scenario)


def test_duplicate_subscription_id_is_refused():
    async def scenario(ep: Endpoint) -> None:
        client = await ep.connected()
        await client.start("sub-1", authorization=ep.user_header())
        refusal = await client.start("sub-1", authorization=ep.user_header())
        assert refusal["type"] == "error" and refusal["id"] == "sub-1"
        assert refusal["payload"]["errors"][0]["errorType"] == "DuplicatedOperationError"

    run(scenario)


def test_unknown_message_type_gets_an_unsupported_operation_error():
    async def scenario(ep: Endpoint) -> None:
        client = await ep.connected()
        await client.send({"type": "subscribe", "id": "1"})
        error = await client.next()
        assert error == {
            "type": "error",
            "payload": {
                "errors": [
                    {
                        "errorType": "UnsupportedOperation",
                        "message": "unknown not supported through the realtime channel",
                    }
                ]
            },
        }

    run(scenario)


def test_invalid_json_gets_an_error_and_keeps_the_connection():
    async def scenario(ep: Endpoint) -> None:
        client = await ep.connected()
        await client.ws.send_str("{not json")
        assert (await client.next())["type"] == "error"
        ack = await client.start("sub-1", authorization=ep.user_header())
        assert ack["type"] == "start_ack"

    run(scenario)


def test_stop_is_answered_with_complete():
    async def scenario(ep: Endpoint) -> None:
        client = await ep.connected()
        await client.start("sub-1", authorization=ep.user_header())
        await client.send({"type": "stop", "id": "sub-1"})
        assert await client.next() == {"type": "complete", "id": "sub-1"}

    run(scenario)


def test_nothing_is_delivered_after_stop():
    async def scenario(ep: Endpoint) -> None:
        client = await ep.connected()
        await client.start("stopped", authorization=ep.user_header())
        await client.start("sentinel", authorization=ep.user_header())
        await client.send({"type": "stop", "id": "stopped"})
        assert (await client.next())["type"] == "complete"
        await ep.mutate("alice", "milk")
        # Messages of one connection are ordered: a delivery to "stopped" would come first.
        assert (await client.next())["id"] == "sentinel"

    run(scenario)


def test_stop_of_an_unknown_id_is_an_error():
    async def scenario(ep: Endpoint) -> None:
        client = await ep.connected()
        await client.send({"type": "stop", "id": "never-started"})
        error = await client.next()
        assert error["type"] == "error"
        assert error["payload"]["errors"][0]["errorType"] == "UnknownOperationError"

    run(scenario)


# -- clean-up and back-pressure --------------------------------------------------------------


def test_disconnect_removes_all_subscriptions_of_the_connection():
    async def scenario(ep: Endpoint) -> None:
        client = await ep.connected()
        await client.start("a", authorization=ep.user_header())
        await client.start("b", authorization=ep.user_header())
        assert len(ep.registry) == 2
        await client.ws.close()
        await ep.until(lambda: len(ep.registry) == 0)

    run(scenario)


def test_server_shutdown_closes_connections_with_going_away():
    async def scenario(ep: Endpoint) -> None:
        client = await ep.connected()
        await client.start("a", authorization=ep.user_header())
        shutdown = asyncio.create_task(ep.server.close())
        closing = await client.closed()
        await shutdown
        assert closing.type == WSMsgType.CLOSE and closing.data == 1001
        assert len(ep.registry) == 0

    run(scenario)


def test_consumer_that_falls_behind_its_queue_is_closed_and_forgotten():
    async def scenario(ep: Endpoint) -> None:
        client = await ep.connected()
        await client.start("a", authorization=ep.user_header())
        result = {"id": "t", "owner": "alice", "title": "x"}
        for _ in range(5):  # in one go: the connection's writer gets no turn in between
            ep.registry.publish("createTodo", result)
        closing = await client.closed()
        assert closing.type == WSMsgType.CLOSE and closing.data == 1013
        assert len(ep.registry) == 0

    run(scenario, RealtimeSettings(keepalive_interval_s=60, queue_size=3))


def test_other_subscribers_keep_receiving_when_one_is_closed_for_falling_behind():
    async def scenario(ep: Endpoint) -> None:
        slow = await ep.connected()
        await slow.start("a", authorization=ep.user_header())
        fast = await ep.connected("bob-token")
        await fast.start("b", owner="bob", authorization=ep.user_header("bob-token"))
        for _ in range(5):
            ep.registry.publish("createTodo", {"id": "t", "owner": "alice", "title": "x"})
        ep.registry.publish("createTodo", {"id": "t", "owner": "bob", "title": "y"})
        assert (await slow.closed()).data == 1013
        data = await fast.next()
        assert data["payload"]["data"]["onCreateTodo"]["title"] == "y"

    run(scenario, RealtimeSettings(keepalive_interval_s=60, queue_size=3))


def test_http_post_still_answers_graphql_requests():
    async def scenario(ep: Endpoint) -> None:
        response = await ep.http.post(
            f"http://{ep.host}/graphql",
            json={"query": "{ __typename }"},
            headers={"Authorization": "alice-token"},
        )
        assert response.status == 200
        assert (await response.json())["data"] == {"__typename": "Query"}

    run(scenario)


# -- where custom-domain clients connect, and AppSync's response headers ---------------------
# Amplify JS (api-graphql AWSWebSocketProvider/appsyncUrl.ts, getRealtimeEndpointUrl) and
# aws-appsync-subscription-link both append "/realtime" to a GraphQL URL that is not
# *.appsync-api.<region>.amazonaws.com, and send the header object as a `header-` subprotocol.


def test_the_realtime_path_under_the_graphql_url_serves_the_same_protocol():
    async def scenario(ep: Endpoint) -> None:
        header = json.dumps(ep.user_header()).encode()
        encoded = base64.urlsafe_b64encode(header).decode().rstrip("=")
        ws = await ep.http.ws_connect(
            f"ws://{ep.host}/graphql/realtime", protocols=("graphql-ws", f"header-{encoded}")
        )
        client = Client(ws)
        await client.send({"type": "connection_init"})
        assert (await client.next())["type"] == "connection_ack"
        assert (await client.start("s1", authorization=ep.user_header()))["type"] == "start_ack"
        await ep.mutate("alice", "via realtime path")
        assert (await client.next())["payload"]["data"]["onCreateTodo"]["title"] == (
            "via realtime path"
        )

    run(scenario)


def test_iam_signature_on_the_realtime_path_still_names_graphql_connect():
    async def scenario(ep: Endpoint) -> None:
        header = {
            "host": ep.host,
            "x-amz-date": "20260101T000000Z",
            "Authorization": GOOD_SIGNATURE,
        }
        encoded = base64.b64encode(json.dumps(header).encode()).decode()
        ws = await ep.http.ws_connect(
            f"ws://{ep.host}/graphql/realtime?header={encoded}&payload=e30=",
            protocols=("graphql-ws",),
        )
        client = Client(ws)
        await client.send({"type": "connection_init"})
        assert (await client.next())["type"] == "connection_ack"
        assert ep.sigv4.verified == [("POST", "/graphql/connect", b"{}")]

    run(scenario)


def test_request_level_failure_names_its_error_type_in_a_header_a_browser_may_read():
    async def scenario(ep: Endpoint) -> None:
        response = await ep.http.post(f"http://{ep.host}/graphql", json={"query": "{ __typename }"})
        assert response.status == 401
        assert response.headers["x-amzn-ErrorType"] == "UnauthorizedException"
        assert response.headers["x-amzn-RequestId"]
        exposed = response.headers["Access-Control-Expose-Headers"]
        assert "x-amzn-ErrorType" in exposed and "x-amzn-RequestId" in exposed

    run(scenario)


def test_browser_preflight_is_answered_with_cors_headers():
    async def scenario(ep: Endpoint) -> None:
        response = await ep.http.options(
            f"http://{ep.host}/graphql",
            headers={
                "Origin": "http://127.0.0.1:8080",
                "Access-Control-Request-Method": "POST",
                "Access-Control-Request-Headers": "authorization,content-type",
            },
        )
        assert response.status == 200
        assert response.headers["Access-Control-Allow-Origin"] == "*"
        assert "POST" in response.headers["Access-Control-Allow-Methods"]

    run(scenario)

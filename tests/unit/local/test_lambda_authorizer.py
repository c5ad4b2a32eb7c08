"""AWS_LAMBDA authorization: which requests reach the authorizer, what it is sent, what its
answer does, how long it is kept, and what a failure answers.

Sources (cited per test):
- [guide] AppSync developer guide, "Configuring authorization and authentication to secure your
  GraphQL APIs", AWS_LAMBDA authorization, and its "Circumventing SigV4 and OIDC token
  authorization limitations":
  https://docs.aws.amazon.com/appsync/latest/devguide/security-authz.html#aws-lambda-authorization
- [cfn] AWS::AppSync::GraphQLApi LambdaAuthorizerConfig (AuthorizerResultTtlInSeconds: default
  0, at most 3600, overridden by the answer's ttlOverride; IdentityValidationExpression checked
  before the function is called).
- [types] @aws-appsync/utils index.d.ts: `AppSyncIdentityLambda = { resolverContext }`, the
  whole of ctx.identity for a Lambda-authorized request.
"""

from __future__ import annotations

import asyncio
import base64
import json
import re
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiohttp.test_utils import TestServer

from local.appsync.auth import AuthFailure, AuthRequest, RequestAuthenticator, looks_like_jwt
from local.appsync.executor import AppSyncExecutor
from local.appsync.identity import API_KEY, COGNITO, IAM, LAMBDA, AuthType, Caller
from local.appsync.lambda_authorizer import (
    Invoke,
    LambdaAuthorizer,
    LambdaAuthorizerConfig,
    pool_invoker,
)
from local.appsync.server import create_appsync_app
from local.appsync.specs import DataSourceSpec, ResolverSpec
from local.appsync.subscriptions import SubscriptionRegistry
from local.awslambda.pool import InvocationError

API_ID = "localapi0001"
API_ARN = f"arn:aws:appsync:us-east-1:123456789012:apis/{API_ID}"
REFUSED = "You are not authorized to make this call."
QUERY = "query Mine($id: ID!) { note(id: $id) { id text } }"
BODY = json.dumps({"query": QUERY, "variables": {"id": "n1"}, "operationName": "Mine"}).encode()


class FakeFunction:
    """The authorizer function: records events, answers with `answer` (or raises it)."""

    def __init__(self, answer: Any) -> None:
        self.answer = answer
        self.events: list[dict[str, Any]] = []

    def __call__(self, event: dict[str, Any]) -> Any:
        self.events.append(event)
        if isinstance(self.answer, Exception):
            raise self.answer
        return self.answer


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def authorizer(
    function: Invoke,
    *,
    ttl_s: int = 0,
    validation: str | None = None,
    clock: Clock | None = None,
) -> LambdaAuthorizer:
    config = LambdaAuthorizerConfig(
        "arn:aws:lambda:us-east-1:123456789012:function:auth",
        ttl_s,
        re.compile(validation) if validation else None,
    )
    return LambdaAuthorizer(
        config,
        function,
        api_id=API_ID,
        api_arn=API_ARN,
        account_id="123456789012",
        clock=clock or Clock(),
    )


def allow(**extra: Any) -> dict[str, Any]:
    return {"isAuthorized": True, "resolverContext": {"user": "ann"}, **extra}


# -- which requests go to the authorizer ---------------------------------------------------------


def jwt_shaped() -> str:
    def part(value: dict[str, Any]) -> str:
        return base64.urlsafe_b64encode(json.dumps(value).encode()).decode().rstrip("=")

    return f"{part({'alg': 'RS256', 'kid': 'k'})}.{part({'sub': 'u'})}.c2lnbmF0dXJl"


def authenticator(modes: set[str], function: FakeFunction) -> tuple[RequestAuthenticator, list]:
    """All of modes enabled; returns which verifier each request reached."""
    reached: list[str] = []

    def verify_jwt(token: str) -> dict[str, Any]:
        reached.append("cognito")
        return {"sub": "u-1", "token_use": "id"}

    def verify_sigv4(*_: Any) -> dict[str, Any]:
        reached.append("iam")
        return {"arn": "arn:aws:iam::123456789012:role/r", "account_id": "123456789012"}

    def authorize(token: str, body: bytes, headers: Any) -> Caller:
        reached.append("lambda")
        return authorizer(function).authorize(token, body, headers)

    auth = RequestAuthenticator(
        frozenset(modes), verify_jwt, verify_sigv4, {"da2-key": 9e12}, authorize
    )
    return auth, reached


def send(auth: RequestAuthenticator, headers: dict[str, str], body: bytes = BODY) -> Caller:
    return auth.authenticate(AuthRequest("POST", "/graphql", "", headers, body, "127.0.0.1"))


ALL = {COGNITO, IAM, API_KEY, LAMBDA}
SIGV4 = "AWS4-HMAC-SHA256 Credential=AKIA/20260101/us-east-1/appsync/aws4_request, ..."


@pytest.mark.parametrize(
    ("modes", "headers", "reached", "mode"),
    [
        # [guide]: with several modes, an opaque token is the Lambda authorizer's ...
        (ALL, {"Authorization": "opaque-token"}, ["lambda"], LAMBDA),
        # ... a JWT stays a user-pool token and a SigV4 signature stays IAM ("Circumventing
        # SigV4 and OIDC token authorization limitations": they cannot be Lambda tokens) ...
        (ALL, {"Authorization": jwt_shaped()}, ["cognito"], COGNITO),
        (ALL, {"Authorization": SIGV4}, ["iam"], IAM),
        # ... and an x-api-key header without Authorization is an API key.
        (ALL, {"x-api-key": "da2-key"}, [], API_KEY),
        # Without IAM (or Cognito) on the API, those values are the authorizer's to judge.
        ({LAMBDA}, {"Authorization": SIGV4}, ["lambda"], LAMBDA),
        ({LAMBDA}, {"Authorization": jwt_shaped()}, ["lambda"], LAMBDA),
        # Without AWS_LAMBDA on the API, any other value is a (bad) user-pool token.
        ({COGNITO, IAM}, {"Authorization": "opaque-token"}, ["cognito"], COGNITO),
    ],
)
def test_the_request_picks_the_mode(modes, headers, reached, mode):
    auth, seen = authenticator(modes, FakeFunction(allow()))
    assert send(auth, headers).mode == mode
    assert seen == reached


def test_the_token_reaches_the_authorizer_as_sent_bearer_prefix_included():
    function = FakeFunction(allow())
    auth, _ = authenticator(ALL, function)
    send(auth, {"Authorization": "Bearer opaque"})
    assert function.events[0]["authorizationToken"] == "Bearer opaque"


def test_a_jwt_is_three_base64url_parts_with_a_json_header():
    assert looks_like_jwt(jwt_shaped())
    assert not looks_like_jwt("reader-ann")
    assert not looks_like_jwt("a.b.c")  # "a" is no JSON object once decoded
    assert not looks_like_jwt("prefix" + jwt_shaped())  # the guide's way round the limitation


# -- the event -----------------------------------------------------------------------------------


def test_the_event_carries_the_token_the_request_and_its_headers():
    # [guide]: {authorizationToken, requestContext: {apiId, accountId, requestId, queryString,
    # operationName, variables}, requestHeaders}.
    function = FakeFunction(allow())
    headers = {"Authorization": "tok", "X-Trace": "t-1"}
    authorizer(function).authorize("tok", BODY, headers)
    (event,) = function.events
    context = event["requestContext"]
    assert event["authorizationToken"] == "tok"
    assert {k: v for k, v in context.items() if k != "requestId"} == {
        "apiId": API_ID,
        "accountId": "123456789012",
        "queryString": QUERY,
        "operationName": "Mine",
        "variables": {"id": "n1"},
    }
    assert re.fullmatch(r"[0-9a-f-]{36}", context["requestId"])
    assert event["requestHeaders"] == {"authorization": "tok", "x-trace": "t-1"}


def test_a_request_without_an_operation_name_sends_none_and_a_connect_sends_an_empty_query():
    function = FakeFunction(allow())
    auth = authorizer(function)
    auth.authorize("tok", json.dumps({"query": "{ a }"}).encode(), {})
    auth.authorize("tok", b"{}", {})  # a real-time connect: the body signed is {}
    first, connect = (event["requestContext"] for event in function.events)
    assert "operationName" not in first
    assert (first["queryString"], first["variables"]) == ("{ a }", {})
    assert (connect["queryString"], connect["variables"]) == ("", {})


# -- the answer ----------------------------------------------------------------------------------


def test_resolver_context_is_the_whole_of_ctx_identity():
    # [guide] resolverContext is ctx.identity.resolverContext; [types] nothing else is in it.
    caller = authorizer(FakeFunction(allow())).authorize("tok", BODY, {})
    assert caller.mode == LAMBDA
    assert caller.identity == {"resolverContext": {"user": "ann"}}
    assert AuthType.from_mode(caller.mode) == "Lambda Authorization"


@pytest.mark.parametrize(
    "answer",
    [
        {"isAuthorized": False},
        {"isAuthorized": False, "resolverContext": {"user": "ann"}},
        {"resolverContext": {"user": "ann"}},  # no isAuthorized
        {"isAuthorized": "true"},  # not a boolean
        ["isAuthorized"],
        None,
        {"isAuthorized": True, "resolverContext": "ann"},
        {"isAuthorized": True, "deniedFields": "Query.note"},
        {"isAuthorized": True, "ttlOverride": "60"},
        {"isAuthorized": True, "ttlOverride": 3601},
    ],
)
def test_a_refusal_or_an_answer_appsync_cannot_read_is_401(answer):
    with pytest.raises(AuthFailure) as failure:
        authorizer(FakeFunction(answer)).authorize("tok", BODY, {})
    assert str(failure.value) == REFUSED


@pytest.mark.parametrize(
    "error",
    [
        InvocationError({"errorType": "KeyError", "errorMessage": "'sub'"}),
        TimeoutError("the authorizer did not answer within 10 s"),
    ],
)
def test_a_function_error_or_a_timeout_is_401_and_nothing_of_it_reaches_the_client(error):
    with pytest.raises(AuthFailure) as failure:
        authorizer(FakeFunction(error)).authorize("tok", BODY, {})
    assert str(failure.value) == REFUSED


# -- deniedFields --------------------------------------------------------------------------------


def test_denied_fields_take_a_field_arn_of_this_api_or_type_dot_field():
    # [guide] deniedFields: a full field ARN or the short form TypeName.FieldName; an ARN of
    # another API sharing the authorizer names none of this API's fields.
    denied = [
        f"{API_ARN}/types/Query/fields/secret",
        "Note.text",
        "arn:aws:appsync:us-east-1:123456789012:apis/otherapi/types/Query/fields/note",
        "nonsense",
    ]
    caller = authorizer(FakeFunction(allow(deniedFields=denied))).authorize("tok", BODY, {})
    assert caller.denied_fields == {("Query", "secret"), ("Note", "text")}


SCHEMA = """
type Note @aws_lambda @aws_cognito_user_pools { id: ID! text: String }
type Query {
  note(id: ID!): Note @aws_lambda @aws_cognito_user_pools
  secret: String @aws_lambda
  writersOnly: String
}
"""
PRELUDE = (
    Path(__file__).resolve().parents[3] / "local" / "appsync" / "prelude.graphql"
).read_text()


def executor(ran: list[str]) -> AppSyncExecutor:
    source = DataSourceSpec("none", "NONE")
    answers = {"note": {"id": "n1", "text": "hello"}, "secret": "s", "writersOnly": "w"}

    def run(spec: ResolverSpec, *_: Any) -> tuple[Any, list[Any]]:
        ran.append(spec.field_name)
        return answers[spec.field_name], []

    return AppSyncExecutor(
        SCHEMA,
        PRELUDE,
        default_mode=COGNITO,
        additional_modes=(LAMBDA,),
        resolvers={
            ("Query", name): ResolverSpec("Query", name, "UNIT", "code", source) for name in answers
        },
        run_resolver=run,
        policy_check=lambda *_: False,
    )


def test_a_denied_field_is_null_with_an_unauthorized_error_and_its_resolver_does_not_run():
    # [guide] deniedFields resolve to null (AppSync's Unauthorized field error, as for a field
    # the caller's mode may not use); the others resolve as usual.
    denied = ["Query.secret", "Note.text"]
    caller = authorizer(FakeFunction(allow(deniedFields=denied))).authorize("tok", BODY, {})
    ran: list[str] = []
    body = executor(ran).execute('{ note(id: "n1") { id text } secret }', None, None, caller)
    assert body["data"] == {"note": {"id": "n1", "text": None}, "secret": None}
    assert sorted((e["path"], e["errorType"]) for e in body["errors"]) == [
        (["note", "text"], "Unauthorized"),
        (["secret"], "Unauthorized"),
    ]
    assert ran == ["note"]


def test_a_lambda_caller_reaches_only_fields_marked_aws_lambda():
    caller = authorizer(FakeFunction(allow())).authorize("tok", BODY, {})
    body = executor([]).execute("{ writersOnly }", None, None, caller)
    assert body["data"] == {"writersOnly": None}
    assert body["errors"][0]["message"] == "Not Authorized to access writersOnly on type Query"


# -- caching -------------------------------------------------------------------------------------


def test_without_a_ttl_every_request_asks_the_function():
    # [cfn] AuthorizerResultTtlInSeconds defaults to 0: no caching.
    function = FakeFunction(allow())
    auth = authorizer(function)
    for _ in range(3):
        auth.authorize("tok", BODY, {})
    assert len(function.events) == 3


def test_an_answer_is_kept_per_token_for_the_configured_ttl():
    function, clock = FakeFunction(allow()), Clock()
    auth = authorizer(function, ttl_s=300, clock=clock)
    auth.authorize("tok", BODY, {})
    clock.now += 299
    auth.authorize("tok", BODY, {})
    auth.authorize("other", BODY, {})
    assert [e["authorizationToken"] for e in function.events] == ["tok", "other"]
    clock.now += 1
    auth.authorize("tok", BODY, {})
    assert len(function.events) == 3


def test_ttl_override_replaces_the_configured_ttl_and_zero_disables_caching():
    # [cfn] "The Lambda function can override this by returning a ttlOverride key".
    function, clock = FakeFunction(allow(ttlOverride=10)), Clock()
    auth = authorizer(function, ttl_s=300, clock=clock)
    auth.authorize("tok", BODY, {})
    clock.now += 10
    auth.authorize("tok", BODY, {})
    assert len(function.events) == 2
    function.answer = allow(ttlOverride=0)
    auth.authorize("zero", BODY, {})
    auth.authorize("zero", BODY, {})
    assert len(function.events) == 4


def test_a_cached_refusal_is_refused_again_without_asking():
    function = FakeFunction({"isAuthorized": False})
    auth = authorizer(function, ttl_s=60)
    for _ in range(2):
        with pytest.raises(AuthFailure):
            auth.authorize("tok", BODY, {})
    assert len(function.events) == 1


def test_a_failure_is_not_cached():
    function = FakeFunction(InvocationError({"errorType": "Boom", "errorMessage": "x"}))
    auth = authorizer(function, ttl_s=60)
    with pytest.raises(AuthFailure):
        auth.authorize("tok", BODY, {})
    function.answer = allow()
    assert auth.authorize("tok", BODY, {}).mode == LAMBDA


# -- IdentityValidationExpression ----------------------------------------------------------------


@pytest.mark.parametrize("token", ["reader ann", "xreader-ann", "reader-ann\n", ""])
def test_a_token_the_expression_does_not_match_is_refused_before_the_function(token):
    # [cfn] "A regular expression for validation of tokens before the Lambda function is
    # called." The whole token must match (we refuse rather than accept a partial match).
    function = FakeFunction(allow())
    with pytest.raises(AuthFailure, match=REFUSED):
        authorizer(function, validation=r"reader-[a-z]+").authorize(token, BODY, {})
    assert function.events == []


def test_a_token_the_expression_matches_reaches_the_function():
    function = FakeFunction(allow())
    authorizer(function, validation=r"reader-[a-z]+").authorize("reader-ann", BODY, {})
    assert len(function.events) == 1


# -- running the function from a request's worker thread -----------------------------------------


@pytest.fixture
def loop() -> Iterator[asyncio.AbstractEventLoop]:
    running = asyncio.new_event_loop()
    thread = threading.Thread(target=running.run_forever, daemon=True)
    thread.start()
    yield running
    running.call_soon_threadsafe(running.stop)
    thread.join(5)
    running.close()


def test_the_function_runs_on_the_stacks_loop_and_answers_the_worker_thread(loop):
    async def invoke(event: Any) -> Any:
        assert asyncio.get_running_loop() is loop
        return {"isAuthorized": True, "resolverContext": {"seen": event["authorizationToken"]}}

    caller = authorizer(pool_invoker(invoke, loop)).authorize("tok", BODY, {})
    assert caller.identity == {"resolverContext": {"seen": "tok"}}


def test_an_authorizer_slower_than_appsync_waits_is_a_timeout_and_is_cancelled(loop):
    # [guide]: AppSync gives the authorizer 10 seconds; here the limit is shortened.
    cancelled = threading.Event()

    async def invoke(_event: Any) -> Any:
        try:
            await asyncio.sleep(30)
        finally:
            cancelled.set()

    with pytest.raises(TimeoutError):
        pool_invoker(invoke, loop, timeout_s=0.05)({})
    assert cancelled.wait(5)


def test_calling_it_on_the_loop_it_needs_is_refused_instead_of_deadlocking(loop):
    async def invoke(_event: Any) -> Any:
        return {}

    run = pool_invoker(invoke, loop)

    async def on_the_loop() -> Any:
        return run({})

    future = asyncio.run_coroutine_threadsafe(on_the_loop(), loop)
    with pytest.raises(RuntimeError, match="off the event loop"):
        future.result(5)


# -- over HTTP -----------------------------------------------------------------------------------


def test_post_graphql_runs_the_authorizer_off_the_loop_its_function_runs_on():
    """The function's pool lives on the server's event loop; were auth done on that loop, the
    authorizer would wait for itself (pool_invoker refuses, and the answer would be 401)."""

    async def scenario() -> list[tuple[int, dict[str, Any]]]:
        loop = asyncio.get_running_loop()

        async def function(event: dict[str, Any]) -> dict[str, Any]:
            await asyncio.sleep(0)
            return {"isAuthorized": event["authorizationToken"] == "reader-ann"}

        lambda_auth = authorizer(pool_invoker(function, loop))
        authenticator = RequestAuthenticator(
            frozenset([COGNITO, LAMBDA]),
            lambda token: {"sub": "u"},
            lambda *_: {},
            authorize_lambda=lambda_auth.authorize,
        )
        app = create_appsync_app(executor([]), authenticator)
        server = TestServer(app, host="127.0.0.1")
        await server.start_server()
        answers = []
        try:
            async with aiohttp.ClientSession() as http:
                for token in ("reader-ann", "reader-bob"):
                    async with http.post(
                        f"http://127.0.0.1:{server.port}/graphql",
                        json={"query": "{ secret }"},
                        headers={"Authorization": token},
                    ) as response:
                        answers.append((response.status, await response.json()))
        finally:
            await server.close()
        return answers

    accepted, refused = asyncio.run(scenario())
    assert accepted == (200, {"data": {"secret": "s"}})
    assert refused == (
        401,
        {"errors": [{"errorType": "UnauthorizedException", "message": REFUSED}]},
    )


# -- over the real-time WebSocket ----------------------------------------------------------------

REALTIME_SCHEMA = """
type Note @aws_lambda { id: ID! text: String }
type Query { note(id: ID!): Note }
type Mutation { addNote(id: ID!, text: String): Note }
type Subscription {
  onNote: Note @aws_subscribe(mutations: ["addNote"])
  onSecret: Note @aws_subscribe(mutations: ["addNote"])
}
"""
ON_NOTE = "subscription { onNote { id text } }"


def test_a_real_time_connection_and_its_starts_are_authorized_with_the_header_objects_token():
    """The header object's Authorization is the token at connect and at every start ("Building
    a real-time WebSocket client", AWS Lambda authorization); deniedFields refuse a subscription
    field at start and null a denied field in the events."""
    function = FakeFunction(allow(deniedFields=["Subscription.onSecret", "Note.text"]))
    lambda_auth = authorizer(function)

    def run(spec: ResolverSpec, arguments: dict[str, Any], *_: Any) -> tuple[Any, list[Any]]:
        return dict(arguments), []

    executor = AppSyncExecutor(
        REALTIME_SCHEMA,
        PRELUDE,
        default_mode=LAMBDA,
        additional_modes=(),
        resolvers={
            ("Mutation", "addNote"): ResolverSpec(
                "Mutation", "addNote", "UNIT", "code", DataSourceSpec("none", "NONE")
            )
        },
        run_resolver=run,
        policy_check=lambda *_: False,
    )
    authenticator = RequestAuthenticator(
        frozenset([LAMBDA]),
        lambda token: {},
        lambda *_: {},
        authorize_lambda=lambda_auth.authorize,
    )

    async def scenario() -> list[dict[str, Any]]:
        app = create_appsync_app(
            executor, authenticator, subscriptions=SubscriptionRegistry(executor)
        )
        server = TestServer(app, host="127.0.0.1")
        await server.start_server()
        header = {"host": f"127.0.0.1:{server.port}", "Authorization": "reader-ann"}
        encoded = base64.b64encode(json.dumps(header).encode()).decode()
        url = f"ws://127.0.0.1:{server.port}/graphql?header={encoded}&payload=e30="
        answers = []
        try:
            async with aiohttp.ClientSession() as http:
                ws = await http.ws_connect(url, protocols=("graphql-ws",))

                async def answer() -> dict[str, Any]:
                    while True:
                        message = json.loads((await ws.receive(5)).data)
                        if message["type"] != "ka":
                            return dict(message)

                await ws.send_json({"type": "connection_init"})
                answers.append(await answer())
                for sid, query in (("1", "subscription { onSecret { id } }"), ("2", ON_NOTE)):
                    payload = {
                        "data": json.dumps({"query": query}),
                        "extensions": {"authorization": header},
                    }
                    await ws.send_json({"id": sid, "type": "start", "payload": payload})
                    answers.append(await answer())
                caller = lambda_auth.authorize("reader-ann", b"{}", {})
                mutation = 'mutation { addNote(id: "n1", text: "hi") { id text } }'
                await asyncio.to_thread(executor.execute, mutation, None, None, caller)
                answers.append(await answer())
                await ws.close()
        finally:
            await server.close()
        return answers

    ack, secret, started, event = asyncio.run(scenario())
    assert ack["type"] == "connection_ack"
    assert secret["type"] == "error"
    assert secret["payload"]["errors"][0]["errorType"] == "Unauthorized"
    assert started == {"type": "start_ack", "id": "2"}
    assert event["type"] == "data"
    assert event["payload"]["data"] == {"onNote": {"id": "n1", "text": None}}
    connect, *starts = (e["requestContext"]["queryString"] for e in function.events[:3])
    assert connect == ""
    assert starts == ["subscription { onSecret { id } }", ON_NOTE]
    assert {e["authorizationToken"] for e in function.events} == {"reader-ann"}

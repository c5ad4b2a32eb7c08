"""The notebook example's Lambda authorizer (examples/notebook/authorizer) end to end.

AppSync developer guide, "Configuring authorization and authentication to secure your GraphQL
APIs", AWS_LAMBDA authorization
(https://docs.aws.amazon.com/appsync/latest/devguide/security-authz.html#aws-lambda-authorization):
the `Authorization` header is the function's `authorizationToken`; its `resolverContext` is
ctx.identity.resolverContext; `deniedFields` resolve to null with an Unauthorized error; a
refusal, or a token IdentityValidationExpression does not match, is HTTP 401
UnauthorizedException. On the real-time endpoint the token is the `Authorization` entry of the
header object ("Building a real-time WebSocket client", AWS Lambda authorization header), which
is what gql's AppSyncJWTAuthentication sends, unmodified.

Tokens of the example's authorizer: `reader-<name>`, `guest-<name>` (denied wordCount);
anything else of the shape `^[a-z]+-[a-z0-9]+$` reaches the function and is refused.
"""

from __future__ import annotations

import asyncio
from typing import Any
from urllib.parse import urlsplit

import pytest
from gql import Client, GraphQLRequest
from gql.transport.appsync_auth import AppSyncJWTAuthentication
from gql.transport.appsync_websockets import AppSyncWebsocketsTransport
from gql.transport.exceptions import TransportServerError
from notebook_support import NotebookStack, Writer

WHO_AM_I = "query { whoAmI { name role authType } }"
WORD_COUNT = 'query { wordCount(text: "two words") { words } }'
GET_NOTEBOOK = "query ($id: ID!) { getNotebook(id: $id) { id title } }"
REFUSED = {
    "errorType": "UnauthorizedException",
    "message": "You are not authorized to make this call.",
}
ON_ALERT = "subscription ($n: ID!) { onAlert(notebookId: $n) { notebookId severity message } }"
PUBLISH = """mutation ($n: ID!, $s: Int!, $m: String!) {
  publishAlert(notebookId: $n, severity: $s, message: $m) { notebookId severity message }
}"""


def body(response: Any, status: int = 200) -> dict[str, Any]:
    assert response.status_code == status, response.text
    return dict(response.json())


def test_an_accepted_token_reaches_fields_marked_aws_lambda_with_its_resolver_context(
    notebook_stack: NotebookStack,
):
    answered = body(notebook_stack.with_token("reader-ann", WHO_AM_I))
    assert answered == {
        "data": {"whoAmI": {"name": "ann", "role": "reader", "authType": "Lambda Authorization"}}
    }


def test_a_token_the_function_refuses_is_401(notebook_stack: NotebookStack):
    response = notebook_stack.with_token("writer-bob", WHO_AM_I)
    assert body(response, 401) == {"errors": [REFUSED]}
    assert response.headers["x-amzn-ErrorType"] == "UnauthorizedException"


@pytest.mark.parametrize("token", ["Reader-ann", "reader-ann!", "reader"])
def test_a_token_the_validation_expression_does_not_match_is_401(
    notebook_stack: NotebookStack, token: str
):
    assert body(notebook_stack.with_token(token, WHO_AM_I), 401) == {"errors": [REFUSED]}


def test_a_denied_field_is_null_with_an_unauthorized_error_and_the_rest_resolves(
    notebook_stack: NotebookStack, notebook: dict[str, Any]
):
    # The guest's answer denies Query.wordCount by its field ARN.
    query = 'query ($id: ID!) { wordCount(text: "a") { words } getNotebook(id: $id) { title } }'
    answered = body(notebook_stack.with_token("guest-gil", query, {"id": notebook["id"]}))
    assert answered["data"] == {"wordCount": None, "getNotebook": {"title": "Field notes"}}
    (error,) = answered["errors"]
    assert (error["path"], error["errorType"]) == (["wordCount"], "Unauthorized")


def test_the_same_field_resolves_for_a_caller_it_is_not_denied_to(notebook_stack: NotebookStack):
    assert body(notebook_stack.with_token("reader-ann", WORD_COUNT)) == {
        "data": {"wordCount": {"words": 2}}
    }


def test_a_lambda_caller_is_refused_fields_without_aws_lambda(
    notebook_stack: NotebookStack, writer: Writer
):
    answered = body(
        notebook_stack.with_token("reader-ann", 'mutation { createNotebook(title: "x") { id } }')
    )
    assert answered["data"] == {"createNotebook": None}
    assert answered["errors"][0]["errorType"] == "Unauthorized"
    # ... and the other modes keep working beside it: a Cognito token is still a user's.
    assert "errors" not in body(writer.graphql('mutation { createNotebook(title: "y") { id } }'))


def transport(stack: NotebookStack, token: str) -> AppSyncWebsocketsTransport:
    host = urlsplit(stack.outputs["GraphQLUrl"]).netloc
    auth = AppSyncJWTAuthentication(host=host, jwt=token)
    return AppSyncWebsocketsTransport(url=stack.outputs["GraphQLRealtimeUrl"], auth=auth)


def test_a_subscription_authorized_by_the_lambda_authorizer_receives_events(
    notebook_stack: NotebookStack,
):
    async def scenario() -> dict[str, Any]:
        async with Client(transport=transport(notebook_stack, "reader-ann")) as session:
            request = GraphQLRequest(ON_ALERT, variable_values={"n": "nb-lambda"})
            events: asyncio.Queue[dict[str, Any]] = asyncio.Queue()

            async def listen() -> None:
                async for result in session.subscribe(request):
                    await events.put(result["onAlert"])

            task = asyncio.create_task(listen())
            async with asyncio.timeout(5):  # until the server acknowledged the start
                while not getattr(session.transport, "listeners", {}):
                    await asyncio.sleep(0.02)
            await asyncio.sleep(0.2)
            variables = {"n": "nb-lambda", "s": 4, "m": "for readers"}
            published = await asyncio.to_thread(notebook_stack.signed, PUBLISH, variables)
            assert "errors" not in body(published)
            event = await asyncio.wait_for(events.get(), 2.0)
            task.cancel()
            return event

    event = asyncio.run(scenario())
    assert event == {"notebookId": "nb-lambda", "severity": 4, "message": "for readers"}


def test_a_refused_token_cannot_open_a_subscription(notebook_stack: NotebookStack):
    async def scenario() -> TransportServerError:
        # The connection is refused with connection_error (401), which gql raises.
        with pytest.raises(TransportServerError) as refused:
            async with Client(transport=transport(notebook_stack, "writer-bob")) as session:
                request = GraphQLRequest(ON_ALERT, variable_values={"n": "nb"})
                async with asyncio.timeout(5):
                    async for _ in session.subscribe(request):
                        pass
        return refused.value

    error = asyncio.run(scenario())
    assert "'errorType': 'UnauthorizedException'" in str(error)
    assert "You are not authorized to make this call." in str(error)

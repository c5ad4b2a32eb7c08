"""The notebook example (examples/notebook) end to end, through the local stack.

A second, independent stack: its own schema, two tables, unit and pipeline resolvers, a Lambda
function behind an APPSYNC_JS Invoke, a direct Lambda resolver and a direct pipeline
function, a NONE pub/sub field with enhanced filtering and invalidation, a function fed by a
DynamoDB stream, and API key + Cognito + IAM auth. Clients are the ones people use, configured
from the outputs only:
requests (API key and Cognito headers), botocore's SigV4 signer, boto3 for Cognito, gql's
AppSync WebSocket transport for subscriptions.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any
from urllib.parse import urlsplit

import pytest
from gql import Client, GraphQLRequest
from gql.client import AsyncClientSession
from gql.transport.appsync_auth import AppSyncApiKeyAuthentication
from gql.transport.appsync_websockets import AppSyncWebsocketsTransport
from gql.transport.exceptions import TransportQueryError
from notebook_support import NOTE_FIELDS, NotebookStack, Writer

TODO_OUTPUT_KEYS = ("GraphQLUrl", "GraphQLRealtimeUrl", "UserPoolId", "UserPoolClientId", "Region")
ADD_NOTE = (
    f"mutation ($n: ID!, $t: String!) {{ addNote(notebookId: $n, text: $t) {{ {NOTE_FIELDS} }} }}"
)
GET_NOTEBOOK = "query ($id: ID!) { getNotebook(id: $id) { id owner title noteCount } }"
LIST_NOTES = f"query ($n: ID!) {{ listNotes(notebookId: $n) {{ {NOTE_FIELDS} }} }}"
PUBLISH = """mutation ($n: ID!, $s: Int!, $m: String!) {
  publishAlert(notebookId: $n, severity: $s, message: $m) { notebookId severity message }
}"""
ON_ALERT = """subscription ($n: ID!, $min: Int) {
  onAlert(notebookId: $n, minSeverity: $min) { notebookId severity message }
}"""
CLOSE = "mutation ($n: ID!) { closeAlerts(notebookId: $n) }"
EVENT_WAIT_S = 2.0


def data(response: Any) -> dict[str, Any]:
    assert response.status_code == 200, response.text
    body = response.json()
    assert "errors" not in body, body
    return dict(body["data"])


def only_error(response: Any) -> dict[str, Any]:
    assert response.status_code == 200, response.text
    (error,) = response.json()["errors"]
    return dict(error)


def test_outputs_use_the_todo_stack_names_plus_the_api_key(notebook_stack: NotebookStack):
    outputs = notebook_stack.outputs
    assert all(outputs[key] for key in TODO_OUTPUT_KEYS)
    assert outputs["ApiKey"].startswith("da2-")


# -- API key reads, Cognito writes ------------------------------------------------------------


def test_api_key_reads_what_a_cognito_user_wrote(notebook_stack: NotebookStack, notebook, writer):
    got = data(notebook_stack.with_key(GET_NOTEBOOK, {"id": notebook["id"]}))["getNotebook"]
    assert got == {**notebook, "owner": writer.sub, "noteCount": 0}


def test_an_api_key_cannot_write(notebook_stack: NotebookStack):
    # The field admits @aws_cognito_user_pools only (AppSync developer guide, "Configuring
    # authorization and authentication": per-field directives).
    response = notebook_stack.with_key('mutation { createNotebook(title: "x") { id } }')
    error = only_error(response)
    assert error["errorType"] == "Unauthorized"
    assert response.json()["data"] == {"createNotebook": None}


def test_add_note_writes_both_tables_in_one_transaction(
    notebook_stack: NotebookStack, writer: Writer, notebook
):
    note = data(writer.graphql(ADD_NOTE, {"n": notebook["id"], "t": "  three small words "}))
    added = note["addNote"]
    assert added["text"] == "three small words"
    assert added["author"] == writer.sub
    listed = data(notebook_stack.with_key(LIST_NOTES, {"n": notebook["id"]}))["listNotes"]
    assert listed == [added]
    got = data(notebook_stack.with_key(GET_NOTEBOOK, {"id": notebook["id"]}))["getNotebook"]
    assert got["noteCount"] == 1


def test_another_user_cannot_add_a_note_and_nothing_is_written(
    notebook_stack: NotebookStack, notebook, make_writer
):
    stranger = make_writer()
    response = stranger.graphql(ADD_NOTE, {"n": notebook["id"], "t": "not mine"})
    assert only_error(response)["errorType"] == "Unauthorized"
    assert data(notebook_stack.with_key(LIST_NOTES, {"n": notebook["id"]}))["listNotes"] == []
    got = data(notebook_stack.with_key(GET_NOTEBOOK, {"id": notebook["id"]}))["getNotebook"]
    assert got["noteCount"] == 0


def test_a_note_for_a_missing_notebook_is_refused(writer: Writer):
    error = only_error(writer.graphql(ADD_NOTE, {"n": "nope", "t": "lost"}))
    assert error["errorType"] == "NotFound"


def test_an_unknown_api_key_is_refused(notebook_stack: NotebookStack):
    # AppSync answers 401 UnauthorizedException for a key it does not know (or one that
    # expired: its Expires is checked the same way, see tests/unit/local/test_api_key_auth.py).
    response = notebook_stack.post(GET_NOTEBOOK, {"id": "x"}, {"x-api-key": "da2-" + "a" * 26})
    assert response.status_code == 401
    assert response.json()["errors"][0]["errorType"] == "UnauthorizedException"


# -- a DynamoDB stream feeding a function ----------------------------------------------------


def words_of(notebook_stack: NotebookStack, notebook_id: str) -> Any:
    query = "query ($id: ID!) { getNotebook(id: $id) { words } }"
    return data(notebook_stack.with_key(query, {"id": notebook_id}))["getNotebook"]["words"]


def test_new_notes_reach_the_stream_consumer_and_its_writes_show_in_the_api(
    notebook_stack: NotebookStack, writer: Writer, notebook
):
    # Lambda developer guide, "Using AWS Lambda with Amazon DynamoDB": the mapping polls the
    # Notes stream and invokes WordCounterFunction, which adds each new note's words.
    assert words_of(notebook_stack, notebook["id"]) is None
    data(writer.graphql(ADD_NOTE, {"n": notebook["id"], "t": "one two three"}))
    data(writer.graphql(ADD_NOTE, {"n": notebook["id"], "t": "four five"}))
    assert eventually(lambda: words_of(notebook_stack, notebook["id"]) == 5)


def test_the_filter_passes_only_inserts(notebook_stack: NotebookStack, writer: Writer, notebook):
    # The mapping's FilterCriteria is {"eventName": ["INSERT"]} ("Lambda event filtering"):
    # changing a note (here, through DynamoDB directly) must not count its words again.
    note = data(writer.graphql(ADD_NOTE, {"n": notebook["id"], "t": "alpha beta"}))["addNote"]
    assert eventually(lambda: words_of(notebook_stack, notebook["id"]) == 2)
    notes_table = next(
        name
        for name in notebook_stack.aws("dynamodb").list_tables()["TableNames"]
        if "Notes" in name
    )
    notebook_stack.aws("dynamodb").update_item(
        TableName=notes_table,
        Key={"notebookId": {"S": notebook["id"]}, "id": {"S": note["id"]}},
        UpdateExpression="SET #t = :t",
        ExpressionAttributeNames={"#t": "text"},
        ExpressionAttributeValues={":t": {"S": "alpha beta gamma delta"}},
    )
    data(writer.graphql(ADD_NOTE, {"n": notebook["id"], "t": "epsilon"}))
    assert eventually(lambda: words_of(notebook_stack, notebook["id"]) == 3)
    # the MODIFY record came before the last INSERT on the same shard, so it was seen and dropped
    assert words_of(notebook_stack, notebook["id"]) == 3


def eventually(check: Any, timeout: float = 10.0) -> bool:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True


# -- the Lambda function ------------------------------------------------------------------------


def test_a_js_resolver_invokes_the_function(notebook_stack: NotebookStack):
    # AppSync JavaScript resolver function reference for Lambda: Invoke's payload is the event.
    counted = data(
        notebook_stack.with_key('query { wordCount(text: "one two  three") { words characters } }')
    )
    assert counted == {"wordCount": {"words": 3, "characters": 14}}


def test_a_direct_lambda_resolver_gets_the_context_and_answers_the_field(
    notebook_stack: NotebookStack,
):
    answered = data(
        notebook_stack.with_key("query { readingMinutes(words: 450, wordsPerMinute: 200) }")
    )
    assert answered == {"readingMinutes": 3}


def test_a_direct_lambda_error_is_the_field_error_with_the_functions_error_type(
    notebook_stack: NotebookStack,
):
    response = notebook_stack.with_key("query { readingMinutes(words: 1, wordsPerMinute: 0) }")
    error = only_error(response)
    assert error["errorType"] == "InvalidArgument"
    assert error["message"] == "wordsPerMinute must be positive"
    assert error["path"] == ["readingMinutes"]
    assert response.json()["data"] == {"readingMinutes": None}


def test_a_pipeline_passes_dynamodb_results_to_a_direct_lambda_function(
    notebook_stack: NotebookStack, writer: Writer, notebook
):
    for text in ("short one", "a somewhat longer note here"):
        data(writer.graphql(ADD_NOTE, {"n": notebook["id"], "t": text}))
    summary = data(
        notebook_stack.with_key(
            "query ($n: ID!) { summarize(notebookId: $n) { notebookId notes words longestNote } }",
            {"n": notebook["id"]},
        )
    )["summarize"]
    assert summary == {
        "notebookId": notebook["id"],
        "notes": 2,
        "words": 7,
        "longestNote": "a somewhat longer note here",
    }


# -- IAM publish, filtered subscriptions, invalidation -------------------------------------------


def test_only_the_iam_role_may_publish(notebook_stack: NotebookStack, writer: Writer):
    variables = {"n": "nb", "s": 1, "m": "hello"}
    published = data(notebook_stack.signed(PUBLISH, variables))
    assert published == {"publishAlert": {"notebookId": "nb", "severity": 1, "message": "hello"}}
    assert only_error(notebook_stack.with_key(PUBLISH, variables))["errorType"] == "Unauthorized"
    assert only_error(writer.graphql(PUBLISH, variables))["errorType"] == "Unauthorized"


@asynccontextmanager
async def subscriptions(stack: NotebookStack) -> AsyncIterator[AsyncClientSession]:
    host = urlsplit(stack.outputs["GraphQLUrl"]).netloc
    auth = AppSyncApiKeyAuthentication(host=host, api_key=stack.outputs["ApiKey"])
    transport = AppSyncWebsocketsTransport(url=stack.outputs["GraphQLRealtimeUrl"], auth=auth)
    async with Client(transport=transport) as session:
        yield session


class Alerts:
    """One onAlert subscription in a task; its events land in a queue, its end sets `ended`."""

    def __init__(self, session: AsyncClientSession, notebook_id: str, minimum: int | None):
        self.events: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        self.ended = asyncio.Event()
        request = GraphQLRequest(ON_ALERT, variable_values={"n": notebook_id, "min": minimum})
        self.task = asyncio.create_task(self._run(session, request))

    async def _run(self, session: AsyncClientSession, request: GraphQLRequest) -> None:
        try:
            async for result in session.subscribe(request):
                await self.events.put(result["onAlert"])
        finally:
            self.ended.set()

    async def next(self) -> dict[str, Any]:
        return await asyncio.wait_for(self.events.get(), EVENT_WAIT_S)


async def publish(stack: NotebookStack, notebook_id: str, severity: int, message: str) -> None:
    variables = {"n": notebook_id, "s": severity, "m": message}
    data(await asyncio.to_thread(stack.signed, PUBLISH, variables))


async def started(session: AsyncClientSession, *alerts: Alerts) -> None:
    """Wait until the server acknowledged every subscription (gql tracks start_ack)."""
    transport = session.transport
    async with asyncio.timeout(5):
        while len(getattr(transport, "listeners", {})) < len(alerts):
            await asyncio.sleep(0.02)
        await asyncio.sleep(0.2)


def test_enhanced_filter_delivers_only_matching_alerts(notebook_stack: NotebookStack):
    # AppSync developer guide, "Enhanced subscription filtering": the response handler's
    # filter (notebookId eq, severity ge minSeverity) decides delivery.
    async def scenario() -> list[dict[str, Any]]:
        async with subscriptions(notebook_stack) as session:
            alerts = Alerts(session, "nb-filter", 5)
            await started(session, alerts)
            await publish(notebook_stack, "nb-filter", 3, "too low")
            await publish(notebook_stack, "nb-other", 9, "other notebook")
            await publish(notebook_stack, "nb-filter", 7, "wanted")
            first = await alerts.next()
            await publish(notebook_stack, "nb-filter", 5, "the boundary")
            second = await alerts.next()
            alerts.task.cancel()
            return [first, second]

    first, second = asyncio.run(scenario())
    # Delivery keeps order on a connection, so the earlier non-matching alerts were dropped.
    assert first == {"notebookId": "nb-filter", "severity": 7, "message": "wanted"}
    assert second == {"notebookId": "nb-filter", "severity": 5, "message": "the boundary"}


def test_invalidation_ends_only_the_matching_subscriptions(notebook_stack: NotebookStack):
    # "Unsubscribing WebSocket connections using filters": closeAlerts' invalidation payload
    # matches the invalidation filter of nb-closed's subscription only.
    async def scenario() -> tuple[bool, bool, dict[str, Any]]:
        async with subscriptions(notebook_stack) as session:
            closed = Alerts(session, "nb-closed", None)
            kept = Alerts(session, "nb-kept", None)
            await started(session, closed, kept)
            data(await asyncio.to_thread(notebook_stack.signed, CLOSE, {"n": "nb-closed"}))
            await asyncio.wait_for(closed.ended.wait(), EVENT_WAIT_S)
            await publish(notebook_stack, "nb-kept", 1, "still here")
            event = await kept.next()
            kept_ended = kept.ended.is_set()
            kept.task.cancel()
            return closed.events.empty(), kept_ended, event

    closed_got_nothing, kept_ended, event = asyncio.run(scenario())
    assert closed_got_nothing
    assert not kept_ended
    assert event == {"notebookId": "nb-kept", "severity": 1, "message": "still here"}


def test_a_failing_subscription_resolver_answers_the_start_with_its_error(
    notebook_stack: NotebookStack,
):
    async def scenario() -> TransportQueryError:
        async with subscriptions(notebook_stack) as session:
            request = GraphQLRequest(ON_ALERT, variable_values={"n": "nb", "min": 99})
            with pytest.raises(TransportQueryError) as refused:
                async with asyncio.timeout(5):
                    async for _ in session.subscribe(request):
                        pass
            return refused.value

    error = asyncio.run(scenario())
    # gql hands over the `error` message's payload: {"errors": [...]}.
    assert error.errors == [
        {"errors": [{"errorType": "ValidationError", "message": "minSeverity must be 0 to 10"}]}
    ]

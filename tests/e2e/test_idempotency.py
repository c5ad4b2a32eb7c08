"""Idempotent creates end to end: REST -> the function -> Powertools -> the idempotency table.

Locally the table is moto's, reached through the IAM-checking DynamoDB gateway with the
function role's credentials, so the function can only do what the template grants it.
Status codes follow draft-ietf-httpapi-idempotency-key-header, section 2.6.
"""

from __future__ import annotations

import secrets
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import boto3
import pytest
import requests
from botocore.credentials import Credentials
from botocore.exceptions import ClientError
from e2e_support import REGION, RunningStack, User, after_index_delay

from local.appsync.faults import FaultPlan

CONCURRENT_REQUESTS = 10


def _post(user: User, body: dict[str, Any], key: str | None) -> requests.Response:
    headers = {"Idempotency-Key": key} if key is not None else {}
    # a fresh connection per request, as separate client retries would have
    return requests.post(
        user.url("/items"),
        json=body,
        headers={"Authorization": user.id_token, **headers},
        timeout=15,
    )


def _titled(user: User, title: str) -> list[dict[str, Any]]:
    """The user's todos with this title, once the byOwner index has every write so far."""
    after_index_delay()
    return [todo for todo in user.list_all() if todo["title"] == title]


def test_concurrent_requests_with_one_key_create_exactly_one_todo(alice: User) -> None:
    # GIVEN ten copies of one request, same key and body, sent at once
    key, title = secrets.token_hex(16), f"once {secrets.token_hex(4)}"
    with ThreadPoolExecutor(CONCURRENT_REQUESTS) as pool:
        answers = list(
            pool.map(lambda _: _post(alice, {"title": title}, key), range(CONCURRENT_REQUESTS))
        )
    # THEN exactly one todo exists
    (todo,) = _titled(alice, title)
    # AND every answer is the todo (201) or "still in progress" (409, with Retry-After)
    statuses = [answer.status_code for answer in answers]
    print(f"\n{CONCURRENT_REQUESTS} concurrent same-key POSTs answered {sorted(statuses)}")
    assert set(statuses) <= {201, 409}, [a.text for a in answers]
    assert 201 in statuses
    for answer in answers:
        if answer.status_code == 201:
            assert answer.json()["id"] == todo["id"]
        else:
            assert answer.json()["code"] == "idempotency_key_in_use"
            assert answer.headers["Retry-After"] == "1"
    # AND a later retry gets the same todo back
    retry = _post(alice, {"title": title}, key)
    assert retry.status_code == 201
    assert retry.json() == todo


def test_a_repeat_while_the_first_create_is_running_gets_409(
    stack: RunningStack, alice: User
) -> None:
    # GIVEN AppSync taking a second to create (the first request holds the key meanwhile)
    key, title = secrets.token_hex(16), f"slow {secrets.token_hex(4)}"
    stack.stack.faults.configure(
        FaultPlan({"slow": 1.0}, frozenset({"CreateTodo"}), delay_seconds=1)
    )
    try:
        with ThreadPoolExecutor(4) as pool:
            answers = list(pool.map(lambda _: _post(alice, {"title": title}, key), range(4)))
    finally:
        stack.stack.faults.configure(FaultPlan())
    # THEN one request created the todo and the others were told to retry later
    statuses = sorted(answer.status_code for answer in answers)
    print(f"\n4 concurrent same-key POSTs, 1 s create: answered {statuses}")
    assert statuses.count(201) >= 1
    assert 409 in statuses
    (todo,) = _titled(alice, title)
    assert _post(alice, {"title": title}, key).json() == todo


def test_the_same_key_with_another_body_is_refused(alice: User) -> None:
    key, title = secrets.token_hex(16), f"first {secrets.token_hex(4)}"
    assert _post(alice, {"title": title}, key).status_code == 201
    other = _post(alice, {"title": title + " changed"}, key)
    assert other.status_code == 422
    assert other.json()["code"] == "idempotency_key_reused"
    assert _titled(alice, title + " changed") == []


def test_requests_without_a_key_are_never_collapsed(alice: User) -> None:
    title = f"keyless {secrets.token_hex(4)}"
    with ThreadPoolExecutor(4) as pool:
        answers = list(pool.map(lambda _: _post(alice, {"title": title}, None), range(4)))
    assert [a.status_code for a in answers] == [201] * 4
    assert len({a.json()["id"] for a in answers}) == 4
    assert len(_titled(alice, title)) == 4


def test_two_users_with_the_same_key_get_their_own_todos(alice: User, bob: User) -> None:
    key, title = secrets.token_hex(16), f"shared key {secrets.token_hex(4)}"
    mine = _post(alice, {"title": title}, key)
    theirs = _post(bob, {"title": title}, key)
    assert (mine.status_code, theirs.status_code) == (201, 201)
    assert mine.json()["owner"] == alice.sub
    assert theirs.json()["owner"] == bob.sub


# --- the function's role reaches DynamoDB only as far as the template grants ------------------


def _as_function(stack: RunningStack, credentials: Credentials) -> Any:
    return boto3.client(
        "dynamodb",
        endpoint_url=stack.stack.dynamodb_endpoint,
        region_name=REGION,
        aws_access_key_id=credentials.access_key,
        aws_secret_access_key=credentials.secret_key,
        aws_session_token=credentials.token,
    )


def _table_named(stack: RunningStack, prefix: str) -> str:
    names = stack.aws("dynamodb").list_tables()["TableNames"]
    (name,) = [n for n in names if n.startswith(f"TodoApp-dev-{prefix}")]
    return str(name)


def test_function_role_may_read_its_idempotency_records(
    stack: RunningStack, function_role: Credentials
) -> None:
    table = _table_named(stack, "DataIdempotencyTable")
    item = _as_function(stack, function_role).get_item(
        TableName=table, Key={"id": {"S": "no-such-record"}}
    )
    assert "Item" not in item


@pytest.mark.parametrize(
    ("operation", "arguments"),
    [
        ("scan", {}),  # the todo table: the function goes through AppSync, never to the table
        ("get_item", {"Key": {"id": {"S": "x"}}}),
    ],
)
def test_function_role_is_refused_the_todo_table(
    stack: RunningStack, function_role: Credentials, operation: str, arguments: dict[str, Any]
) -> None:
    client = _as_function(stack, function_role)
    table = _table_named(stack, "DataTable")
    with pytest.raises(ClientError) as refused:
        getattr(client, operation)(TableName=table, **arguments)
    error = refused.value.response["Error"]
    assert error["Code"] == "AccessDeniedException"
    assert f"dynamodb:{''.join(p.title() for p in operation.split('_'))}" in error["Message"]


def test_function_role_is_refused_a_scan_of_its_own_idempotency_table(
    stack: RunningStack, function_role: Credentials
) -> None:
    client = _as_function(stack, function_role)
    with pytest.raises(ClientError) as refused:
        client.scan(TableName=_table_named(stack, "DataIdempotencyTable"))
    assert refused.value.response["Error"]["Code"] == "AccessDeniedException"


def test_an_unknown_signature_is_refused(stack: RunningStack) -> None:
    client = _as_function(stack, Credentials("AKIAUNKNOWN0000000000", "wrong-secret"))
    with pytest.raises(ClientError) as refused:
        client.list_tables()
    assert refused.value.response["Error"]["Code"] == "UnrecognizedClientException"

"""POST /items with an Idempotency-Key: one create per (caller, key), through the handler.

The idempotency store is Powertools' real DynamoDB persistence layer on moto's in-process
DynamoDB (no network); the data client is the fake. Status codes follow the IETF draft
draft-ietf-httpapi-idempotency-key-header, section 2.6: 409 while the first request runs,
422 when the key is reused with another body.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from moto import mock_aws
from todo_api import handler
from todo_api.errors import UpstreamUnavailable
from todo_api.idempotency import IdempotentCreates, dynamodb_store
from todo_api_fakes import ALICE, FakeTodoClient, HttpResult, invoke, load_event

pytestmark = pytest.mark.filterwarnings("ignore:No application metrics to publish")

TABLE = "IdempotencyTable"  # the name conftest puts in IDEMPOTENCY_TABLE_NAME
REGION = "eu-west-1"
KEY = "8e03978e-40d5-43e8-bc93-6894a57f9324"
OTHER_SUB = "5b6c7d8e-9f0a-4b1c-8d2e-3f4a5b6c7d8e"


@pytest.fixture
def store() -> Iterator[Any]:
    """The idempotency table (as stacks/data.py makes it) on moto, installed in the handler."""
    with mock_aws():
        dynamodb = boto3.client("dynamodb", region_name=REGION)
        dynamodb.create_table(
            TableName=TABLE,
            KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
            AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
            BillingMode="PAY_PER_REQUEST",
        )
        handler.use_idempotent_creates(
            IdempotentCreates(lambda: dynamodb_store(TABLE, REGION), expires_after_seconds=3600)
        )
        yield dynamodb
        handler.use_idempotent_creates(None)


def _post(body: dict[str, Any], key: str | None = KEY, sub: str = ALICE) -> HttpResult:
    event = load_event("create_item.json")
    event["body"] = json.dumps(body)
    event["requestContext"]["authorizer"]["claims"]["sub"] = sub
    if key is not None:
        event["headers"]["Idempotency-Key"] = key
        event["multiValueHeaders"]["Idempotency-Key"] = [key]
    return invoke(event)


def test_a_repeated_key_returns_the_first_todo_without_a_second_create(
    fake_client: FakeTodoClient, store: Any
) -> None:
    # GIVEN Alice created a todo with an Idempotency-Key
    first = _post({"title": "Buy milk"})
    # WHEN she sends the same request again (a retry after a lost answer)
    again = _post({"title": "Buy milk"})
    # THEN both answers are the same 201 todo, and only one create reached the data layer
    assert (first.status, again.status) == (201, 201)
    assert again.json == first.json
    assert len(fake_client.calls_to("create_todo")) == 1


def test_the_key_is_read_as_a_structured_field_string_too(
    fake_client: FakeTodoClient, store: Any
) -> None:
    first = _post({"title": "Buy milk"}, key=KEY)
    quoted = _post({"title": "Buy milk"}, key=f'"{KEY}"')
    assert quoted.json == first.json
    assert len(fake_client.calls_to("create_todo")) == 1


def test_the_body_is_compared_as_json_not_as_text(fake_client: FakeTodoClient, store: Any) -> None:
    first = _post({"title": "Buy milk", "completed": False})
    reordered = _post({"completed": False, "title": "Buy milk"})
    assert reordered.status == 201
    assert reordered.json == first.json


def test_the_same_key_with_another_body_is_refused_with_422(
    fake_client: FakeTodoClient, store: Any
) -> None:
    # GIVEN a todo created with a key
    _post({"title": "Buy milk"})
    # WHEN the key is reused for another title
    response = _post({"title": "Buy bread"})
    # THEN the request is refused in the error shape and nothing else is created
    assert response.status == 422
    assert response.json["code"] == "idempotency_key_reused"
    assert set(response.json) == {"code", "message"}
    assert len(fake_client.calls_to("create_todo")) == 1


def test_a_repeat_while_the_first_still_runs_gets_409_with_retry_after(
    fake_client: FakeTodoClient, store: Any
) -> None:
    # GIVEN a create that, while running, sees the same request arrive again
    inner: list[HttpResult] = []
    original = fake_client.create_todo

    def create_and_meanwhile_repeat(**arguments: Any) -> Any:
        inner.append(_post({"title": "Buy milk"}))
        return original(**arguments)

    fake_client.create_todo = create_and_meanwhile_repeat  # type: ignore[method-assign]
    # WHEN the first request completes
    first = _post({"title": "Buy milk"})
    # THEN the repeat was told the key is in use, and to retry; the first created the todo
    assert first.status == 201
    assert [r.status for r in inner] == [409]
    assert inner[0].json["code"] == "idempotency_key_in_use"
    assert inner[0].headers["Retry-After"] == "1"
    # AND a retry after completion gets the first answer
    assert _post({"title": "Buy milk"}).json == first.json


def test_keys_are_scoped_to_the_caller(fake_client: FakeTodoClient, store: Any) -> None:
    mine = _post({"title": "Buy milk"})
    theirs = _post({"title": "Buy milk"}, sub=OTHER_SUB)
    assert (mine.status, theirs.status) == (201, 201)
    assert mine.json["id"] != theirs.json["id"]
    assert theirs.json["owner"] == OTHER_SUB


def test_requests_without_a_key_are_never_collapsed(
    fake_client: FakeTodoClient, store: Any
) -> None:
    answers = [_post({"title": "Buy milk"}, key=None) for _ in range(3)]
    assert [a.status for a in answers] == [201, 201, 201]
    assert len({a.json["id"] for a in answers}) == 3
    assert store.scan(TableName=TABLE)["Count"] == 0


def test_a_failed_create_releases_the_key_for_the_retry(
    fake_client: FakeTodoClient, store: Any
) -> None:
    # GIVEN the data layer is unavailable for the first attempt
    fake_client.fail_with = UpstreamUnavailable()
    failed = _post({"title": "Buy milk"})
    # WHEN it recovers and the client retries with the same key
    fake_client.fail_with = None
    retried = _post({"title": "Buy milk"})
    # THEN the retry creates the todo (the failure was not stored as the answer)
    assert failed.status == 503
    assert retried.status == 201
    assert retried.json["title"] == "Buy milk"


def test_records_carry_an_expiry_for_dynamodb_ttl(fake_client: FakeTodoClient, store: Any) -> None:
    _post({"title": "Buy milk"})
    (item,) = store.scan(TableName=TABLE)["Items"]
    assert item["status"] == {"S": "COMPLETED"}
    assert int(item["expiration"]["N"]) > 0
    assert KEY not in json.dumps(item)  # the key is stored hashed, with the caller


@pytest.mark.parametrize("key", ["", '"unterminated', "has space", "x" * 256, '"a\\b"'])
def test_a_malformed_key_is_a_400_naming_the_header(
    fake_client: FakeTodoClient, store: Any, key: str
) -> None:
    response = _post({"title": "Buy milk"}, key=key)
    assert response.status == 400
    assert response.json["details"][0]["field"] == "Idempotency-Key"
    assert fake_client.calls_to("create_todo") == []


def test_an_unreachable_store_answers_503_without_creating(fake_client: FakeTodoClient) -> None:
    # GIVEN a store whose table does not exist (as when the role lacks access or DynamoDB fails)
    with mock_aws():
        handler.use_idempotent_creates(
            IdempotentCreates(lambda: dynamodb_store("missing", REGION), expires_after_seconds=3600)
        )
        try:
            response = _post({"title": "Buy milk"})
        finally:
            handler.use_idempotent_creates(None)
    assert response.status == 503
    assert response.headers["Retry-After"] == "1"
    assert fake_client.calls_to("create_todo") == []

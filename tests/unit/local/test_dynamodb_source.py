"""The AMAZON_DYNAMODB data source executor against an in-process moto DynamoDB."""

import base64
import threading
import time

import pytest

from local.appsync.dynamodb import DynamoDbSource, UnsupportedRequest

TABLE = "Todos"


@pytest.fixture
def source(todo_table_client):
    return DynamoDbSource(todo_table_client, TABLE)


def put(source, todo_id, owner="o", created="2024-01-01T00:00:00.000Z", version=1, **extra):
    values = {"owner": {"S": owner}, "createdAt": {"S": created}, "version": {"N": version}}
    values.update(extra)
    request = {"operation": "PutItem", "key": {"id": {"S": todo_id}}, "attributeValues": values}
    return source.execute(request)


def get(source, todo_id):
    return source.execute({"operation": "GetItem", "key": {"id": {"S": todo_id}}})


def test_put_then_get_returns_plain_json(source):
    # GIVEN an item with every common attribute type
    result, error = put(
        source,
        "1",
        title={"S": "t"},
        done={"BOOL": True},
        ratio={"N": "0.5"},
        gone={"NULL": True},
        tags={"L": [{"S": "a"}, {"N": 2}]},
        meta={"M": {"k": {"S": "v"}}},
    )
    assert error is None
    # WHEN it is read back
    item, error = get(source, "1")
    # THEN it comes back as plain JSON with numbers as numbers, like AppSync's ctx.result
    assert error is None
    assert item == result
    assert item == {
        "id": "1",
        "owner": "o",
        "createdAt": "2024-01-01T00:00:00.000Z",
        "version": 1,
        "title": "t",
        "done": True,
        "ratio": 0.5,
        "gone": None,
        "tags": ["a", 2],
        "meta": {"k": "v"},
    }


def test_get_of_a_missing_key_is_none(source):
    assert get(source, "nope") == (None, None)


def test_conditional_put_on_an_existing_key_reports_appsync_error_type(source):
    # GIVEN an existing item
    put(source, "1")
    # WHEN it is put again with attribute_not_exists(id)
    request = {
        "operation": "PutItem",
        "key": {"id": {"S": "1"}},
        "attributeValues": {"owner": {"S": "x"}},
        "condition": {"expression": "attribute_not_exists(id)"},
    }
    result, error = source.execute(request)
    # THEN ctx.error carries DynamoDB's code with AppSync's prefix, ctx.result the current
    # item, and nothing changed
    assert result["owner"] == "o"
    assert error["type"] == "DynamoDB:ConditionalCheckFailedException"
    assert error["message"]
    assert get(source, "1")[0]["owner"] == "o"


def update_version(source, todo_id, expected):
    return source.execute(
        {
            "operation": "UpdateItem",
            "key": {"id": {"S": todo_id}},
            "update": {
                "expression": "SET #v = #v + :one",
                "expressionNames": {"#v": "version"},
                "expressionValues": {":one": {"N": 1}},
            },
            "condition": {
                "expression": "#v = :expected",
                "expressionNames": {"#v": "version"},
                "expressionValues": {":expected": {"N": expected}},
            },
        }
    )


def test_update_returns_the_new_item(source):
    put(source, "1")
    result, error = update_version(source, "1", 1)
    assert error is None
    assert result["version"] == 2


def test_update_with_a_failing_condition_is_a_conditional_check_error(source):
    put(source, "1", version=3)
    result, error = update_version(source, "1", 1)
    assert result["version"] == 3  # the current item, as AppSync returns it with the error
    assert error["type"] == "DynamoDB:ConditionalCheckFailedException"
    assert get(source, "1")[0]["version"] == 3


def test_delete_returns_the_old_item(source):
    put(source, "1")
    result, error = source.execute({"operation": "DeleteItem", "key": {"id": {"S": "1"}}})
    assert error is None
    assert result["id"] == "1"
    assert get(source, "1") == (None, None)


class SlowClient:
    """A stand-in client that records how many writes are in flight at once."""

    def __init__(self):
        self.in_flight = 0
        self.most_in_flight = 0
        self._count_lock = threading.Lock()

    def update_item(self, **params):
        with self._count_lock:
            self.in_flight += 1
            self.most_in_flight = max(self.most_in_flight, self.in_flight)
        time.sleep(0.02)
        with self._count_lock:
            self.in_flight -= 1
        return {"Attributes": {"id": {"S": "1"}}}


def test_writes_are_serialized_so_conditional_writes_stay_atomic():
    # GIVEN 8 threads writing through two data sources at the same moment
    client = SlowClient()
    sources = [DynamoDbSource(client, TABLE), DynamoDbSource(client, "Other")]
    barrier = threading.Barrier(8)

    def writer(n):
        barrier.wait()
        sources[n % 2].execute(
            {
                "operation": "UpdateItem",
                "key": {"id": {"S": "1"}},
                "update": {"expression": "SET a = :a", "expressionValues": {":a": {"N": n}}},
            }
        )

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    # THEN no two writes were ever in flight together (one process-wide lock)
    assert client.most_in_flight == 1


def query_page(source, owner, limit, token=None):
    return source.execute(
        {
            "operation": "Query",
            "index": "byOwner",
            "query": {
                "expression": "#o = :o",
                "expressionNames": {"#o": "owner"},
                "expressionValues": {":o": {"S": owner}},
            },
            "scanIndexForward": False,
            "limit": limit,
            "nextToken": token,
        }
    )


def test_query_on_index_pages_cover_every_item_once_newest_first(source):
    # GIVEN 7 items of owner "a" and 3 of owner "b"
    for n in range(7):
        put(source, f"a{n}", owner="a", created=f"2024-01-01T00:00:0{n}.000Z")
    for n in range(3):
        put(source, f"b{n}", owner="b")
    # WHEN owner "a" is queried 3 at a time, following nextToken
    seen, token, sizes = [], None, []
    while True:
        page, error = query_page(source, "a", 3, token)
        assert error is None
        sizes.append(len(page["items"]))
        seen += [item["id"] for item in page["items"]]
        token = page["nextToken"]
        if token is None:
            break
    # THEN every item of "a" came exactly once, newest first, in pages of at most 3
    assert seen == [f"a{n}" for n in reversed(range(7))]
    assert sizes == [3, 3, 1]


def test_next_token_is_an_opaque_string(source):
    for n in range(3):
        put(source, f"a{n}", owner="a", created=f"2024-01-01T00:00:0{n}.000Z")
    page, _ = query_page(source, "a", 1)
    assert isinstance(page["nextToken"], str)
    assert page["scannedCount"] == 1


def test_a_token_not_issued_here_is_an_error(source):
    result, error = query_page(source, "a", 1, token="not-a-token")
    assert result is None
    assert error["type"] == "DynamoDB:UserIllegalArgumentException"  # as AppSync reports it


def test_scan_pages_cover_the_table(source):
    for n in range(5):
        put(source, f"x{n}")
    ids, token = [], None
    while True:
        page, _ = source.execute({"operation": "Scan", "limit": 2, "nextToken": token})
        ids += [item["id"] for item in page["items"]]
        token = page["nextToken"]
        if token is None:
            break
    assert sorted(ids) == [f"x{n}" for n in range(5)]


def test_scan_filter_applies(source):
    put(source, "1", owner="a")
    put(source, "2", owner="b")
    page, _ = source.execute(
        {
            "operation": "Scan",
            "filter": {
                "expression": "#o = :o",
                "expressionNames": {"#o": "owner"},
                "expressionValues": {":o": {"S": "b"}},
            },
        }
    )
    assert [item["id"] for item in page["items"]] == ["2"]


@pytest.mark.parametrize(
    "request_object",
    [
        {"operation": "BatchGetItem", "tables": {}},
        {"operation": "GetItem"},
        {"operation": "GetItem", "key": {"id": {"S": "1"}}, "version": "2018-05-29"},
        {
            "operation": "PutItem",
            "key": {"id": {"S": "1"}},
            "condition": {"expression": "attribute_not_exists(id)", "retries": 2},
        },
        {"operation": "PutItem", "key": {"id": {"X": "1"}}},
    ],
)
def test_requests_outside_the_emulation_fail_loudly(source, request_object):
    with pytest.raises(UnsupportedRequest):
        source.execute(request_object)


def test_a_well_formed_token_this_run_did_not_sign_is_an_error(source):
    # GIVEN a token that decodes to a plausible start key but was made up by a client
    forged = base64.urlsafe_b64encode(b'{"id":{"S":"x"},"owner":{"S":"y"}}').decode()
    # WHEN it is used to continue a query
    result, error = query_page(source, "a", 1, token=forged)
    # THEN it is refused like any token the API did not issue
    assert result is None
    assert error["type"] == "DynamoDB:UserIllegalArgumentException"


def test_a_token_with_its_key_altered_is_an_error(source):
    for n in range(3):
        put(source, f"a{n}", owner="a", created=f"2024-01-01T00:00:0{n}.000Z")
    page, _ = query_page(source, "a", 1)
    encoded, mac = page["nextToken"].rsplit(".", 1)
    key = base64.urlsafe_b64decode(encoded).replace(b'"a', b'"b')
    tampered = f"{base64.urlsafe_b64encode(key).decode()}.{mac}"
    result, error = query_page(source, "a", 1, token=tampered)
    assert result is None
    assert error["type"] == "DynamoDB:UserIllegalArgumentException"


# AppSync developer guide, "Condition expressions" (JavaScript resolver reference for DynamoDB),
# section "Handling a condition check failure":
# https://docs.aws.amazon.com/appsync/latest/devguide/js-aws-appsync-resolver-reference-dynamodb-condition-expressions.html


def put_if_absent(source, todo_id, condition_extra=None, **values):
    condition = {"expression": "attribute_not_exists(id)", **(condition_extra or {})}
    attributes = {name: {"S": value} for name, value in values.items()}
    return source.execute(
        {
            "operation": "PutItem",
            "key": {"id": {"S": todo_id}},
            "attributeValues": attributes,
            "condition": condition,
        }
    )


def test_a_failed_put_whose_item_already_is_the_desired_one_succeeds(source):
    """AppSync treats the write as a success when the current value matches the desired
    result (e.g. a client retrying a put that already happened)."""
    # GIVEN the item a conditional put wants is already stored
    put_if_absent(source, "1", owner="o", title="t")
    # WHEN the same put is retried (its condition now fails)
    result, error = put_if_absent(source, "1", owner="o", title="t")
    # THEN it counts as done, with the stored item as the result
    assert error is None
    assert result == {"id": "1", "owner": "o", "title": "t"}


def test_equals_ignore_leaves_attributes_out_of_the_comparison(source):
    """equalsIgnore: attributes ignored when comparing the current and the desired item."""
    put_if_absent(source, "1", owner="o", stamp="first")
    result, error = put_if_absent(source, "1", {"equalsIgnore": ["stamp"]}, owner="o", stamp="2nd")
    assert error is None
    assert result["stamp"] == "first"  # nothing was written


def test_a_failed_put_with_another_item_stored_is_rejected(source):
    put_if_absent(source, "1", owner="o")
    result, error = put_if_absent(source, "1", owner="someone else")
    assert error["type"] == "DynamoDB:ConditionalCheckFailedException"
    assert result == {"id": "1", "owner": "o"}


def test_a_conditional_delete_of_an_item_already_gone_is_a_success(source):
    """DeleteItem's desired result is that the item does not exist."""
    # GIVEN no item with this key
    # WHEN a delete conditioned on the item existing runs
    result, error = source.execute(
        {
            "operation": "DeleteItem",
            "key": {"id": {"S": "gone"}},
            "condition": {"expression": "attribute_exists(id)"},
        }
    )
    # THEN it is treated as done: no error and nothing to return
    assert (result, error) == (None, None)


def test_a_custom_condition_failure_handler_is_refused_clearly(source):
    put_if_absent(source, "1", owner="o")
    handler = {"conditionalCheckFailedHandler": {"strategy": "Custom", "lambdaArn": "arn:x"}}
    with pytest.raises(UnsupportedRequest, match="Custom"):
        put_if_absent(source, "1", handler, owner="other")


def test_a_page_that_fills_exactly_at_the_limit_has_a_next_token(source):
    """DynamoDB returns LastEvaluatedKey whenever a Query or Scan stops at Limit, even if no
    item is left (DynamoDB API reference, Query: "LastEvaluatedKey"); the next page is empty."""
    for n in range(3):
        put(source, str(n), created=f"2024-01-0{n + 1}T00:00:00.000Z")
    query = {
        "operation": "Query",
        "index": "byOwner",
        "query": {
            "expression": "#o = :o",
            "expressionNames": {"#o": "owner"},
            "expressionValues": {":o": {"S": "o"}},
        },
        "limit": 3,
    }
    first, error = source.execute(query)
    assert error is None and len(first["items"]) == 3
    assert first["nextToken"] is not None
    last, error = source.execute({**query, "nextToken": first["nextToken"]})
    assert error is None
    assert (last["items"], last["nextToken"]) == ([], None)


def test_a_scan_that_fills_exactly_at_the_limit_has_a_next_token(source):
    for n in range(2):
        put(source, str(n))
    page, _ = source.execute({"operation": "Scan", "limit": 2})
    assert page["nextToken"] is not None


# Batch and transaction operations: AppSync's JavaScript resolver reference for DynamoDB,
# pages "BatchGetItem", "BatchPutItem", "BatchDeleteItem", "TransactGetItems" and
# "TransactWriteItems" (https://docs.aws.amazon.com/appsync/latest/devguide/js-resolver-reference-dynamodb.html).

OTHER = "Notes"


@pytest.fixture
def two_tables(source):
    client = source._client
    client.create_table(
        TableName=OTHER,
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )
    return source


def test_batch_put_then_batch_get_across_two_tables_keeps_key_order(two_tables):
    source = two_tables
    # GIVEN items put into two tables in one request
    put_result, error = source.execute(
        {
            "operation": "BatchPutItem",
            "tables": {
                TABLE: [{"id": {"S": "a"}, "owner": {"S": "o"}, "createdAt": {"S": "1"}}],
                OTHER: [{"pk": {"S": "n1"}, "text": {"S": "hi"}}],
            },
        }
    )
    assert error is None
    assert put_result["data"][OTHER] == [{"pk": "n1", "text": "hi"}]
    assert put_result["unprocessedItems"] == {TABLE: [], OTHER: []}
    # WHEN they are read back with a missing key in between
    result, error = source.execute(
        {
            "operation": "BatchGetItem",
            "tables": {
                TABLE: {"keys": [{"id": {"S": "missing"}}, {"id": {"S": "a"}}]},
                OTHER: {"keys": [{"pk": {"S": "n1"}}], "consistentRead": True},
            },
        }
    )
    # THEN data lists one entry per key, in order, null where nothing is stored
    assert error is None
    assert result["data"][TABLE] == [None, {"id": "a", "owner": "o", "createdAt": "1"}]
    assert result["data"][OTHER] == [{"pk": "n1", "text": "hi"}]
    assert result["unprocessedKeys"] == {TABLE: [], OTHER: []}


def test_batch_delete_returns_the_deleted_keys(two_tables):
    source = two_tables
    put(source, "1")
    result, error = source.execute(
        {"operation": "BatchDeleteItem", "tables": {TABLE: [{"id": {"S": "1"}}]}}
    )
    assert error is None
    assert result == {"data": {TABLE: [{"id": "1"}]}, "unprocessedKeys": {TABLE: []}}
    assert get(source, "1") == (None, None)


def test_transact_write_then_transact_get(two_tables):
    source = two_tables
    put(source, "1", version=1)
    result, error = source.execute(
        {
            "operation": "TransactWriteItems",
            "transactItems": [
                {
                    "table": OTHER,
                    "operation": "PutItem",
                    "key": {"pk": {"S": "n"}},
                    "attributeValues": {"text": {"S": "t"}},
                },
                {
                    "table": TABLE,
                    "operation": "UpdateItem",
                    "key": {"id": {"S": "1"}},
                    "update": {
                        "expression": "SET #v = :two",
                        "expressionNames": {"#v": "version"},
                        "expressionValues": {":two": {"N": 2}},
                    },
                },
            ],
        }
    )
    assert error is None
    assert result == {"keys": [{"pk": "n"}, {"id": "1"}], "cancellationReasons": None}
    got, error = source.execute(
        {
            "operation": "TransactGetItems",
            "transactItems": [
                {"table": TABLE, "key": {"id": {"S": "1"}}},
                {"table": OTHER, "key": {"pk": {"S": "none"}}},
            ],
        }
    )
    assert error is None
    assert got["items"][0]["version"] == 2
    assert got["items"][1] is None


def test_a_cancelled_transaction_reports_reasons_and_changes_nothing(two_tables):
    source = two_tables
    put(source, "1", version=1)
    result, error = source.execute(
        {
            "operation": "TransactWriteItems",
            "transactItems": [
                {
                    "table": OTHER,
                    "operation": "PutItem",
                    "key": {"pk": {"S": "n"}},
                    "attributeValues": {},
                },
                {
                    "table": TABLE,
                    "operation": "ConditionCheck",
                    "key": {"id": {"S": "1"}},
                    "condition": {
                        "expression": "#v = :nine",
                        "expressionNames": {"#v": "version"},
                        "expressionValues": {":nine": {"N": 9}},
                    },
                },
            ],
        }
    )
    assert error["type"] == "DynamoDB:TransactionCanceledException"
    assert [r["type"] for r in result["cancellationReasons"]] == ["None", "ConditionalCheckFailed"]
    assert source._client.get_item(TableName=OTHER, Key={"pk": {"S": "n"}}).get("Item") is None


def owner_query(owner, **extra):
    return {
        "operation": "Query",
        "index": "byOwner",
        "query": {
            "expression": "#o = :o",
            "expressionNames": {"#o": "owner"},
            "expressionValues": {":o": {"S": owner}},
        },
        **extra,
    }


def test_a_next_token_only_continues_the_query_that_issued_it(source):
    """AppSync refuses a nextToken it did not issue for this request (the error the function
    maps to 400); locally a token is bound to its table, index, key condition and filter."""
    for n in range(3):
        put(source, f"a{n}", owner="alice", created=f"2024-0{n + 1}")
        put(source, f"b{n}", owner="bob", created=f"2024-0{n + 1}")
    first, _ = source.execute(owner_query("alice", limit=1))
    token = first["nextToken"]
    # WHEN the token continues the same query, it works
    _, error = source.execute(owner_query("alice", limit=1, nextToken=token))
    assert error is None
    # WHEN it is used for another owner's query, or for a scan, it is refused
    for other in (
        owner_query("bob", limit=1, nextToken=token),
        {"operation": "Scan", "nextToken": token},
    ):
        result, error = source.execute(other)
        assert result is None
        assert error["type"] == "DynamoDB:UserIllegalArgumentException"

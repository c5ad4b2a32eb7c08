"""Global secondary index reads see writes late when a delay is set, as on DynamoDB.

DynamoDB developer guide, "Using Global Secondary Indexes in DynamoDB", "Read consistency for
global secondary indexes": index reads are eventually consistent; changes to the table
propagate to the index within a fraction of a second under normal conditions.
"""

import time

import boto3
import pytest

from local.appsync.dynamodb import DynamoDbSource
from local.appsync.index_view import LaggingIndexes, view_region

TABLE = "Todos"
DELAY_MS = 150


@pytest.fixture
def client(todo_table_client):
    return todo_table_client


def lagging(client):
    view = boto3.client("dynamodb", region_name=view_region("us-east-1"))
    return LaggingIndexes(client, view, DELAY_MS)


def put(source, todo_id, title="t"):
    values = {"owner": {"S": "o"}, "createdAt": {"S": f"2024-{todo_id}"}, "title": {"S": title}}
    _, error = source.execute(
        {"operation": "PutItem", "key": {"id": {"S": todo_id}}, "attributeValues": values}
    )
    assert error is None


def by_owner(source):
    page, error = source.execute(
        {
            "operation": "Query",
            "index": "byOwner",
            "query": {
                "expression": "#o = :o",
                "expressionNames": {"#o": "owner"},
                "expressionValues": {":o": {"S": "o"}},
            },
        }
    )
    assert error is None
    return {item["id"]: item["title"] for item in page["items"]}


def wait_past_the_delay():
    time.sleep(DELAY_MS / 1000 + 0.05)


def test_a_new_item_reaches_the_index_only_after_the_delay(client):
    source = DynamoDbSource(client, TABLE, lagging(client))
    # GIVEN an item written through the data source
    put(source, "1")
    # THEN the table has it at once, the index not yet
    assert source.execute({"operation": "GetItem", "key": {"id": {"S": "1"}}})[0]["id"] == "1"
    assert by_owner(source) == {}
    # AND after the delay the index shows it
    wait_past_the_delay()
    assert by_owner(source) == {"1": "t"}


def test_updates_and_deletes_reach_the_index_late_too(client):
    source = DynamoDbSource(client, TABLE, lagging(client))
    put(source, "1", title="old")
    wait_past_the_delay()
    # WHEN the item changes and then goes
    put(source, "1", title="new")
    assert by_owner(source) == {"1": "old"}
    source.execute({"operation": "DeleteItem", "key": {"id": {"S": "1"}}})
    assert by_owner(source) == {"1": "old"}
    # THEN the index catches up with both, in order
    wait_past_the_delay()
    assert by_owner(source) == {}


def test_items_stored_before_the_view_existed_are_visible_at_once(client):
    # GIVEN an item already in the table (e.g. restored state), written around the data source
    client.put_item(
        TableName=TABLE,
        Item={"id": {"S": "0"}, "owner": {"S": "o"}, "createdAt": {"S": "x"}, "title": {"S": "a"}},
    )
    # WHEN the lagging view is first used
    source = DynamoDbSource(client, TABLE, lagging(client))
    # THEN the existing item is there
    assert by_owner(source) == {"0": "a"}


def test_without_a_delay_index_reads_see_writes_at_once(client):
    source = DynamoDbSource(client, TABLE)
    put(source, "1")
    assert by_owner(source) == {"1": "t"}


def test_the_copy_is_out_of_sight_of_the_stacks_table_list(client):
    source = DynamoDbSource(client, TABLE, lagging(client))
    put(source, "1")
    assert client.list_tables()["TableNames"] == [TABLE]


def test_the_index_copy_keeps_attribute_types(client):
    """What reaches the index is the item as written: a binary attribute stays binary."""
    source = DynamoDbSource(client, TABLE, lagging(client))
    values = {
        "owner": {"S": "o"},
        "createdAt": {"S": "2024-1"},
        "title": {"S": "t"},
        "blob": {"B": "aGk="},
    }
    source.execute({"operation": "PutItem", "key": {"id": {"S": "1"}}, "attributeValues": values})
    wait_past_the_delay()
    assert "1" in by_owner(source)  # an index read applies the writes that are due
    view = boto3.client("dynamodb", region_name=view_region("us-east-1"))
    stored = view.get_item(TableName=TABLE, Key={"id": {"S": "1"}})["Item"]
    assert stored["blob"] == {"B": b"hi"}

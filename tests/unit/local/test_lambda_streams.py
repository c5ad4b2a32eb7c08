"""DynamoDB stream records delivered to a function, against moto's DynamoDB Streams.

AWS Lambda developer guide, "Using AWS Lambda with Amazon DynamoDB" (the event: the records
of GetRecords plus eventSourceARN, in order, per shard; StartingPosition; batch size; a failed
batch is retried until it succeeds or MaximumRetryAttempts / MaximumRecordAgeInSeconds run
out; BisectBatchOnFunctionError) and "Configuring partial batch response with DynamoDB and
Lambda" (batchItemFailures[].itemIdentifier is a SequenceNumber; delivery resumes from the
lowest failed one; an empty itemIdentifier fails the whole batch).
"""

from __future__ import annotations

import asyncio
import base64
import secrets
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from local.aws.server import LocalAws
from local.awslambda.pool import InvocationError
from local.awslambda.streams import (
    StreamMapping,
    StreamPoller,
    check_stream_access,
)
from local.template import CannotEmulate

REGION = "ap-south-1"  # a region no other test module uses


@pytest.fixture(scope="module")
def aws() -> Iterator[LocalAws]:
    with LocalAws(REGION) as local:
        yield local


@pytest.fixture
def table(aws: LocalAws) -> tuple[str, str]:
    name = f"t-{secrets.token_hex(4)}"
    created = aws.client("dynamodb").create_table(
        TableName=name,
        KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
        StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"},
    )
    return name, created["TableDescription"]["LatestStreamArn"]


Handler = Callable[[dict[str, Any]], Any]


def run(
    aws: LocalAws,
    mapping: StreamMapping,
    handler: Handler,
    writes: Callable[[], None],
    until: Callable[[list[dict[str, Any]]], bool],
    before: Callable[[], None] = lambda: None,
) -> list[dict[str, Any]]:
    """Start a poller, make the writes, and collect the events the function got."""
    events: list[dict[str, Any]] = []

    async def invoke(event: dict[str, Any]) -> Any:
        events.append(event)
        return handler(event)

    async def main() -> None:
        before()
        poller = StreamPoller(
            mapping,
            aws.client("dynamodbstreams"),
            invoke,
            poll_interval_s=0.02,
            retry_delays_s=(0.01,),
        )
        await poller.start()
        try:
            await asyncio.to_thread(writes)
            await _wait(lambda: until(events))
        finally:
            await poller.close()

    asyncio.run(main())
    return events


async def _wait(condition: Callable[[], bool], timeout: float = 10.0) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while not condition():
        assert asyncio.get_running_loop().time() < deadline, "timed out"
        await asyncio.sleep(0.02)


def mapping_for(stream_arn: str, **options: Any) -> StreamMapping:
    return StreamMapping("OnChange", "Fn", stream_arn, options.pop("position", "LATEST"), **options)


def records(events: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [r for e in events for r in e["Records"]]


def test_changes_after_start_arrive_in_order_in_lambdas_event_shape(
    aws: LocalAws, table: tuple[str, str]
) -> None:
    name, stream_arn = table
    dynamodb = aws.client("dynamodb")

    def writes() -> None:
        dynamodb.put_item(TableName=name, Item={"id": {"S": "1"}, "blob": {"B": b"\x00\xff"}})
        dynamodb.update_item(
            TableName=name,
            Key={"id": {"S": "1"}},
            UpdateExpression="SET n = :n",
            ExpressionAttributeValues={":n": {"N": "2"}},
        )
        dynamodb.delete_item(TableName=name, Key={"id": {"S": "1"}})

    events = run(
        aws,
        mapping_for(stream_arn),
        lambda event: None,
        writes,
        until=lambda events: len(records(events)) == 3,
        # written before the poller starts: LATEST does not deliver it
        before=lambda: dynamodb.put_item(TableName=name, Item={"id": {"S": "0"}}),
    )
    got = records(events)
    assert [r["eventName"] for r in got] == ["INSERT", "MODIFY", "REMOVE"]
    first = got[0]
    assert first["eventSource"] == "aws:dynamodb" and first["eventVersion"] == "1.1"
    assert first["eventSourceARN"] == stream_arn and first["awsRegion"] == REGION
    assert first["dynamodb"]["Keys"] == {"id": {"S": "1"}}
    assert first["dynamodb"]["NewImage"]["blob"] == {"B": base64.b64encode(b"\x00\xff").decode()}
    assert isinstance(first["dynamodb"]["ApproximateCreationDateTime"], float)
    assert got[1]["dynamodb"]["OldImage"]["id"] == {"S": "1"}
    sequence = [int(r["dynamodb"]["SequenceNumber"]) for r in got]
    assert sequence == sorted(sequence)


def test_trim_horizon_starts_with_the_oldest_record(aws: LocalAws, table: tuple[str, str]) -> None:
    name, stream_arn = table
    dynamodb = aws.client("dynamodb")
    events = run(
        aws,
        mapping_for(stream_arn, position="TRIM_HORIZON"),
        lambda event: None,
        lambda: dynamodb.put_item(TableName=name, Item={"id": {"S": "after"}}),
        until=lambda events: len(records(events)) == 2,
        before=lambda: dynamodb.put_item(TableName=name, Item={"id": {"S": "before"}}),
    )
    assert [r["dynamodb"]["Keys"]["id"]["S"] for r in records(events)] == ["before", "after"]


def test_batches_hold_at_most_batch_size_records(aws: LocalAws, table: tuple[str, str]) -> None:
    name, stream_arn = table
    dynamodb = aws.client("dynamodb")

    def writes() -> None:
        for n in range(5):
            dynamodb.put_item(TableName=name, Item={"id": {"S": str(n)}})

    events = run(
        aws,
        mapping_for(stream_arn, batch_size=2, batching_window_s=0.5),
        lambda event: None,
        writes,
        until=lambda events: len(records(events)) == 5,
    )
    assert [len(e["Records"]) for e in events] == [2, 2, 1]


def test_filtered_out_records_are_dropped_not_retried(
    aws: LocalAws, table: tuple[str, str]
) -> None:
    name, stream_arn = table
    dynamodb = aws.client("dynamodb")

    def writes() -> None:
        dynamodb.put_item(TableName=name, Item={"id": {"S": "a"}})
        dynamodb.delete_item(TableName=name, Key={"id": {"S": "a"}})
        dynamodb.put_item(TableName=name, Item={"id": {"S": "b"}})

    only_inserts = ({"eventName": ["INSERT"]},)
    events = run(
        aws,
        mapping_for(stream_arn, filters=only_inserts),
        lambda event: None,
        writes,
        until=lambda events: any(r["dynamodb"]["Keys"]["id"]["S"] == "b" for r in records(events)),
    )
    assert [r["eventName"] for r in records(events)] == ["INSERT", "INSERT"]


def failing_first(times: int) -> Handler:
    calls = {"n": 0}

    def handler(event: dict[str, Any]) -> Any:
        calls["n"] += 1
        if calls["n"] <= times:
            raise InvocationError({"errorType": "Exception", "errorMessage": "try again"})
        return None

    return handler


def test_a_failed_batch_is_retried_whole_and_in_order(
    aws: LocalAws, table: tuple[str, str]
) -> None:
    name, stream_arn = table
    dynamodb = aws.client("dynamodb")

    def writes() -> None:
        dynamodb.put_item(TableName=name, Item={"id": {"S": "x"}})
        dynamodb.put_item(TableName=name, Item={"id": {"S": "y"}})

    events = run(
        aws,
        mapping_for(stream_arn, batching_window_s=0.3),
        failing_first(2),
        writes,
        until=lambda events: len(events) == 3,
    )
    keys = [[r["dynamodb"]["Keys"]["id"]["S"] for r in e["Records"]] for e in events]
    assert keys == [["x", "y"]] * 3


def test_records_are_discarded_after_maximum_retry_attempts(
    aws: LocalAws, table: tuple[str, str]
) -> None:
    name, stream_arn = table
    dynamodb = aws.client("dynamodb")

    def writes() -> None:
        dynamodb.put_item(TableName=name, Item={"id": {"S": "poison"}})

    def handler(event: dict[str, Any]) -> Any:
        if event["Records"][0]["dynamodb"]["Keys"]["id"]["S"] == "poison":
            raise InvocationError({"errorType": "Exception", "errorMessage": "bad record"})
        return None

    def later() -> None:
        writes()
        time.sleep(0.3)  # the poison record's attempts run meanwhile
        dynamodb.put_item(TableName=name, Item={"id": {"S": "next"}})

    events = run(
        aws,
        mapping_for(stream_arn, max_retry_attempts=1),
        handler,
        later,
        until=lambda events: any(
            r["dynamodb"]["Keys"]["id"]["S"] == "next" for r in records(events)
        ),
    )
    ids = [r["dynamodb"]["Keys"]["id"]["S"] for r in records(events)]
    assert ids == ["poison", "poison", "next"]  # the first attempt and one retry, then on


def test_a_partial_batch_response_resumes_from_the_first_failed_record(
    aws: LocalAws, table: tuple[str, str]
) -> None:
    name, stream_arn = table
    dynamodb = aws.client("dynamodb")

    def writes() -> None:
        for key in "abc":
            dynamodb.put_item(TableName=name, Item={"id": {"S": key}})

    def handler(event: dict[str, Any]) -> Any:
        if len(event["Records"]) == 3:  # the first delivery: b failed
            return {"batchItemFailures": [{"itemIdentifier": seq(event, 1)}]}
        return {"batchItemFailures": []}

    events = run(
        aws,
        mapping_for(stream_arn, batching_window_s=0.3, report_item_failures=True),
        handler,
        writes,
        until=lambda events: len(events) == 2,
    )
    keys = [[r["dynamodb"]["Keys"]["id"]["S"] for r in e["Records"]] for e in events]
    assert keys == [["a", "b", "c"], ["b", "c"]]


def test_a_malformed_partial_batch_response_fails_the_whole_batch(
    aws: LocalAws, table: tuple[str, str]
) -> None:
    name, stream_arn = table
    dynamodb = aws.client("dynamodb")
    answers = iter([{"batchItemFailures": [{"itemIdentifier": ""}]}, None])
    events = run(
        aws,
        mapping_for(stream_arn, report_item_failures=True),
        lambda event: next(answers),
        lambda: dynamodb.put_item(TableName=name, Item={"id": {"S": "m"}}),
        until=lambda events: len(events) == 2,
    )
    assert events[0]["Records"] == events[1]["Records"]


def test_bisect_splits_a_failing_batch(aws: LocalAws, table: tuple[str, str]) -> None:
    name, stream_arn = table
    dynamodb = aws.client("dynamodb")

    def writes() -> None:
        for key in "pq":
            dynamodb.put_item(TableName=name, Item={"id": {"S": key}})

    def handler(event: dict[str, Any]) -> Any:
        if len(event["Records"]) > 1:
            raise InvocationError({"errorType": "Exception", "errorMessage": "too many"})
        return None

    events = run(
        aws,
        mapping_for(stream_arn, batching_window_s=0.3, bisect_on_error=True),
        handler,
        writes,
        until=lambda events: len(events) == 3,
    )
    assert [len(e["Records"]) for e in events] == [2, 1, 1]


def seq(event: dict[str, Any], index: int) -> str:
    return str(event["Records"][index]["dynamodb"]["SequenceNumber"])


# The four actions an execution role needs on the stream: Amazon DynamoDB developer guide, "IAM
# policy to allow an AWS Lambda function to access DynamoDB stream records", and the managed
# policy AWSLambdaDynamoDBExecutionRole (DescribeStream, GetRecords, GetShardIterator,
# ListStreams).
def test_a_role_that_cannot_read_the_stream_is_refused_as_lambda_does() -> None:
    mapping = mapping_for("arn:aws:dynamodb:ap-south-1:123456789012:table/t/stream/x")

    def allowed(action: str, resource: str) -> bool:
        return action != "dynamodb:GetRecords"

    with pytest.raises(CannotEmulate, match=r"Cannot access stream .* GetRecords"):
        check_stream_access(mapping, "arn:aws:iam::123456789012:role/Fn", allowed)

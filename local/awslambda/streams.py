"""DynamoDB Streams event source mappings: a table's changes delivered to a function.

`AWS::Lambda::EventSourceMapping` with a DynamoDB stream ARN, as the AWS Lambda developer
guide describes it ("Using AWS Lambda with Amazon DynamoDB", "Lambda event filtering",
"Configuring partial batch response"):
- Lambda polls the stream's shard and invokes the function synchronously with
  `{"Records": [...]}`: each record as DynamoDB Streams' GetRecords returns it, plus
  `eventSourceARN`, with `ApproximateCreationDateTime` in epoch seconds;
- up to `BatchSize` records (default 100) per invocation, waiting up to
  `MaximumBatchingWindowInSeconds` to fill a batch; `StartingPosition` LATEST or TRIM_HORIZON;
- `FilterCriteria` drops records no pattern matches (filtering.py);
- a function error retries the batch, in order, until it succeeds, `MaximumRetryAttempts` is
  used up or the records are older than `MaximumRecordAgeInSeconds` (both -1, infinite, by
  default: a failing record holds its shard back, as on AWS); `BisectBatchOnFunctionError`
  splits a failing batch in two; with `FunctionResponseTypes: [ReportBatchItemFailures]` the
  function names the failed records (`batchItemFailures[].itemIdentifier`, a SequenceNumber)
  and delivery resumes from the first of them.
Lambda refuses a mapping whose execution role cannot read the stream; so does the runner.
"""

from __future__ import annotations

import asyncio
import base64
import logging
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from local.awslambda.filtering import PatternError, parse_filters, passes
from local.awslambda.pool import InvocationError
from local.template import Assembly, CannotEmulate, Resolver

log = logging.getLogger("local.lambda.streams")

MAPPING = "AWS::Lambda::EventSourceMapping"
USED = frozenset(
    {
        "FunctionName",
        "EventSourceArn",
        "StartingPosition",
        "BatchSize",
        "MaximumBatchingWindowInSeconds",
        "Enabled",
        "FilterCriteria",
        "MaximumRetryAttempts",
        "MaximumRecordAgeInSeconds",
        "BisectBatchOnFunctionError",
        "FunctionResponseTypes",
    }
)
IGNORED = {
    "ParallelizationFactor": "one batch at a time per shard locally, in order",
    "Tags": "no effect on behaviour",
    "MetricsConfig": "no metrics locally",
    "KmsKeyArn": "filter criteria are not encrypted locally",
}
# What the execution role must be allowed on the stream (CreateEventSourceMapping refuses
# otherwise, naming these four actions).
STREAM_READ_ACTIONS = (
    "dynamodb:GetRecords",
    "dynamodb:GetShardIterator",
    "dynamodb:DescribeStream",
    "dynamodb:ListStreams",
)
MAX_BATCH_SIZE = 10_000  # DynamoDB Streams (Lambda API reference, CreateEventSourceMapping)
POLL_INTERVAL_S = 0.25  # Lambda polls each shard about four times a second
RETRY_DELAYS_S = (0.5, 1.0, 2.0, 4.0, 8.0)


@dataclass(frozen=True)
class StreamMapping:
    logical_id: str
    function_id: str
    stream_arn: str
    starting_position: str  # LATEST or TRIM_HORIZON
    batch_size: int = 100
    batching_window_s: float = 0.0
    filters: tuple[dict[str, Any], ...] = ()
    max_retry_attempts: int = -1
    max_record_age_s: int = -1
    bisect_on_error: bool = False
    report_item_failures: bool = False


def read_stream_mappings(
    assembly: Assembly,
    resolver: Resolver,
    function_ids: Mapping[str, str],
    stream_arns: frozenset[str],
) -> list[StreamMapping]:
    """The template's enabled event source mappings; CannotEmulate for what cannot run.

    `function_ids` maps each function's name and ARN to its logical id; `stream_arns` are the
    stream ARNs of the template's tables.
    """
    mappings = []
    for logical_id, resource in sorted(assembly.resources(MAPPING).items()):
        raw = resource.get("Properties", {})
        unknown = set(raw) - USED - set(IGNORED)
        if unknown:
            raise CannotEmulate(
                f"{logical_id} ({MAPPING}): cannot emulate {', '.join(sorted(unknown))}"
            )
        props = resolver.resolve({k: v for k, v in raw.items() if k in USED}, logical_id)
        if props.get("Enabled", True) is False:
            log.info("%s is disabled: its records are not delivered", logical_id)
            continue
        mappings.append(_mapping(logical_id, props, function_ids, stream_arns))
    return mappings


def _mapping(
    logical_id: str,
    props: Mapping[str, Any],
    function_ids: Mapping[str, str],
    stream_arns: frozenset[str],
) -> StreamMapping:
    source = str(props.get("EventSourceArn", ""))
    if source not in stream_arns:
        raise CannotEmulate(
            f"{logical_id}.EventSourceArn: {source or 'none'} is not the stream of a table of "
            "this stack (only DynamoDB streams are emulated)"
        )
    function_id = function_ids.get(str(props.get("FunctionName", "")))
    if function_id is None:
        raise CannotEmulate(
            f"{logical_id}.FunctionName: {props.get('FunctionName')} is not a function of this "
            "stack (aliases, versions and other stacks are not emulated)"
        )
    position = props.get("StartingPosition")
    if position not in ("LATEST", "TRIM_HORIZON"):
        raise CannotEmulate(
            f"{logical_id}.StartingPosition: DynamoDB streams take LATEST or TRIM_HORIZON, "
            f"not {position!r}"
        )
    batch_size = int(props.get("BatchSize", 100))
    if not 1 <= batch_size <= MAX_BATCH_SIZE:
        raise CannotEmulate(f"{logical_id}.BatchSize: {batch_size} is not in 1..{MAX_BATCH_SIZE}")
    responses = props.get("FunctionResponseTypes", [])
    if any(kind != "ReportBatchItemFailures" for kind in responses):
        raise CannotEmulate(f"{logical_id}.FunctionResponseTypes: {responses} is not emulated")
    try:
        filters = parse_filters(props.get("FilterCriteria"))
    except PatternError as error:
        raise CannotEmulate(f"{logical_id}.FilterCriteria: {error}") from None
    return StreamMapping(
        logical_id=logical_id,
        function_id=function_id,
        stream_arn=source,
        starting_position=str(position),
        batch_size=batch_size,
        batching_window_s=float(props.get("MaximumBatchingWindowInSeconds", 0)),
        filters=filters,
        max_retry_attempts=int(props.get("MaximumRetryAttempts", -1)),
        max_record_age_s=int(props.get("MaximumRecordAgeInSeconds", -1)),
        bisect_on_error=bool(props.get("BisectBatchOnFunctionError", False)),
        report_item_failures="ReportBatchItemFailures" in responses,
    )


def check_stream_access(
    mapping: StreamMapping, role_arn: str, allowed: Callable[[str, str], bool]
) -> None:
    """Refuse a mapping whose function's role cannot read the stream, as Lambda does."""
    if not all(allowed(action, mapping.stream_arn) for action in STREAM_READ_ACTIONS):
        raise CannotEmulate(
            f"{mapping.logical_id}: Cannot access stream {mapping.stream_arn}. Please ensure the "
            "role can perform the GetRecords, GetShardIterator, DescribeStream, and ListStreams "
            f"Actions on your stream in IAM. (role {role_arn})"
        )


Invoke = Callable[[Any], Awaitable[Any]]


class StreamPoller:
    """Reads one mapping's stream and delivers its records, until closed."""

    def __init__(
        self,
        mapping: StreamMapping,
        streams: Any,  # a dynamodbstreams client for the local moto
        invoke: Invoke,
        *,
        poll_interval_s: float = POLL_INTERVAL_S,
        retry_delays_s: tuple[float, ...] = RETRY_DELAYS_S,
    ) -> None:
        self.mapping = mapping
        self._streams = streams
        self._invoke = invoke
        self._poll_interval_s = poll_interval_s
        self._retry_delays_s = retry_delays_s
        self._iterator: str | None = None
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        """Take the shard iterator now, so LATEST means from start-up on."""
        self._iterator = await asyncio.to_thread(self._first_iterator)
        self._task = asyncio.create_task(self._run(), name=self.mapping.logical_id)

    async def close(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)

    def _first_iterator(self) -> str:
        description = self._streams.describe_stream(StreamArn=self.mapping.stream_arn)
        shards = description["StreamDescription"]["Shards"]
        iterator = self._streams.get_shard_iterator(
            StreamArn=self.mapping.stream_arn,
            ShardId=shards[-1]["ShardId"],
            ShardIteratorType=self.mapping.starting_position,
        )
        return str(iterator["ShardIterator"])

    async def _run(self) -> None:
        while True:
            try:
                batch = await self._next_batch()
                delivered = [r for r in batch if passes(self.mapping.filters, r)]
                if delivered:
                    await self._deliver(delivered)
            except asyncio.CancelledError:
                raise
            except Exception:  # the runner's own failure: say so, keep the mapping alive
                log.exception("%s: reading the stream failed", self.mapping.logical_id)
                await asyncio.sleep(self._retry_delays_s[-1])

    async def _next_batch(self) -> list[dict[str, Any]]:
        records: list[dict[str, Any]] = []
        first_at = 0.0
        while len(records) < self.mapping.batch_size:
            wanted = self.mapping.batch_size - len(records)
            got = await asyncio.to_thread(self._get_records, wanted)
            if got and not records:
                first_at = time.monotonic()
            records.extend(got)
            window_over = time.monotonic() - first_at >= self.mapping.batching_window_s
            if records and window_over:
                break
            if not got:
                await asyncio.sleep(self._poll_interval_s)
        return records

    def _get_records(self, limit: int) -> list[dict[str, Any]]:
        answer = self._streams.get_records(ShardIterator=self._iterator, Limit=min(limit, 1000))
        self._iterator = answer.get("NextShardIterator") or self._iterator
        return [self._event_record(record) for record in answer["Records"]]

    def _event_record(self, record: dict[str, Any]) -> dict[str, Any]:
        event: dict[str, Any] = _as_json(record)  # a new dict: no copy needed
        event["eventVersion"] = "1.1"
        event["eventSourceARN"] = self.mapping.stream_arn
        # moto writes us-east-1 into every record; the table's region is the stream ARN's
        event["awsRegion"] = self.mapping.stream_arn.split(":")[3]
        return event

    async def _deliver(self, records: list[dict[str, Any]]) -> None:
        """Invoke until the batch succeeds or its retries are used up; never raises."""
        pending, attempt = records, 0
        while pending:
            failed_from = await self._attempt(pending)
            if failed_from is None:
                return
            if self.mapping.bisect_on_error and failed_from == 0 and len(pending) > 1:
                middle = len(pending) // 2  # splitting does not count as a retry
                await self._deliver(pending[:middle])
                await self._deliver(pending[middle:])
                return
            pending = self._unexpired(pending[failed_from:])
            attempt += 1
            if 0 <= self.mapping.max_retry_attempts < attempt:
                log.warning(
                    "%s: discarding %d records after %d retries",
                    self.mapping.logical_id,
                    len(pending),
                    self.mapping.max_retry_attempts,
                )
                return
            if pending:
                delay = self._retry_delays_s[min(attempt, len(self._retry_delays_s)) - 1]
                log.info(
                    "%s: retrying %d records (retry %d) in %.1f s; the shard waits, as on AWS",
                    self.mapping.logical_id,
                    len(pending),
                    attempt,
                    delay,
                )
                await asyncio.sleep(delay)

    async def _attempt(self, records: list[dict[str, Any]]) -> int | None:
        """None if the batch succeeded, else the index to resume from."""
        try:
            result = await self._invoke({"Records": records})
        except InvocationError as error:
            log.info("%s: the function failed: %s", self.mapping.logical_id, error)
            return 0
        if not self.mapping.report_item_failures:
            return None
        return _first_failure(result, records)

    def _unexpired(self, records: list[dict[str, Any]]) -> list[dict[str, Any]]:
        if self.mapping.max_record_age_s < 0:
            return records
        oldest = time.time() - self.mapping.max_record_age_s
        kept = [r for r in records if r["dynamodb"].get("ApproximateCreationDateTime", 0) >= oldest]
        if len(kept) < len(records):
            log.warning(
                "%s: discarding %d records older than %d s",
                self.mapping.logical_id,
                len(records) - len(kept),
                self.mapping.max_record_age_s,
            )
        return kept


def _first_failure(result: Any, records: list[dict[str, Any]]) -> int | None:
    """Where a partial batch response says to resume; 0 (all failed) if it is malformed."""
    if result is None or result == {} or result == "":
        return None
    if not isinstance(result, Mapping):
        return 0
    failures = result.get("batchItemFailures")
    if failures is None or failures == []:
        return None
    sequence = [r["dynamodb"]["SequenceNumber"] for r in records]
    positions = []
    for failure in failures if isinstance(failures, list) else [None]:
        identifier = failure.get("itemIdentifier") if isinstance(failure, Mapping) else None
        if not identifier or identifier not in sequence:
            return 0
        positions.append(sequence.index(identifier))
    return min(positions)


def _as_json(value: Any) -> Any:
    """A record as GetRecords' JSON has it: binary as base64, times as epoch seconds."""
    if isinstance(value, dict):
        return {k: _as_json(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_as_json(v) for v in value]
    if isinstance(value, bytes):
        return base64.b64encode(value).decode()
    if isinstance(value, datetime):
        return float(int(value.timestamp()))  # "rounded down to the closest second"
    return value

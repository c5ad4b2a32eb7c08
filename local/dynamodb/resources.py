"""The DynamoDB resource type the runner creates in moto: tables, indexes, TTL and streams."""

from __future__ import annotations

from typing import Any

from local.aws.kinds import UNUSED_LOCALLY, Context, Kind

_INDEX_KEYS_WITHOUT_LOCAL_EFFECT = ("ContributorInsightsSpecification", "WarmThroughput")


def _create_table(p: Context, logical_id: str, props: dict[str, Any]) -> dict[str, Any]:
    name = props.pop("TableName", None) or p.generated_name(logical_id, 255)
    ttl = props.pop("TimeToLiveSpecification", None)
    stream = props.pop("StreamSpecification", None)
    if stream is not None:
        props["StreamSpecification"] = {"StreamEnabled": True, **stream}
    for indexes in ("GlobalSecondaryIndexes", "LocalSecondaryIndexes"):
        if indexes in props:
            props[indexes] = [_index(index) for index in props[indexes]]
    table = p.client("dynamodb").create_table(TableName=name, **props)["TableDescription"]
    if ttl is not None:
        p.client("dynamodb").update_time_to_live(TableName=name, TimeToLiveSpecification=ttl)
    p.result.tables[logical_id] = name
    attributes = {"Ref": name, "Arn": table["TableArn"]}
    if "LatestStreamArn" in table:
        attributes["StreamArn"] = table["LatestStreamArn"]
    return attributes


def _index(index: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in index.items() if k not in _INDEX_KEYS_WITHOUT_LOCAL_EFFECT}


KINDS: dict[str, Kind] = {
    "AWS::DynamoDB::Table": Kind(
        _create_table,
        frozenset(
            {
                "AttributeDefinitions",
                "BillingMode",
                "DeletionProtectionEnabled",
                "GlobalSecondaryIndexes",
                "KeySchema",
                "LocalSecondaryIndexes",
                "ProvisionedThroughput",
                "StreamSpecification",
                "TableClass",
                "TableName",
                "Tags",
                "TimeToLiveSpecification",
            }
        ),
        {
            "SSESpecification": "encryption at rest " + UNUSED_LOCALLY,
            "PointInTimeRecoverySpecification": "backups " + UNUSED_LOCALLY,
            "ContributorInsightsSpecification": "CloudWatch insights " + UNUSED_LOCALLY,
            "WarmThroughput": "throughput pre-warming " + UNUSED_LOCALLY,
            "OnDemandThroughput": "throughput limits are not modelled locally",
        },
        recorded_in=lambda result: result.tables,
    ),
}

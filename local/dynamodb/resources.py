"""The DynamoDB resource types the runner creates in moto: tables, with their indexes, TTL and
streams, and global tables (CDK's TableV2) with their one replica in the stack's region."""

from __future__ import annotations

from typing import Any

from local.aws.kinds import UNUSED_LOCALLY, Context, Kind, ProvisionError

_INDEX_KEYS_WITHOUT_LOCAL_EFFECT = (
    "ContributorInsightsSpecification",
    "WarmThroughput",
    "WriteProvisionedThroughputSettings",  # a global table's index capacity
    "WriteOnDemandThroughputSettings",
)
GLOBAL_TABLE = "AWS::DynamoDB::GlobalTable"
# A replica's settings (AWS::DynamoDB::GlobalTable ReplicaSpecification): applied to the table,
# or with no local effect.
_REPLICA_APPLIED = frozenset({"Region", "TableClass", "DeletionProtectionEnabled", "Tags"})
_REPLICA_IGNORED = frozenset(
    {
        "ContributorInsightsSpecification",
        "GlobalSecondaryIndexes",  # per-replica index capacity and insights
        "PointInTimeRecoverySpecification",
        "ReadOnDemandThroughputSettings",
        "ReadProvisionedThroughputSettings",
        "ReplicaStreamSpecification",
        "ResourcePolicy",
        "SSESpecification",
        "WarmThroughput",
    }
)


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


def _create_global_table(p: Context, logical_id: str, props: dict[str, Any]) -> dict[str, Any]:
    """One replica, in this stack's region, is the table; more would need other regions."""
    replicas = props.pop("Replicas")
    regions = [replica.get("Region") for replica in replicas]
    if regions != [p.region]:
        raise ProvisionError(
            f"resource {logical_id} ({GLOBAL_TABLE}): Replicas {regions} - only one replica, in "
            f"the stack's region {p.region}, is emulated"
        )
    (replica,) = replicas
    unknown = set(replica) - _REPLICA_APPLIED - _REPLICA_IGNORED
    if unknown:
        raise ProvisionError(
            f"resource {logical_id} ({GLOBAL_TABLE}): replica property "
            f"{', '.join(sorted(unknown))} is not supported locally"
        )
    table = {k: v for k, v in replica.items() if k in _REPLICA_APPLIED and k != "Region"}
    # Capacity is not modelled locally (see OnDemandThroughput on tables): on demand it is.
    props.pop("BillingMode", None)
    attributes = _create_table(p, logical_id, {**props, **table, "BillingMode": "PAY_PER_REQUEST"})
    return {**attributes, "TableId": attributes["Arn"].rsplit("/", 1)[-1]}


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
    GLOBAL_TABLE: Kind(
        _create_global_table,
        frozenset(
            {
                "AttributeDefinitions",
                "BillingMode",
                "GlobalSecondaryIndexes",
                "KeySchema",
                "LocalSecondaryIndexes",
                "Replicas",
                "StreamSpecification",
                "TableName",
                "TimeToLiveSpecification",
            }
        ),
        {
            "SSESpecification": "encryption at rest " + UNUSED_LOCALLY,
            "WriteProvisionedThroughputSettings": "capacity is not modelled locally",
            "WriteOnDemandThroughputSettings": "throughput limits are not modelled locally",
            "WarmThroughput": "throughput pre-warming " + UNUSED_LOCALLY,
            "MultiRegionConsistency": "one region runs locally",
        },
        recorded_in=lambda result: result.tables,
    ),
}

"""TodoData: where state lives. The todo table, and the table of idempotency records.

The todo table is keyed by `id`, with the `byOwner` index to list an owner's todos. The
idempotency table holds Powertools' records for `POST /items` with an `Idempotency-Key`: one
item per (caller, key), removed by DynamoDB's TTL once it expires.
"""

from aws_cdk import RemovalPolicy
from aws_cdk import aws_dynamodb as dynamodb
from constructs import Construct

from stacks.constants import (
    IDEMPOTENCY_PARTITION_KEY,
    IDEMPOTENCY_TTL_ATTRIBUTE,
    OWNER_INDEX_NAME,
    OWNER_INDEX_PARTITION_KEY,
    OWNER_INDEX_SORT_KEY,
    TABLE_PARTITION_KEY,
)
from stacks.nag import acknowledge


def _string_key(name: str) -> dynamodb.Attribute:
    return dynamodb.Attribute(name=name, type=dynamodb.AttributeType.STRING)


class TodoData(Construct):
    """On-demand tables: todos (point-in-time recovery, `byOwner` index) and idempotency."""

    def __init__(self, scope: Construct, construct_id: str, *, removal_policy: RemovalPolicy):
        super().__init__(scope, construct_id)
        self.table = dynamodb.Table(
            self,
            "Table",
            partition_key=_string_key(TABLE_PARTITION_KEY),
            billing_mode=dynamodb.BillingMode.PAY_PER_REQUEST,
            point_in_time_recovery_specification=dynamodb.PointInTimeRecoverySpecification(
                point_in_time_recovery_enabled=True
            ),
            deletion_protection=removal_policy == RemovalPolicy.RETAIN,
            removal_policy=removal_policy,
        )
        self.table.add_global_secondary_index(
            index_name=OWNER_INDEX_NAME,
            partition_key=_string_key(OWNER_INDEX_PARTITION_KEY),
            sort_key=_string_key(OWNER_INDEX_SORT_KEY),
            projection_type=dynamodb.ProjectionType.ALL,
        )
        # Records live for an hour at most: nothing in them is worth a backup or a retained
        # table, so the idempotency table is always disposable.
        self.idempotency_table = dynamodb.Table(
            self,
            "IdempotencyTable",
            partition_key=_string_key(IDEMPOTENCY_PARTITION_KEY),
            time_to_live_attribute=IDEMPOTENCY_TTL_ATTRIBUTE,
            billing_mode=dynamodb.BillingMode.PAY_PER_REQUEST,
            removal_policy=RemovalPolicy.DESTROY,
        )
        acknowledge(
            self.idempotency_table,
            "AwsSolutions-DDB3",
            "No point-in-time recovery: the table holds idempotency records that expire within "
            "an hour (TTL); restoring them would replay stale answers, never recover data.",
        )

"""Ignored locally, but named: resources the runner does not create whose ids policies use.

A log group or an alarm topic does nothing locally, yet a role's policy may name its ARN; each
gets the Ref and attributes CloudFormation would give it, so such policies still resolve.
"""

from __future__ import annotations

from typing import Any

from local.aws.kinds import Context, Name
from local.aws.server import PARTITION
from local.template import DEFAULT_ACCOUNT


def _log_group_ids(p: Context, logical_id: str, resource: dict[str, Any]) -> dict[str, Any]:
    name = _name(p, logical_id, resource, "LogGroupName", 512)
    arn = f"arn:{PARTITION}:logs:{p.region}:{DEFAULT_ACCOUNT}:log-group:{name}:*"
    return {"Ref": name, "Arn": arn}


def _topic_ids(p: Context, logical_id: str, resource: dict[str, Any]) -> dict[str, Any]:
    name = _name(p, logical_id, resource, "TopicName", 256)
    arn = f"arn:{PARTITION}:sns:{p.region}:{DEFAULT_ACCOUNT}:{name}"
    return {"Ref": arn, "TopicArn": arn, "TopicName": name}


def _name(p: Context, logical_id: str, resource: dict[str, Any], prop: str, limit: int) -> str:
    """The name property's value, or the name CloudFormation would generate."""
    value = resource.get("Properties", {}).get(prop)
    if value is None:
        return p.generated_name(logical_id, limit)
    return str(p.resolver.resolve(value, f"Resources.{logical_id}.{prop}"))


NAMED: dict[str, Name] = {
    "AWS::Logs::LogGroup": _log_group_ids,
    "AWS::SNS::Topic": _topic_ids,
}

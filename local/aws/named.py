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
    name_property = resource.get("Properties", {}).get("LogGroupName")
    if name_property is None:
        name = p.generated_name(logical_id, 512)
    else:
        name = p.resolver.resolve(name_property, f"Resources.{logical_id}.LogGroupName")
    arn = f"arn:{PARTITION}:logs:{p.region}:{DEFAULT_ACCOUNT}:log-group:{name}:*"
    return {"Ref": name, "Arn": arn}


def _topic_ids(p: Context, logical_id: str, resource: dict[str, Any]) -> dict[str, Any]:
    name_property = resource.get("Properties", {}).get("TopicName")
    if name_property is None:
        name = p.generated_name(logical_id, 256)
    else:
        name = p.resolver.resolve(name_property, f"Resources.{logical_id}.TopicName")
    arn = f"arn:{PARTITION}:sns:{p.region}:{DEFAULT_ACCOUNT}:{name}"
    return {"Ref": arn, "TopicArn": arn, "TopicName": name}


NAMED: dict[str, Name] = {
    "AWS::Logs::LogGroup": _log_group_ids,
    "AWS::SNS::Topic": _topic_ids,
}

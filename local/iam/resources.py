"""The IAM resource types the runner creates in moto: roles, managed policies, inline policies.

The policies are what local/iam/policy.py evaluates when a role calls AppSync or DynamoDB.
"""

from __future__ import annotations

import json
from typing import Any

from local.aws.kinds import Context, Kind


def _create_role(p: Context, logical_id: str, props: dict[str, Any]) -> dict[str, Any]:
    name = props.pop("RoleName", None) or p.generated_name(logical_id, 64)
    managed = props.pop("ManagedPolicyArns", [])
    inline = props.pop("Policies", [])
    document = json.dumps(props.pop("AssumeRolePolicyDocument"))
    role = p.client("iam").create_role(RoleName=name, AssumeRolePolicyDocument=document, **props)[
        "Role"
    ]
    for policy_arn in managed:
        p.client("iam").attach_role_policy(RoleName=name, PolicyArn=policy_arn)
    for policy in inline:
        p.client("iam").put_role_policy(
            RoleName=name,
            PolicyName=policy["PolicyName"],
            PolicyDocument=json.dumps(policy["PolicyDocument"]),
        )
    p.result.roles[logical_id] = role["Arn"]
    return {"Ref": name, "Arn": role["Arn"], "RoleId": role["RoleId"]}


def _create_managed_policy(p: Context, logical_id: str, props: dict[str, Any]) -> dict[str, Any]:
    name = props.pop("ManagedPolicyName", None) or p.generated_name(logical_id, 128)
    document = json.dumps(props.pop("PolicyDocument"))
    roles, users = props.pop("Roles", []), props.pop("Users", [])
    policy = p.client("iam").create_policy(PolicyName=name, PolicyDocument=document, **props)[
        "Policy"
    ]
    for role in roles:
        p.client("iam").attach_role_policy(RoleName=role, PolicyArn=policy["Arn"])
    for user in users:
        p.client("iam").attach_user_policy(UserName=user, PolicyArn=policy["Arn"])
    return {"Ref": policy["Arn"], "PolicyArn": policy["Arn"]}


def _create_policy(p: Context, logical_id: str, props: dict[str, Any]) -> dict[str, Any]:
    name = props["PolicyName"]
    document = json.dumps(props["PolicyDocument"])
    for role in props.get("Roles", []):
        p.client("iam").put_role_policy(RoleName=role, PolicyName=name, PolicyDocument=document)
    for user in props.get("Users", []):
        p.client("iam").put_user_policy(UserName=user, PolicyName=name, PolicyDocument=document)
    return {"Ref": name, "Id": name}


KINDS: dict[str, Kind] = {
    "AWS::IAM::Role": Kind(
        _create_role,
        frozenset(
            {
                "AssumeRolePolicyDocument",
                "Description",
                "ManagedPolicyArns",
                "MaxSessionDuration",
                "Path",
                "Policies",
                "RoleName",
                "Tags",
            }
        ),
    ),
    "AWS::IAM::ManagedPolicy": Kind(
        _create_managed_policy,
        frozenset({"ManagedPolicyName", "PolicyDocument", "Description", "Path", "Roles", "Users"}),
    ),
    "AWS::IAM::Policy": Kind(
        _create_policy, frozenset({"PolicyName", "PolicyDocument", "Roles", "Users"})
    ),
}

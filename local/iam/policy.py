"""Evaluate identity-based IAM policies for `appsync:GraphQL` on a field ARN.

The rules are IAM's for a single account without boundaries or session policies: an explicit
Deny wins, then any Allow, otherwise the request is implicitly denied. Actions match without
regard to case, resources with case; both take `*` and `?` wildcards. A Condition is evaluated
against the request's context keys (conditions.py); without a context, or with an operator
or a policy variable this evaluator does not know, it refuses loudly (PolicyError): it does not
pretend to understand what it cannot check.
"""

from __future__ import annotations

import json
import re
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Any
from urllib.parse import unquote

from botocore.exceptions import ClientError

from local.iam.conditions import ConditionError, condition_holds, wildcard_regex

GRAPHQL_ACTION = "appsync:GraphQL"


class PolicyError(Exception):
    """A policy uses something this evaluator does not support."""


@dataclass(frozen=True)
class Policy:
    name: str  # for explanations: "role/MyRole/inline/Default" or a managed policy ARN
    document: Mapping[str, Any]


@dataclass(frozen=True)
class Decision:
    allowed: bool
    reason: str


def field_arn(api_arn: str, type_name: str, field_name: str) -> str:
    return f"{api_arn}/types/{type_name}/fields/{field_name}"


def evaluate(
    policies: Iterable[Policy],
    action: str,
    resource: str,
    context: Mapping[str, Any] | None = None,
) -> Decision:
    """Decide whether the policies allow `action` on `resource` for a request with `context`."""
    allowed_by: str | None = None
    for policy in policies:
        for index, statement in enumerate(_statements(policy)):
            if not _applies(statement, action, resource):
                continue
            where = f"statement {statement.get('Sid', index)} of {policy.name}"
            if "Condition" in statement:
                if context is None:
                    raise PolicyError(f"{where} has a Condition and the request has no context")
                try:
                    if not condition_holds(statement["Condition"], context):
                        continue
                except ConditionError as error:
                    raise PolicyError(f"{where}: {error}") from error
            effect = statement.get("Effect")
            if effect == "Deny":
                return Decision(False, f"explicitly denied by {where}")
            if effect == "Allow":
                allowed_by = allowed_by or where
            else:
                raise PolicyError(f"{where} has Effect {effect!r}")
    if allowed_by is not None:
        return Decision(True, f"allowed by {allowed_by}")
    return Decision(False, "no statement allows it (implicit deny)")


def _statements(policy: Policy) -> list[Mapping[str, Any]]:
    statements = policy.document.get("Statement", [])
    return [statements] if isinstance(statements, Mapping) else list(statements)


def _applies(statement: Mapping[str, Any], action: str, resource: str) -> bool:
    if "Principal" in statement or "NotPrincipal" in statement:
        raise PolicyError("Principal is not valid in an identity-based policy")
    return _matches(statement, "Action", action, ignore_case=True) and _matches(
        statement, "Resource", resource, ignore_case=False
    )


def _matches(statement: Mapping[str, Any], element: str, value: str, ignore_case: bool) -> bool:
    positive, negative = statement.get(element), statement.get(f"Not{element}")
    if (positive is None) == (negative is None):
        raise PolicyError(f"a statement needs exactly one of {element} and Not{element}")
    patterns = _as_list(positive if positive is not None else negative)
    hit = any(_glob(pattern, ignore_case).fullmatch(value) for pattern in patterns)
    return hit if positive is not None else not hit


def _as_list(value: Any) -> list[str]:
    return [value] if isinstance(value, str) else list(value)


@lru_cache(maxsize=1024)
def _glob(pattern: str, ignore_case: bool) -> re.Pattern[str]:
    if "${" in pattern:
        raise PolicyError(f"policy variables are not supported locally: {pattern!r}")
    return re.compile(wildcard_regex(pattern), re.IGNORECASE if ignore_case else 0)


# ---------------------------------------------------------------------------------------------
# Where the policies come from: local IAM (moto), through the ordinary IAM API


class IamPolicySource:
    """Reads the identity-based policies of a role or user from an IAM client."""

    def __init__(self, iam_client: Any) -> None:
        self._iam = iam_client

    def for_principal(self, principal_arn: str) -> list[Policy]:
        """Policies of an IAM role, an assumed-role session (its role) or an IAM user."""
        resource = principal_arn.split(":", 5)[-1]
        kind, _, rest = resource.partition("/")
        if kind in ("role", "assumed-role"):
            name = rest.split("/")[-1] if kind == "role" else rest.split("/")[0]
            return self._role_policies(name)
        if kind == "user":
            return self._user_policies(rest.split("/")[-1])
        raise PolicyError(f"no identity policies for principal {principal_arn!r}")

    def _role_policies(self, role: str) -> list[Policy]:
        return self._policies_of("role", role)

    def _user_policies(self, user: str) -> list[Policy]:
        policies = self._policies_of("user", user)
        for group in self._pages("list_groups_for_user", "Groups", UserName=user):
            policies += self._policies_of("group", group["GroupName"])
        return policies

    def _policies_of(self, kind: str, name: str) -> list[Policy]:
        """Inline and attached managed policies of a role, user or group (none if it is gone:
        a signature made with a deleted role's credentials then grants nothing)."""
        try:
            return self._read_policies(kind, name)
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") == "NoSuchEntity":
                return []
            raise

    def _read_policies(self, kind: str, name: str) -> list[Policy]:
        key = {f"{kind.capitalize()}Name": name}
        inline = [
            Policy(
                f"{kind}/{name}/inline/{policy}",
                _document(getattr(self._iam, f"get_{kind}_policy")(**key, PolicyName=policy)),
            )
            for policy in self._pages(f"list_{kind}_policies", "PolicyNames", **key)
        ]
        attached = self._pages(f"list_attached_{kind}_policies", "AttachedPolicies", **key)
        return inline + [self._managed(item["PolicyArn"]) for item in attached]

    def _managed(self, policy_arn: str) -> Policy:
        version = self._iam.get_policy(PolicyArn=policy_arn)["Policy"]["DefaultVersionId"]
        response = self._iam.get_policy_version(PolicyArn=policy_arn, VersionId=version)
        return Policy(policy_arn, _document(response["PolicyVersion"]))

    def _pages(self, operation: str, key: str, **params: str) -> list[Any]:
        paginator = self._iam.get_paginator(operation)
        return [item for page in paginator.paginate(**params) for item in page[key]]


def _document(response: Mapping[str, Any]) -> Mapping[str, Any]:
    document = response["PolicyDocument"] if "PolicyDocument" in response else response["Document"]
    if isinstance(document, str):  # IAM returns URL-encoded JSON; boto3 usually decodes it
        document = json.loads(unquote(document))
    return dict(document)


class CachedPolicySource:
    """Keeps each principal's policies for `ttl_seconds`.

    Reading them through the IAM API costs several calls per request. IAM itself is
    eventually consistent (AWS documents that changes can take seconds to apply), so a
    short-lived copy behaves as AWS does while keeping requests cheap.
    """

    def __init__(
        self,
        source: IamPolicySource,
        ttl_seconds: float = 2.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._source = source
        self._ttl = ttl_seconds
        self._clock = clock
        self._lock = threading.Lock()
        self._cache: dict[str, tuple[float, list[Policy]]] = {}

    def for_principal(self, principal_arn: str) -> list[Policy]:
        now = self._clock()
        with self._lock:
            cached = self._cache.get(principal_arn)
        if cached is not None and cached[0] > now:
            return cached[1]
        policies = self._source.for_principal(principal_arn)
        with self._lock:
            self._cache[principal_arn] = (now + self._ttl, policies)
        return policies

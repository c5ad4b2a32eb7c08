"""IAM `Condition` blocks, evaluated against a request's context keys.

The semantics are IAM's (IAM User Guide, "IAM JSON policy elements: Condition operators" and
"Creating a condition with multiple keys or values"):
- every operator of a block, and every key of an operator, must hold (AND);
- several values for one key match if any does (OR), except with a negated operator (`...Not...`),
  which holds only if none does;
- a key the request does not have: the condition is false, unless the operator is negated
  (then true), ends in `IfExists` (true) or is `Null`;
- `ForAnyValue:` / `ForAllValues:` compare multivalued keys.
An operator this module does not know raises ConditionError, so the statement is never guessed.
So does a service-specific key (`dynamodb:LeadingKeys`, ...) the request context lacks: AWS
would supply it, so treating it as absent would guess. A global `aws:` key the context lacks is
absent in AWS too for such a request (no VPC endpoint, no MFA...).
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from operator import eq, ge, gt, le, lt
from typing import Any

Comparison = Callable[[str, str], bool]
GLOBAL_KEY_PREFIX = "aws:"


class ConditionError(Exception):
    """The condition uses an operator or a value this evaluator cannot check."""


def wildcard_regex(pattern: str) -> str:
    """IAM's wildcards as a regular expression: `*` any run of characters, `?` any one."""
    return "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern)


def _like(pattern: str, value: str) -> bool:
    return re.fullmatch(wildcard_regex(pattern), value, re.DOTALL) is not None


def _date(text: str) -> datetime:
    if re.fullmatch(r"\d+", text):
        return datetime.fromtimestamp(int(text), UTC)
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def _in_network(network: str, address: str) -> bool:
    return ipaddress.ip_address(address) in ipaddress.ip_network(network, strict=False)


def _ordered(parse: Callable[[str], Any], holds: Callable[[Any, Any], bool]) -> Comparison:
    """Compare the request's value to the policy's (`request < policy`...), both parsed."""
    return lambda p, v: bool(holds(parse(v), parse(p)))


_EQUAL_NUMBER = _ordered(float, eq)
_EQUAL_DATE = _ordered(_date, eq)

# operator -> (compare(policy value, request value), negated)
_OPERATORS: dict[str, tuple[Comparison, bool]] = {
    "StringEquals": (lambda p, v: p == v, False),
    "StringNotEquals": (lambda p, v: p == v, True),
    "StringEqualsIgnoreCase": (lambda p, v: p.lower() == v.lower(), False),
    "StringNotEqualsIgnoreCase": (lambda p, v: p.lower() == v.lower(), True),
    "StringLike": (_like, False),
    "StringNotLike": (_like, True),
    "NumericEquals": (_EQUAL_NUMBER, False),
    "NumericNotEquals": (_EQUAL_NUMBER, True),
    "NumericLessThan": (_ordered(float, lt), False),
    "NumericLessThanEquals": (_ordered(float, le), False),
    "NumericGreaterThan": (_ordered(float, gt), False),
    "NumericGreaterThanEquals": (_ordered(float, ge), False),
    "DateEquals": (_EQUAL_DATE, False),
    "DateNotEquals": (_EQUAL_DATE, True),
    "DateLessThan": (_ordered(_date, lt), False),
    "DateLessThanEquals": (_ordered(_date, le), False),
    "DateGreaterThan": (_ordered(_date, gt), False),
    "DateGreaterThanEquals": (_ordered(_date, ge), False),
    "Bool": (lambda p, v: p.lower() == v.lower(), False),
    "IpAddress": (_in_network, False),
    "NotIpAddress": (_in_network, True),
    "ArnEquals": (lambda p, v: p == v, False),
    "ArnNotEquals": (lambda p, v: p == v, True),
    "ArnLike": (_like, False),
    "ArnNotLike": (_like, True),
}


def condition_holds(condition: Mapping[str, Any], context: Mapping[str, Any]) -> bool:
    """Whether a statement's Condition block holds for a request with these context keys."""
    keys = {name.lower(): value for name, value in context.items()}
    for operator, tests in condition.items():
        if not isinstance(tests, Mapping):
            raise ConditionError(f"{operator}: expected an object of condition keys")
        for key, expected in tests.items():
            if key.lower() not in keys and not key.lower().startswith(GLOBAL_KEY_PREFIX):
                raise ConditionError(f"the condition key {key!r} is not supported locally")
            policy_values = [
                str(v) for v in (expected if isinstance(expected, list) else [expected])
            ]
            if any("${" in value for value in policy_values):
                # IAM substitutes policy variables in condition values; compared literally, a
                # negated operator would hold and allow (as Action and Resource, refused)
                raise ConditionError(f"{operator}: policy variables are not supported locally")
            if not _holds(operator, policy_values, keys.get(key.lower())):
                return False
    return True


def _holds(operator: str, policy_values: list[str], present: Any) -> bool:
    quantifier, _, name = operator.rpartition(":")
    if_exists = name.endswith("IfExists")
    name = name.removesuffix("IfExists")
    if name == "Null":  # "true": the key must be absent; "false": present
        return all((v.lower() == "true") == (present is None) for v in policy_values)
    if name not in _OPERATORS:
        raise ConditionError(f"the condition operator {operator!r} is not supported locally")
    compare, negated = _OPERATORS[name]
    if present is None:
        return if_exists or negated
    values = [str(v) for v in (present if isinstance(present, list) else [present])]

    def one(value: str) -> bool:
        try:
            hit = any(compare(expected, value) for expected in policy_values)
        except ValueError as error:
            raise ConditionError(f"{operator}: {error}") from error
        return not hit if negated else hit

    if quantifier == "ForAllValues":
        return all(one(v) for v in values)
    if quantifier in ("ForAnyValue", ""):
        return any(one(v) for v in values)
    raise ConditionError(f"the condition set operator {quantifier!r} is not supported locally")


def request_context(
    principal_arn: str, source_ip: str | None, region: str, secure: bool
) -> dict[str, Any]:
    """Global condition keys of a request (IAM User Guide, "AWS global condition context keys")."""
    now = datetime.now(UTC)
    partition, account, resource = _arn_parts(principal_arn)
    kind, _, rest = resource.partition("/")
    context: dict[str, Any] = {
        "aws:CurrentTime": now.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "aws:EpochTime": str(int(now.timestamp())),
        "aws:SecureTransport": "true" if secure else "false",
        "aws:RequestedRegion": region,
        "aws:PrincipalAccount": account,
    }
    if source_ip:
        context["aws:SourceIp"] = source_ip
    if kind == "assumed-role":  # the session's role is the principal ARN that policies name
        role = rest.split("/")[0]
        context["aws:PrincipalArn"] = f"arn:{partition}:iam::{account}:role/{role}"
        context["aws:PrincipalType"] = "AssumedRole"
    elif kind in ("role", "user"):
        context["aws:PrincipalArn"] = principal_arn
        context["aws:PrincipalType"] = "AssumedRole" if kind == "role" else "User"
        if kind == "user":
            context["aws:username"] = rest.split("/")[-1]
    return context


def _arn_parts(arn: str) -> tuple[str, str, str]:
    parts = arn.split(":", 5)
    if len(parts) != 6:
        return "aws", "", ""
    return parts[1], parts[4], parts[5]

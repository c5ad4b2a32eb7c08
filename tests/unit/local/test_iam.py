"""IAM policy evaluation for appsync:GraphQL on field ARNs."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from local.aws.server import LocalAws
from local.iam.policy import (
    GRAPHQL_ACTION,
    CachedPolicySource,
    IamPolicySource,
    Policy,
    PolicyError,
    evaluate,
    field_arn,
)

API_ARN = "arn:aws:appsync:eu-west-1:123456789012:apis/abc123"
GET_TODO = field_arn(API_ARN, "Query", "getTodo")
LIST_TODOS = field_arn(API_ARN, "Query", "listTodos")
CREATE_TODO = field_arn(API_ARN, "Mutation", "createTodo")


def policy(*statements: dict[str, Any]) -> Policy:
    return Policy("test", {"Version": "2012-10-17", "Statement": list(statements)})


def allow(resource: str | list[str], action: str = GRAPHQL_ACTION) -> dict[str, Any]:
    return {"Effect": "Allow", "Action": action, "Resource": resource}


def allowed(policies: list[Policy], resource: str, action: str = GRAPHQL_ACTION) -> bool:
    return evaluate(policies, action, resource).allowed


def test_an_exact_field_grant_allows_that_field_only() -> None:
    policies = [policy(allow(CREATE_TODO))]
    assert allowed(policies, CREATE_TODO)
    assert not allowed(policies, GET_TODO)


def test_a_type_wildcard_allows_every_field_of_the_type() -> None:
    policies = [policy(allow(f"{API_ARN}/types/Query/*"))]
    assert allowed(policies, GET_TODO)
    assert allowed(policies, LIST_TODOS)
    assert not allowed(policies, CREATE_TODO)


def test_question_mark_matches_one_character() -> None:
    policies = [policy(allow(f"{API_ARN}/types/Query/fields/getTod?"))]
    assert allowed(policies, GET_TODO)
    assert not allowed(policies, f"{GET_TODO}s")


def test_an_explicit_deny_overrides_an_allow() -> None:
    deny = {"Effect": "Deny", "Action": "appsync:*", "Resource": CREATE_TODO}
    policies = [policy(allow("*")), Policy("guard", {"Statement": deny})]
    decision = evaluate(policies, GRAPHQL_ACTION, CREATE_TODO)
    assert not decision.allowed
    assert "explicitly denied" in decision.reason
    assert allowed(policies, GET_TODO)


def test_action_matching_ignores_case() -> None:
    assert allowed([policy(allow(GET_TODO, action="AppSync:graphql"))], GET_TODO)


def test_resource_matching_respects_case() -> None:
    assert not allowed([policy(allow(GET_TODO.replace("getTodo", "GETTODO")))], GET_TODO)


def test_another_action_does_not_allow_graphql() -> None:
    assert not allowed([policy(allow("*", action="appsync:GetGraphqlApi"))], GET_TODO)


def test_not_action_allows_everything_but_the_listed_actions() -> None:
    statement = {"Effect": "Allow", "NotAction": "appsync:GraphQL", "Resource": "*"}
    assert not allowed([policy(statement)], GET_TODO)
    assert allowed([policy(statement)], GET_TODO, action="appsync:ListApiKeys")


def test_not_resource_allows_everything_but_the_listed_resources() -> None:
    statement = {"Effect": "Allow", "Action": GRAPHQL_ACTION, "NotResource": CREATE_TODO}
    assert allowed([policy(statement)], GET_TODO)
    assert not allowed([policy(statement)], CREATE_TODO)


def test_no_policies_is_an_implicit_deny() -> None:
    decision = evaluate([], GRAPHQL_ACTION, GET_TODO)
    assert not decision.allowed
    assert "implicit deny" in decision.reason


def test_a_condition_on_an_applicable_statement_fails_loudly() -> None:
    conditional = {**allow(GET_TODO), "Condition": {"IpAddress": {"aws:SourceIp": "10.0.0.0/8"}}}
    with pytest.raises(PolicyError, match="Condition"):
        evaluate([policy(conditional)], GRAPHQL_ACTION, GET_TODO)


def test_a_condition_on_an_unrelated_statement_does_not_matter() -> None:
    unrelated = {"Effect": "Allow", "Action": "logs:*", "Resource": "*", "Condition": {}}
    assert allowed([policy(unrelated, allow(GET_TODO))], GET_TODO)


def test_a_policy_variable_fails_loudly() -> None:
    with pytest.raises(PolicyError, match="policy variables"):
        evaluate([policy(allow(f"{API_ARN}/${{aws:username}}"))], GRAPHQL_ACTION, GET_TODO)


@pytest.fixture(scope="module")
def iam() -> Iterator[Any]:
    with LocalAws("eu-west-1") as aws:
        yield aws.client("iam")


def create_role(iam: Any, name: str) -> str:
    trust = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"Service": "lambda.amazonaws.com"},
                "Action": "sts:AssumeRole",
            }
        ],
    }
    return iam.create_role(RoleName=name, AssumeRolePolicyDocument=json.dumps(trust))["Role"]["Arn"]


def test_a_role_without_policies_is_denied(iam: Any) -> None:
    role_arn = create_role(iam, "EmptyRole")
    policies = IamPolicySource(iam).for_principal(role_arn)
    assert not evaluate(policies, GRAPHQL_ACTION, GET_TODO).allowed


def test_an_assumed_role_session_gets_its_roles_inline_and_managed_policies(iam: Any) -> None:
    # GIVEN a role with an inline grant on getTodo and a managed grant on createTodo
    create_role(iam, "FunctionRole")
    document = {"Version": "2012-10-17", "Statement": [allow(GET_TODO)]}
    iam.put_role_policy(
        RoleName="FunctionRole", PolicyName="Inline", PolicyDocument=json.dumps(document)
    )
    managed = {"Version": "2012-10-17", "Statement": [allow(CREATE_TODO)]}
    arn = iam.create_policy(PolicyName="Create", PolicyDocument=json.dumps(managed))["Policy"][
        "Arn"
    ]
    iam.attach_role_policy(RoleName="FunctionRole", PolicyArn=arn)
    # WHEN the policies of a session of that role are read
    session = "arn:aws:sts::123456789012:assumed-role/FunctionRole/local"
    policies = IamPolicySource(iam).for_principal(session)
    # THEN both grants count, and nothing else is granted
    assert allowed(policies, GET_TODO)
    assert allowed(policies, CREATE_TODO)
    assert not allowed(policies, LIST_TODOS)


def test_an_iam_user_gets_its_own_and_its_groups_policies(iam: Any) -> None:
    user_arn = iam.create_user(UserName="dev")["User"]["Arn"]
    iam.create_group(GroupName="readers")
    iam.add_user_to_group(GroupName="readers", UserName="dev")
    document = {"Version": "2012-10-17", "Statement": [allow(LIST_TODOS)]}
    iam.put_group_policy(
        GroupName="readers", PolicyName="Read", PolicyDocument=json.dumps(document)
    )
    policies = IamPolicySource(iam).for_principal(user_arn)
    assert allowed(policies, LIST_TODOS)
    assert not allowed(policies, GET_TODO)


class _CountingSource:
    def __init__(self) -> None:
        self.calls = 0

    def for_principal(self, principal_arn: str) -> list[Policy]:
        self.calls += 1
        return [Policy(f"v{self.calls}", {"Statement": []})]


def test_cached_policies_are_reused_until_they_expire() -> None:
    # GIVEN a cache with a 2 s lifetime over a source that counts its reads
    now = [100.0]
    source = _CountingSource()
    cached = CachedPolicySource(source, ttl_seconds=2.0, clock=lambda: now[0])  # type: ignore[arg-type]
    # WHEN the same principal is looked up within and after the lifetime
    first = cached.for_principal("arn:aws:iam::1:role/r")
    now[0] += 1.5
    second = cached.for_principal("arn:aws:iam::1:role/r")
    now[0] += 1.0
    third = cached.for_principal("arn:aws:iam::1:role/r")
    # THEN IAM is read once per lifetime, and a change shows after it expires
    assert first is second
    assert third[0].name == "v2"
    assert source.calls == 2

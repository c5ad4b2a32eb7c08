"""IAM Condition blocks (IAM User Guide, "IAM JSON policy elements: Condition operators",
"Creating a condition with multiple keys or values" and "AWS global condition context keys")."""

import pytest

from local.iam.conditions import condition_holds, request_context
from local.iam.policy import Policy, PolicyError, evaluate

CONTEXT = {
    "aws:SourceIp": "127.0.0.1",
    "aws:SecureTransport": "false",
    "aws:CurrentTime": "2026-11-29T12:00:00Z",
    "aws:EpochTime": "1795953600",
    "aws:PrincipalArn": "arn:aws:iam::123456789012:role/TodoFunctionRole",
    "aws:RequestedRegion": "us-east-1",
}


@pytest.mark.parametrize(
    ("condition", "holds"),
    [
        ({"IpAddress": {"aws:SourceIp": "127.0.0.0/8"}}, True),
        ({"IpAddress": {"aws:SourceIp": ["10.0.0.0/8", "192.168.0.0/16"]}}, False),
        ({"NotIpAddress": {"aws:SourceIp": "10.0.0.0/8"}}, True),
        ({"Bool": {"aws:SecureTransport": "true"}}, False),
        ({"StringEquals": {"aws:RequestedRegion": ["eu-west-1", "us-east-1"]}}, True),
        ({"StringNotEquals": {"aws:RequestedRegion": "us-east-1"}}, False),
        ({"StringLike": {"aws:PrincipalArn": "arn:aws:iam::*:role/Todo*"}}, True),
        ({"ArnLike": {"aws:PrincipalArn": "arn:aws:iam::123456789012:role/Other*"}}, False),
        ({"DateLessThan": {"aws:CurrentTime": "2027-01-01T00:00:00Z"}}, True),
        ({"DateGreaterThan": {"aws:CurrentTime": "2027-01-01T00:00:00Z"}}, False),
        ({"NumericGreaterThan": {"aws:EpochTime": "1700000000"}}, True),
        # both operators must hold (AND across operators and keys)
        (
            {
                "IpAddress": {"aws:SourceIp": "127.0.0.0/8"},
                "StringEquals": {"aws:RequestedRegion": "eu-west-1"},
            },
            False,
        ),
        # a key the request lacks: false, but true for IfExists, negated operators and Null
        ({"StringEquals": {"aws:SourceVpc": "vpc-1"}}, False),
        ({"StringEqualsIfExists": {"aws:SourceVpc": "vpc-1"}}, True),
        ({"StringNotEquals": {"aws:SourceVpc": "vpc-1"}}, True),
        ({"Null": {"aws:SourceVpc": "true"}}, True),
        ({"Null": {"aws:SourceIp": "true"}}, False),
        # keys are not case sensitive
        ({"IpAddress": {"AWS:SOURCEIP": "127.0.0.1/32"}}, True),
    ],
)
def test_conditions_follow_iams_rules(condition, holds):
    assert condition_holds(condition, CONTEXT) is holds


def test_an_unknown_operator_is_refused_not_guessed():
    policy = Policy(
        "p",
        {
            "Statement": {
                "Effect": "Allow",
                "Action": "appsync:GraphQL",
                "Resource": "*",
                "Condition": {"StringEqualsSometimes": {"aws:RequestedRegion": "us-east-1"}},
            }
        },
    )
    with pytest.raises(PolicyError, match="StringEqualsSometimes"):
        evaluate([policy], "appsync:GraphQL", "arn:x", CONTEXT)


def allow_with(condition):
    return Policy(
        "p",
        {
            "Statement": {
                "Effect": "Allow",
                "Action": "appsync:GraphQL",
                "Resource": "*",
                "Condition": condition,
            }
        },
    )


def test_a_statement_whose_condition_fails_does_not_apply():
    decision = evaluate(
        [allow_with({"IpAddress": {"aws:SourceIp": "10.0.0.0/8"}})], "appsync:GraphQL", "x", CONTEXT
    )
    assert not decision.allowed


def test_a_statement_whose_condition_holds_allows():
    decision = evaluate(
        [allow_with({"IpAddress": {"aws:SourceIp": "127.0.0.0/8"}})],
        "appsync:GraphQL",
        "x",
        CONTEXT,
    )
    assert decision.allowed


def test_an_assumed_role_session_is_named_by_its_role():
    context = request_context(
        "arn:aws:sts::123456789012:assumed-role/TodoFunctionRole/session-1",
        "127.0.0.1",
        "us-east-1",
        secure=True,
    )
    assert context["aws:PrincipalArn"] == "arn:aws:iam::123456789012:role/TodoFunctionRole"
    assert context["aws:PrincipalAccount"] == "123456789012"
    assert context["aws:SecureTransport"] == "true"


def test_a_service_key_missing_from_the_context_is_refused_not_treated_as_absent():
    # AWS supplies service keys such as dynamodb:LeadingKeys with the request (IAM User Guide,
    # "IAM JSON policy elements: Condition"); a missing one here would be a guess.
    policy = allow_with({"ForAllValues:StringEquals": {"dynamodb:LeadingKeys": ["u1"]}})
    with pytest.raises(PolicyError, match="dynamodb:LeadingKeys"):
        evaluate([policy], "appsync:GraphQL", "x", CONTEXT)


def test_a_global_key_missing_from_the_context_is_absent_as_in_aws():
    # aws:SourceVpc is present only for requests through a VPC endpoint (IAM User Guide, "AWS
    # global condition context keys"), so IfExists holds and a plain match does not.
    present_if_exists = allow_with({"StringEqualsIfExists": {"aws:SourceVpc": "vpc-1"}})
    required = allow_with({"StringEquals": {"aws:SourceVpc": "vpc-1"}})
    assert evaluate([present_if_exists], "appsync:GraphQL", "x", CONTEXT).allowed
    assert not evaluate([required], "appsync:GraphQL", "x", CONTEXT).allowed


@pytest.mark.parametrize("operator", ["StringLike", "StringNotLike"])
def test_a_policy_variable_in_a_condition_is_refused_not_compared_literally(operator):
    # IAM User Guide, "IAM policy elements: Variables and tags": variables such as
    # ${aws:username} are replaced in Condition values. Compared as text, StringNotLike
    # would hold and allow.
    policy = allow_with({operator: {"aws:SourceIp": "${aws:username}"}})
    with pytest.raises(PolicyError, match="policy variables"):
        evaluate([policy], "appsync:GraphQL", "x", CONTEXT)

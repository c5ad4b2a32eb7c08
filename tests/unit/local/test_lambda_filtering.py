"""Lambda event filtering for DynamoDB stream records.

AWS Lambda developer guide, "Control which events Lambda sends to your function": the filter
rule syntax table (null, empty, equals, equals-ignore-case, and, or, $or, anything-but,
numeric equals and range, exists, does not exist, begins with, ends with), "a record is sent
if it matches any of the filters", and the DynamoDB example filters on `eventName` and on
`dynamodb.NewImage` attributes in DynamoDB JSON.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from local.awslambda.filtering import PatternError, parse_filters, passes

INSERT = {
    "eventName": "INSERT",
    "dynamodb": {
        "Keys": {"id": {"S": "n1"}},
        "NewImage": {
            "id": {"S": "n1"},
            "status": {"S": "Open"},
            "tags": {"SS": ["red", "blue"]},
            "priority": {"N": "3"},
        },
        "SizeBytes": 40,
    },
    "awsRegion": "us-east-1",
    "score": 7,
    "empty": "",
    "nothing": None,
}


def criteria(*patterns: dict[str, Any]) -> dict[str, Any]:
    return {"Filters": [{"Pattern": json.dumps(p)} for p in patterns]}


def matches(*patterns: dict[str, Any]) -> bool:
    return passes(parse_filters(criteria(*patterns)), INSERT)


@pytest.mark.parametrize(
    ("pattern", "expected"),
    [
        ({"eventName": ["INSERT"]}, True),
        ({"eventName": ["MODIFY", "REMOVE"]}, False),
        ({"eventName": ["MODIFY", "INSERT"]}, True),  # or
        ({"dynamodb": {"NewImage": {"status": {"S": ["Open"]}}}}, True),
        ({"dynamodb": {"NewImage": {"status": {"S": ["Closed"]}}}}, False),
        ({"eventName": ["INSERT"], "awsRegion": ["eu-west-1"]}, False),  # and
        ({"dynamodb": {"NewImage": {"tags": {"SS": ["blue"]}}}}, True),  # any element of a list
        ({"nothing": [None]}, True),  # null
        ({"empty": [""]}, True),  # empty
        ({"eventName": [{"equals-ignore-case": "insert"}]}, True),
        ({"eventName": [{"prefix": "INS"}]}, True),
        ({"eventName": [{"suffix": "ERT"}]}, True),
        ({"eventName": [{"anything-but": ["REMOVE", "MODIFY"]}]}, True),
        ({"eventName": [{"anything-but": "INSERT"}]}, False),
        ({"score": [{"numeric": ["=", 7]}]}, True),
        ({"score": [{"numeric": [">", 0, "<=", 5]}]}, False),
        ({"score": [{"numeric": [">=", 7, "<", 10]}]}, True),
        # DynamoDB numbers are strings in the record, so a numeric rule never matches them
        ({"dynamodb": {"NewImage": {"priority": {"N": [{"numeric": [">", 1]}]}}}}, False),
        ({"dynamodb": {"OldImage": [{"exists": False}]}}, True),
        ({"dynamodb": {"NewImage": {"status": [{"exists": True}]}}}, True),
        ({"missing": [{"exists": True}]}, False),
        ({"$or": [{"eventName": ["REMOVE"]}, {"score": [7]}]}, True),
        ({"$or": [{"eventName": ["REMOVE"]}, {"score": [8]}]}, False),
    ],
)
def test_a_pattern_matches_as_lambdas_filter_rules_say(
    pattern: dict[str, Any], expected: bool
) -> None:
    assert matches(pattern) is expected


def test_a_record_passes_if_any_filter_matches_and_with_no_filters() -> None:
    assert matches({"eventName": ["REMOVE"]}, {"eventName": ["INSERT"]})
    assert not matches({"eventName": ["REMOVE"]}, {"eventName": ["MODIFY"]})
    assert passes(parse_filters(None), INSERT)


@pytest.mark.parametrize(
    "pattern",
    [
        {"eventName": "INSERT"},  # a rule must be a list
        {"eventName": []},
        {"eventName": [{"wildcard": "IN*"}]},  # valid for EventBridge, not emulated here
        {"eventName": [{"prefix": 3}]},
        {"score": [{"numeric": [">>", 1]}]},
        {"$or": [{"eventName": ["INSERT"]}]},
    ],
)
def test_a_pattern_it_cannot_evaluate_is_refused_at_start_up(pattern: dict[str, Any]) -> None:
    with pytest.raises(PatternError):
        parse_filters(criteria(pattern))


def test_a_pattern_that_is_not_json_is_refused() -> None:
    with pytest.raises(PatternError, match="JSON object"):
        parse_filters({"Filters": [{"Pattern": "{eventName: INSERT"}]})

"""Enhanced subscription filters and invalidations: captured from `extensions`, then evaluated.

Sources: AppSync developer guide, "Enhanced subscription filtering" and "Unsubscribing
WebSocket connections using filters"; the `extensions` reference (setSubscriptionFilter,
setSubscriptionInvalidationFilter, invalidateSubscriptions: at most five per request); the
operators of `@aws-appsync/utils` lib/subscription-filter-types.d.ts.
"""

from __future__ import annotations

from typing import Any

import pytest

from local.appsync.filters import Extensions, Invalidation, filter_matches
from local.appsync.identity import AuthType
from local.appsync.js_runtime import JsRuntime, make_context, make_info
from local.appsync.resolvers import FieldCall, ResolverExecutor
from local.appsync.specs import DataSourceSpec, ResolverSpec

RUNTIME = JsRuntime()
NONE = DataSourceSpec("none", "NONE")
EVENT = {
    "id": "t1",
    "severity": 7,
    "title": "Disk almost full",
    "tags": ["ops", "disk"],
    "owner": {"name": "alice", "team": "infra"},
}


def subscription_filter(filter_js: str) -> dict[str, Any]:
    """The filter a response handler sets with util.transform.toSubscriptionFilter(filter_js)."""
    code = (
        "import { util, extensions } from '@aws-appsync/utils';\n"
        "export function request(ctx) { return { payload: null }; }\n"
        "export function response(ctx) {\n"
        f"  extensions.setSubscriptionFilter(util.transform.toSubscriptionFilter({filter_js}));\n"
        "  return null;\n"
        "}\n"
    )
    module = RUNTIME.load(code, f"filter {filter_js}")
    outcome = module.call("response", make_context({}, None, info=make_info("S", "f")), "API")
    assert outcome.error is None and outcome.runtime_error is None, outcome
    assert outcome.extensions.subscription_filter is not None
    return outcome.extensions.subscription_filter


@pytest.mark.parametrize(
    ("filter_js", "delivered"),
    [
        ("{ severity: { eq: 7 } }", True),
        ("{ severity: { ne: 7 } }", False),
        ("{ severity: { gt: 6 } }", True),
        ("{ severity: { ge: 8 } }", False),
        ("{ severity: { lt: 7 } }", False),
        ("{ severity: { le: 7 } }", True),
        ("{ severity: { between: [5, 7] } }", True),
        ("{ severity: { between: [8, 10] } }", False),
        ("{ severity: { in: [1, 7] } }", True),
        ("{ severity: { notIn: [1, 7] } }", False),
        ("{ title: { beginsWith: 'Disk' } }", True),
        ("{ title: { contains: 'full' } }", True),
        ("{ title: { notContains: 'full' } }", False),
        ("{ tags: { contains: 'ops' } }", True),
        ("{ tags: { containsAny: ['net', 'disk'] } }", True),
        ("{ tags: { containsAny: ['net', 'cpu'] } }", False),
        ("{ 'owner.team': { eq: 'infra' } }", True),
        ("{ missing: { eq: 1 } }", False),
        ("{ missing: { ne: 1 } }", True),
        # fields of one object are ANDed ...
        ("{ severity: { ge: 5 }, title: { beginsWith: 'CPU' } }", False),
        # ... `or` branches become filter groups, any of which may match
        ("{ or: [{ severity: { ge: 9 } }, { title: { beginsWith: 'Disk' } }] }", True),
        ("{ or: [{ severity: { ge: 9 } }, { title: { beginsWith: 'CPU' } }] }", False),
    ],
)
def test_each_operator_decides_delivery_as_documented(filter_js: str, delivered: bool):
    assert filter_matches(subscription_filter(filter_js), EVENT) is delivered


def test_groups_are_ored_and_filters_within_a_group_anded():
    two_groups = {
        "filterGroup": [
            {"filters": [{"fieldName": "severity", "operator": "gt", "value": 9}]},
            {
                "filters": [
                    {"fieldName": "severity", "operator": "gt", "value": 5},
                    {"fieldName": "id", "operator": "eq", "value": "t1"},
                ]
            },
        ]
    }
    assert filter_matches(two_groups, EVENT)
    assert not filter_matches(two_groups, {**EVENT, "id": "t2"})


def test_an_unknown_operator_is_an_error_not_a_silent_match():
    bad = {"filterGroup": [{"filters": [{"fieldName": "id", "operator": "like", "value": 1}]}]}
    with pytest.raises(ValueError, match="like"):
        filter_matches(bad, EVENT)


def test_setting_a_filter_without_the_transform_is_a_type_error():
    code = (
        "import { extensions } from '@aws-appsync/utils';\n"
        "export function request(ctx) { return { payload: null }; }\n"
        "export function response(ctx) { extensions.setSubscriptionFilter({ id: 1 }); return 1; }\n"
    )
    module = RUNTIME.load(code, "bad filter")
    outcome = module.call("response", make_context({}, None, info=make_info("S", "f")), "API")
    assert outcome.runtime_error is not None
    assert "toSubscriptionFilter" in outcome.runtime_error


def invalidating(count: int) -> ResolverSpec:
    calls = "".join(
        f"extensions.invalidateSubscriptions({{ subscriptionField: 'onAlert', "
        f"payload: {{ group: 'g{i}' }} }});"
        for i in range(count)
    )
    code = (
        "import { extensions } from '@aws-appsync/utils';\n"
        "export function request(ctx) { return { payload: 'done' }; }\n"
        f"export function response(ctx) {{ {calls} return ctx.result; }}\n"
    )
    return ResolverSpec("Mutation", "close", "UNIT", code, NONE)


CALL = FieldCall({}, None, AuthType.IAM, make_info("Mutation", "close"))


def test_a_mutation_reports_its_invalidations_with_its_value():
    run = ResolverExecutor(RUNTIME, dynamodb_client=None).run(invalidating(2), CALL)
    assert (run.value, run.errors) == ("done", [])
    assert run.extensions.invalidations == (
        Invalidation("onAlert", {"group": "g0"}),
        Invalidation("onAlert", {"group": "g1"}),
    )


def test_more_than_five_invalidations_in_a_request_is_an_error_and_invalidates_nothing():
    run = ResolverExecutor(RUNTIME, dynamodb_client=None).run(invalidating(6), CALL)
    assert run.extensions.invalidations == ()
    (error,) = run.errors
    assert "At most 5 invalidateSubscriptions" in error["message"]


def test_a_later_handler_replaces_a_filter_and_adds_invalidations():
    first = Extensions({"filterGroup": []}, None, (Invalidation("a", {}),))
    later = Extensions({"filterGroup": [{"filters": []}]}, {"filterGroup": []}, ())
    merged = first.then(later)
    assert merged.subscription_filter == {"filterGroup": [{"filters": []}]}
    assert merged.invalidation_filter == {"filterGroup": []}
    assert merged.invalidations == (Invalidation("a", {}),)

"""Subscription.ownerOnly.js: users subscribe to their own todos only."""

import pytest

FIELDS = ["onCreateTodo", "onUpdateTodo", "onDeleteTodo"]


@pytest.mark.parametrize("field", FIELDS)
def test_user_subscribes_to_own_todos(api, alice, field):
    # WHEN Alice subscribes with owner = her own sub
    value, errors = api.resolve(alice, "Subscription", field, {"owner": alice[1]["sub"]})
    # THEN the subscription is accepted (a subscription resolver answers null)
    assert (value, errors) == (None, [])


@pytest.mark.parametrize("field", FIELDS)
def test_user_cannot_subscribe_to_another_owner(api, alice, bob, field):
    # WHEN Alice subscribes to Bob's todos
    value, errors = api.resolve(alice, "Subscription", field, {"owner": bob[1]["sub"]})
    # THEN she is refused for that field
    assert value is None
    assert errors == [
        {
            "message": f"Not Authorized to access {field} on type Subscription",
            "errorType": "Unauthorized",
            "data": None,
            "errorInfo": None,
        }
    ]


def test_iam_caller_cannot_subscribe(api, the_lambda, alice):
    # WHEN an IAM caller subscribes (the schema already allows only Cognito here)
    _, errors = api.resolve(the_lambda, "Subscription", "onCreateTodo", {"owner": alice[1]["sub"]})
    # THEN the resolver refuses too
    assert [e["errorType"] for e in errors] == ["Unauthorized"]

"""Parsing at the edge: claims, groups and what AppSync returns."""

from __future__ import annotations

import pytest
from todo_api.errors import Unauthenticated
from todo_api.models import Todo, TodoPage, caller_from_claims, parse_groups

GOOD_TODO = {
    "id": "t-1",
    "owner": "user-1",
    "title": "Buy milk",
    "completed": False,
    "version": 3,
    "createdAt": "2025-11-26T10:00:00.000Z",
    "updatedAt": "2025-11-26T11:00:00.000Z",
}


@pytest.mark.parametrize(
    ("claim", "groups"),
    [
        ("admins", {"admins"}),
        ("admins,users", {"admins", "users"}),  # REST Cognito authorizer
        ("[admins users]", {"admins", "users"}),  # HTTP API JWT authorizer
        ("[admins, users]", {"admins", "users"}),
        ('["admins","users"]', {"admins", "users"}),
        (["admins", "users"], {"admins", "users"}),  # a real list
        ("", set()),
        (None, set()),
        ("[]", set()),
    ],
)
def test_groups_are_read_from_every_rendering_of_the_claim(claim, groups):
    assert parse_groups(claim) == groups


def test_a_group_named_like_admins_is_not_admins():
    caller = caller_from_claims({"sub": "u", "cognito:groups": "admins-readonly,superadmins"})

    assert not caller.is_admin


def test_the_caller_is_the_sub_claim():
    caller = caller_from_claims({"sub": "user-1", "cognito:username": "alice"})

    assert caller.sub == "user-1"
    assert caller.groups == frozenset()


@pytest.mark.parametrize("claims", [None, "sub=x", {}, {"sub": ""}, {"sub": "  "}, {"sub": 7}])
def test_claims_without_a_usable_sub_are_unauthenticated(claims):
    with pytest.raises(Unauthenticated):
        caller_from_claims(claims)


def test_a_todo_from_appsync_round_trips_to_the_rest_shape():
    assert Todo.from_graphql(GOOD_TODO).to_json() == GOOD_TODO


@pytest.mark.parametrize(
    ("key", "bad_value"),
    [("id", None), ("version", "3"), ("version", True), ("completed", "false"), ("title", 1)],
)
def test_a_malformed_todo_from_appsync_is_refused(key, bad_value):
    with pytest.raises(ValueError, match=key):
        Todo.from_graphql({**GOOD_TODO, key: bad_value})


def test_a_page_without_items_is_refused():
    with pytest.raises(ValueError):
        TodoPage.from_graphql({"nextToken": None})

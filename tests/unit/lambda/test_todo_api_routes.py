"""Every REST route through the real handler, with a fake data client behind it."""

from __future__ import annotations

import json

import pytest
from todo_api.errors import (
    Conflict,
    NotFound,
    UpstreamError,
    UpstreamThrottled,
    UpstreamTimeout,
    UpstreamUnavailable,
)
from todo_api_fakes import ADMIN, ALICE, BOB, TODO_ID, FakeTodoClient, invoke, load_event, make_todo

pytestmark = pytest.mark.filterwarnings("ignore:No application metrics to publish")

TODO_KEYS = {"id", "owner", "title", "completed", "version", "createdAt", "updatedAt"}


# ---------------------------------------------------------------- success paths


def test_list_returns_the_callers_todos_with_the_requested_limit(fake_client: FakeTodoClient):
    # GIVEN Alice owns one todo and Bob another
    fake_client.add(make_todo("a-1", ALICE))
    fake_client.add(make_todo("b-1", BOB))

    # WHEN Alice lists her todos with limit=10
    response = invoke(load_event("list_items.json"))

    # THEN she gets only hers, and the client was asked for her todos with her limit
    assert response.status == 200
    assert [item["id"] for item in response.json["items"]] == ["a-1"]
    assert response.json["nextToken"] is None
    assert set(response.json["items"][0]) == TODO_KEYS
    assert fake_client.calls == [("list_todos", {"owner": ALICE, "limit": 10, "next_token": None})]


def test_list_passes_next_token_and_default_limit(fake_client: FakeTodoClient):
    # GIVEN a request for the next page without a limit
    event = load_event("list_items.json")
    event["multiValueQueryStringParameters"] = {"nextToken": ["eyJwayI6ImEifQ=="]}

    # WHEN it is handled
    response = invoke(event)

    # THEN the token is forwarded and the limit defaults to 20
    assert response.status == 200
    assert fake_client.calls_to("list_todos") == [
        {"owner": ALICE, "limit": 20, "next_token": "eyJwayI6ImEifQ=="}
    ]


def test_list_reports_the_next_token_of_a_longer_list(fake_client: FakeTodoClient):
    # GIVEN Alice owns more todos than the page holds
    for number in range(3):
        fake_client.add(make_todo(f"a-{number}", ALICE))
    event = load_event("list_items.json")
    event["multiValueQueryStringParameters"] = {"limit": ["2"]}

    # WHEN she lists two at a time
    response = invoke(event)

    # THEN she gets two and a token for the rest
    assert len(response.json["items"]) == 2
    assert response.json["nextToken"] == "next-page"


def test_list_all_owners_is_allowed_for_admins(fake_client: FakeTodoClient):
    # GIVEN todos of two users and an admin whose claim lists two groups ("admins,users")
    fake_client.add(make_todo("a-1", ALICE))
    fake_client.add(make_todo("b-1", BOB))

    # WHEN the admin lists with scope=all
    response = invoke(load_event("list_items_all_admin.json"))

    # THEN every owner's todos come back, listed without an owner filter
    assert response.status == 200
    assert {item["owner"] for item in response.json["items"]} == {ALICE, BOB}
    assert fake_client.calls_to("list_todos") == [{"owner": None, "limit": 20, "next_token": None}]


@pytest.mark.parametrize("groups", [None, "users", "[users readers]", "administrators"])
def test_list_all_owners_is_forbidden_outside_admins(fake_client: FakeTodoClient, groups):
    # GIVEN a caller who is not in the admins group
    event = load_event("list_items_all_admin.json")
    claims = event["requestContext"]["authorizer"]["claims"]
    claims.pop("cognito:groups")
    if groups is not None:
        claims["cognito:groups"] = groups

    # WHEN they ask for everyone's todos
    response = invoke(event)

    # THEN they get 403 and nothing was read
    assert response.status == 403
    assert response.json["code"] == "forbidden"
    assert fake_client.calls == []


def test_list_all_owners_accepts_the_bracketed_group_rendering(fake_client: FakeTodoClient):
    # GIVEN the groups claim rendered as "[users admins]" (how JWT authorizers flatten arrays)
    event = load_event("list_items_all_admin.json")
    event["requestContext"]["authorizer"]["claims"]["cognito:groups"] = "[users admins]"

    # WHEN the admin lists everything
    response = invoke(event)

    # THEN the admin is recognised
    assert response.status == 200


def test_create_takes_the_owner_from_the_claims_and_trims_the_title(fake_client: FakeTodoClient):
    # GIVEN a create request from Alice
    event = load_event("create_item.json")

    # WHEN it is handled
    response = invoke(event)

    # THEN a todo owned by Alice, with the trimmed title, is created and returned with 201
    assert response.status == 201
    assert set(response.json) == TODO_KEYS
    assert response.json["owner"] == ALICE
    assert response.json["title"] == "Buy milk"
    assert fake_client.calls == [
        ("create_todo", {"owner": ALICE, "title": "Buy milk", "completed": False})
    ]


def test_create_refuses_an_owner_in_the_body(fake_client: FakeTodoClient):
    # GIVEN Alice tries to create a todo for Bob
    event = load_event("create_item.json")
    event["body"] = json.dumps({"title": "Sneaky", "owner": BOB})

    # WHEN it is handled
    response = invoke(event)

    # THEN the field is refused and nothing is created
    assert response.status == 400
    assert {"field": "owner", "problem": "is not a known field"} in response.json["details"]
    assert fake_client.calls == []


def test_create_defaults_completed_to_false(fake_client: FakeTodoClient):
    event = load_event("create_item.json")
    event["body"] = json.dumps({"title": "Walk the dog"})

    response = invoke(event)

    assert response.status == 201
    assert fake_client.calls_to("create_todo") == [
        {"owner": ALICE, "title": "Walk the dog", "completed": False}
    ]


def test_get_returns_the_callers_todo(fake_client: FakeTodoClient):
    # GIVEN Alice's todo
    fake_client.add(make_todo(TODO_ID, ALICE))

    # WHEN she fetches it
    response = invoke(load_event("get_item.json"))

    # THEN she gets it
    assert response.status == 200
    assert response.json == make_todo(TODO_ID, ALICE).to_json()
    assert fake_client.calls == [("get_todo", {"todo_id": TODO_ID})]


def test_update_checks_ownership_then_updates_with_the_expected_version(
    fake_client: FakeTodoClient,
):
    # GIVEN Alice's todo at version 1
    fake_client.add(make_todo(TODO_ID, ALICE))

    # WHEN she renames and completes it, expecting version 1
    response = invoke(load_event("update_item.json"))

    # THEN the update is made with expectedVersion 1 and the new todo comes back
    assert response.status == 200
    assert response.json["title"] == "Buy oat milk"
    assert response.json["completed"] is True
    assert response.json["version"] == 2
    assert [name for name, _ in fake_client.calls] == ["get_todo", "update_todo"]
    assert fake_client.calls_to("update_todo") == [
        {"todo_id": TODO_ID, "expected_version": 1, "title": "Buy oat milk", "completed": True}
    ]


def test_update_sends_only_the_fields_given(fake_client: FakeTodoClient):
    fake_client.add(make_todo(TODO_ID, ALICE))
    event = load_event("update_item.json")
    event["body"] = json.dumps({"completed": True, "version": 1})

    response = invoke(event)

    assert response.status == 200
    assert fake_client.calls_to("update_todo") == [
        {"todo_id": TODO_ID, "expected_version": 1, "title": None, "completed": True}
    ]


def test_delete_answers_204_with_an_empty_body(fake_client: FakeTodoClient):
    # GIVEN Alice's todo
    fake_client.add(make_todo(TODO_ID, ALICE))

    # WHEN she deletes it expecting version 1
    response = invoke(load_event("delete_item.json"))

    # THEN it is gone, the answer is 204 with no body
    assert response.status == 204
    assert response.text == ""
    assert TODO_ID not in fake_client.todos
    assert fake_client.calls_to("delete_todo") == [{"todo_id": TODO_ID, "expected_version": 1}]


def test_delete_without_version_deletes_unconditionally(fake_client: FakeTodoClient):
    fake_client.add(make_todo(TODO_ID, ALICE))
    event = load_event("delete_item.json")
    event["multiValueQueryStringParameters"] = None
    event["queryStringParameters"] = None

    response = invoke(event)

    assert response.status == 204
    assert fake_client.calls_to("delete_todo") == [{"todo_id": TODO_ID, "expected_version": None}]


# ---------------------------------------------------------------- another user's todo


@pytest.mark.parametrize("event_name", ["get_item.json", "update_item.json", "delete_item.json"])
def test_another_users_todo_is_answered_as_not_found(fake_client: FakeTodoClient, event_name):
    # GIVEN the todo at that id belongs to Bob
    fake_client.add(make_todo(TODO_ID, BOB))

    # WHEN Alice reads, changes or deletes it
    response = invoke(load_event(event_name))

    # THEN she gets the same 404 as for a missing todo, and nothing was changed
    assert response.status == 404
    assert response.json == {"code": "not_found", "message": "No such todo."}
    assert [name for name, _ in fake_client.calls] == ["get_todo"]
    assert fake_client.todos[TODO_ID] == make_todo(TODO_ID, BOB)


@pytest.mark.parametrize("event_name", ["get_item.json", "update_item.json", "delete_item.json"])
def test_a_missing_todo_is_not_found(fake_client: FakeTodoClient, event_name):
    response = invoke(load_event(event_name))

    assert response.status == 404
    assert response.json["code"] == "not_found"


def test_an_admin_cannot_read_another_users_todo_by_id(fake_client: FakeTodoClient):
    # GIVEN Alice's todo and an admin caller
    fake_client.add(make_todo(TODO_ID, ALICE))
    event = load_event("get_item.json")
    event["requestContext"]["authorizer"]["claims"] = {"sub": ADMIN, "cognito:groups": "admins"}

    # WHEN the admin fetches it by id
    response = invoke(event)

    # THEN the per-item routes stay owner-only
    assert response.status == 404


# ---------------------------------------------------------------- conflicts and upstream failures


@pytest.mark.parametrize("event_name", ["update_item.json", "delete_item.json"])
def test_a_version_conflict_is_409(fake_client: FakeTodoClient, event_name):
    # GIVEN Alice's todo, and AppSync reporting a ConflictError for the write
    fake_client.add(make_todo(TODO_ID, ALICE))
    client_write = fake_client.update_todo if "update" in event_name else fake_client.delete_todo

    def conflicting(*args, **kwargs):
        client_write(*args, **kwargs)
        raise Conflict()

    setattr(fake_client, client_write.__name__, conflicting)

    # WHEN she writes with a stale version
    response = invoke(load_event(event_name))

    # THEN she is told to reload
    assert response.status == 409
    assert response.json["code"] == "conflict"


@pytest.mark.parametrize(
    ("error", "status", "code"),
    [
        (UpstreamError(), 502, "upstream_error"),
        (UpstreamThrottled(retry_after=2), 503, "upstream_throttled"),
        (UpstreamUnavailable(), 503, "upstream_unavailable"),
        (UpstreamTimeout(), 504, "upstream_timeout"),
        (NotFound(), 404, "not_found"),
    ],
)
def test_upstream_failures_map_to_their_status(fake_client, error, status, code):
    # GIVEN the data layer fails
    fake_client.fail_with = error

    # WHEN Alice lists her todos
    response = invoke(load_event("list_items.json"))

    # THEN the failure has its status and code, in the error shape
    assert response.status == status
    assert response.json["code"] == code
    assert set(response.json) == {"code", "message"}


@pytest.mark.parametrize("error", [UpstreamThrottled(retry_after=2), UpstreamUnavailable()])
def test_retry_later_answers_carry_retry_after(fake_client: FakeTodoClient, error):
    fake_client.fail_with = error

    response = invoke(load_event("list_items.json"))

    assert response.status == 503
    assert response.headers["Retry-After"] == str(error.retry_after)


def test_an_unexpected_error_is_500_without_details(fake_client: FakeTodoClient):
    # GIVEN a bug deep inside: an exception with a revealing message
    fake_client.fail_with = KeyError("secret-table-name")

    # WHEN a request hits it
    response = invoke(load_event("list_items.json"))

    # THEN the client sees a generic 500, nothing of the exception or a traceback
    assert response.status == 500
    assert response.json == {
        "code": "internal_error",
        "message": "The request could not be completed.",
    }
    assert "secret" not in response.text
    assert "Traceback" not in response.text


# ---------------------------------------------------------------- identity


@pytest.mark.parametrize(
    "authorizer",
    [None, {}, {"claims": None}, {"claims": {}}, {"claims": {"email": "x@example.com"}}],
)
def test_a_request_without_a_subject_is_401(fake_client: FakeTodoClient, authorizer):
    # GIVEN an event whose authorizer carries no sub claim
    event = load_event("list_items.json")
    event["requestContext"]["authorizer"] = authorizer

    # WHEN it is handled
    response = invoke(event)

    # THEN it is refused as unauthenticated, without any data call
    assert response.status == 401
    assert response.json["code"] == "unauthorized"
    assert fake_client.calls == []


# ---------------------------------------------------------------- the HTTP surface


@pytest.mark.parametrize(
    ("method", "path"),
    [("GET", "/nothing-here"), ("PUT", "/items"), ("POST", "/items/abc"), ("GET", "/items/a/b")],
)
def test_unknown_routes_are_404_in_the_error_shape(fake_client, method, path):
    event = load_event("list_items.json")
    event.update(httpMethod=method, path=path, multiValueQueryStringParameters=None)

    response = invoke(event)

    assert response.status == 404
    assert response.json == {"code": "route_not_found", "message": "No such route."}
    assert fake_client.calls == []


@pytest.mark.parametrize("event_name", ["list_items.json", "create_item.json", "get_item.json"])
def test_responses_carry_cors_headers(fake_client: FakeTodoClient, event_name):
    fake_client.add(make_todo(TODO_ID, ALICE))

    response = invoke(load_event(event_name))

    assert response.headers["Access-Control-Allow-Origin"] == "*"
    assert "Retry-After" in response.headers["Access-Control-Expose-Headers"]


def test_error_responses_carry_cors_headers(fake_client: FakeTodoClient):
    response = invoke(load_event("get_item.json"))

    assert response.status == 404
    assert response.headers["Access-Control-Allow-Origin"] == "*"


def test_json_responses_are_not_cached(fake_client: FakeTodoClient):
    response = invoke(load_event("list_items.json"))

    assert response.headers["Content-Type"] == "application/json"
    assert response.headers["Cache-Control"] == "no-store"


def test_a_malformed_event_still_gets_a_generic_500(fake_client: FakeTodoClient):
    response = invoke({"not": "an API Gateway event"})

    assert response.status == 500
    assert response.json["code"] == "internal_error"

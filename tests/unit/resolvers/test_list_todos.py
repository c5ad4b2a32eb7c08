"""Query.listTodos: users list their own todos (owner index); the Lambda lists any owner."""

import pytest


def seed(api, owner, count, day="2024-01-01"):
    """`count` todos for `owner` with increasing createdAt; returns their ids oldest first."""
    ids = []
    for n in range(count):
        stamp = f"{day}T00:00:{n:02d}.000Z"
        todo_id = f"{owner[:4]}-{day}-{n:02d}"
        api.put(
            {
                "id": todo_id,
                "owner": owner,
                "title": f"todo {n}",
                "completed": False,
                "version": 1,
                "createdAt": stamp,
                "updatedAt": stamp,
            }
        )
        ids.append(todo_id)
    return ids


def all_pages(api, caller, arguments):
    """Follow nextToken to the end; returns the ids in the order they came and the pages."""
    ids, pages, token = [], 0, None
    while True:
        value, errors = api.resolve(caller, "Query", "listTodos", {**arguments, "nextToken": token})
        assert errors == []
        ids += [item["id"] for item in value["items"]]
        pages += 1
        token = value["nextToken"]
        if token is None:
            return ids, pages


def test_user_lists_only_own_todos(api, alice, bob):
    # GIVEN todos of Alice and of Bob
    mine = seed(api, alice[1]["sub"], 3)
    seed(api, bob[1]["sub"], 4)
    # WHEN Alice lists without an owner argument
    value, errors = api.resolve(alice, "Query", "listTodos", {})
    # THEN she sees exactly her own, newest first, and there is no further page
    assert errors == []
    assert [item["id"] for item in value["items"]] == list(reversed(mine))
    assert value["nextToken"] is None


def test_user_may_name_herself_as_owner(api, alice):
    # GIVEN a todo of Alice
    mine = seed(api, alice[1]["sub"], 1)
    # WHEN Alice lists with owner = her own sub
    value, errors = api.resolve(alice, "Query", "listTodos", {"owner": alice[1]["sub"]})
    # THEN she gets it
    assert errors == []
    assert [item["id"] for item in value["items"]] == mine


def test_user_asking_for_another_owner_is_refused(api, alice, bob):
    # GIVEN Bob has todos
    seed(api, bob[1]["sub"], 2)
    # WHEN Alice lists with owner = Bob
    value, errors = api.resolve(alice, "Query", "listTodos", {"owner": bob[1]["sub"]})
    # THEN she gets null and Unauthorized
    assert value is None
    assert [e["errorType"] for e in errors] == ["Unauthorized"]
    assert errors[0]["message"] == "Not Authorized to access listTodos on type Query"


def test_user_limit_counts_own_items_and_pages_cover_each_once(api, alice, bob):
    # GIVEN 5 todos of Alice among 30 of Bob
    mine = seed(api, alice[1]["sub"], 5)
    seed(api, bob[1]["sub"], 30)
    # WHEN Alice pages with limit 2
    first, errors = api.resolve(alice, "Query", "listTodos", {"limit": 2})
    ids, pages = all_pages(api, alice, {"limit": 2})
    # THEN the first page is full of her items, and all pages hold each of hers exactly once
    assert errors == []
    assert len(first["items"]) == 2
    assert ids == list(reversed(mine))
    assert pages == 3


def test_default_page_size_is_twenty(api, alice):
    # GIVEN 25 todos of Alice
    seed(api, alice[1]["sub"], 25)
    # WHEN she lists without a limit
    value, _ = api.resolve(alice, "Query", "listTodos", {})
    # THEN she gets 20 and a token for the rest
    assert len(value["items"]) == 20
    assert value["nextToken"] is not None


@pytest.mark.parametrize("limit", [0, -1, 101])
def test_limit_outside_1_to_100_is_a_validation_error(api, alice, limit):
    # WHEN a limit outside 1..100 is asked for
    value, errors = api.resolve(alice, "Query", "listTodos", {"limit": limit})
    # THEN nothing is listed and the error says why
    assert value is None
    assert [e["errorType"] for e in errors] == ["ValidationError"]
    assert "between 1 and 100" in errors[0]["message"]


def test_lambda_without_owner_pages_through_every_owner(api, the_lambda, alice, bob):
    # GIVEN 7 todos of Alice and 6 of Bob
    everything = seed(api, alice[1]["sub"], 7) + seed(api, bob[1]["sub"], 6)
    # WHEN the Lambda pages without an owner, 4 at a time
    ids, pages = all_pages(api, the_lambda, {"limit": 4})
    # THEN every todo comes exactly once
    assert sorted(ids) == sorted(everything)
    assert pages >= 4


def test_lambda_with_owner_lists_that_owner_only(api, the_lambda, alice, bob):
    # GIVEN todos of both users
    seed(api, alice[1]["sub"], 2)
    bobs = seed(api, bob[1]["sub"], 3)
    # WHEN the Lambda lists Bob's
    value, errors = api.resolve(the_lambda, "Query", "listTodos", {"owner": bob[1]["sub"]})
    # THEN only Bob's come back, newest first
    assert errors == []
    assert [item["id"] for item in value["items"]] == list(reversed(bobs))


def test_a_next_token_not_issued_by_the_api_is_a_validation_error(api, alice):
    value, errors = api.resolve(alice, "Query", "listTodos", {"nextToken": "made-up"})
    assert value is None
    assert errors[0]["errorType"] == "ValidationError"
    assert errors[0]["message"] == "nextToken is not valid for this list"

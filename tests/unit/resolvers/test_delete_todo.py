"""Mutation.deleteTodo (authorizeWrite -> deleteTodo): owners or the Lambda, optional version."""


def delete(api, caller, todo_id, version=None):
    todo_input = {"id": todo_id}
    if version is not None:
        todo_input["expectedVersion"] = version
    return api.resolve(caller, "Mutation", "deleteTodo", {"input": todo_input})


def test_owner_deletes_with_matching_version(api, alice):
    # GIVEN Alice's todo
    todo = api.create(alice[1]["sub"])
    # WHEN she deletes it expecting version 1
    value, errors = delete(api, alice, todo["id"], 1)
    # THEN the deleted todo is returned and it is gone
    assert errors == []
    assert value == todo
    assert api.stored(todo["id"]) is None


def test_owner_deletes_without_expected_version(api, alice):
    # GIVEN Alice's todo
    todo = api.create(alice[1]["sub"])
    # WHEN she deletes it without a version
    _, errors = delete(api, alice, todo["id"])
    # THEN it is gone
    assert errors == []
    assert api.stored(todo["id"]) is None


def test_user_cannot_delete_another_users_todo(api, alice, bob):
    # GIVEN Bob's todo
    todo = api.create(bob[1]["sub"])
    # WHEN Alice deletes it
    value, errors = delete(api, alice, todo["id"], 1)
    # THEN she is refused and it still exists
    assert value is None
    assert errors[0]["message"] == "Not Authorized to access deleteTodo on type Mutation"
    assert api.stored(todo["id"]) == todo


def test_stale_version_is_a_conflict(api, alice):
    # GIVEN Alice's todo at version 1
    todo = api.create(alice[1]["sub"])
    # WHEN she deletes it expecting version 3
    value, errors = delete(api, alice, todo["id"], 3)
    # THEN ConflictError and it still exists
    assert value is None
    assert [e["errorType"] for e in errors] == ["ConflictError"]
    assert api.stored(todo["id"]) is not None


def test_missing_todo_is_not_found(api, alice):
    # WHEN Alice deletes an id that does not exist
    value, errors = delete(api, alice, "no-such-id")
    # THEN NotFound
    assert value is None
    assert [e["errorType"] for e in errors] == ["NotFound"]


def test_lambda_deletes_any_users_todo(api, the_lambda, bob):
    # GIVEN Bob's todo
    todo = api.create(bob[1]["sub"])
    # WHEN the Lambda's role deletes it
    _, errors = delete(api, the_lambda, todo["id"], 1)
    # THEN it is gone
    assert errors == []
    assert api.stored(todo["id"]) is None


def test_the_delete_itself_refuses_a_changed_version(api, the_lambda, bob):
    # GIVEN a todo that is at version 2 while the caller still believes version 1
    todo = api.create(bob[1]["sub"])
    api.resolve(
        the_lambda, "Mutation", "updateTodo", {"input": {"id": todo["id"], "expectedVersion": 1}}
    )
    # WHEN the delete step runs alone with version 1
    args = {"input": {"id": todo["id"], "expectedVersion": 1}}
    value, errors = api.resolve_step(the_lambda, "functions/deleteTodo.js", "deleteTodo", args)
    # THEN the conditional delete becomes ConflictError and the todo survives
    assert value is None
    assert [e["errorType"] for e in errors] == ["ConflictError"]
    assert api.stored(todo["id"]) is not None


def test_a_delete_that_lost_a_race_is_not_found(api, the_lambda):
    """Two deletes pass authorizeWrite; the second's DeleteItem then finds no item. AppSync
    treats a failed delete condition on a missing item as done with no result ("Handling a
    condition check failure", JavaScript DynamoDB reference), and the resolver turns that
    into NotFound, so the function answers 404 rather than failing on a null result."""
    # GIVEN a todo that another request deletes after this one's authorizeWrite step
    todo = api.create("someone")
    arguments = {"input": {"id": todo["id"], "expectedVersion": 1}}
    api.resolve_step(the_lambda, "functions/deleteTodo.js", "deleteTodo", arguments)
    # WHEN the delete step runs again for the same todo
    value, errors = api.resolve_step(the_lambda, "functions/deleteTodo.js", "deleteTodo", arguments)
    # THEN it is NotFound, not a conflict and not an empty success
    assert value is None
    assert [e["errorType"] for e in errors] == ["NotFound"]

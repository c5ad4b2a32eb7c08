"""Mutation.updateTodo (authorizeWrite -> updateTodo): owners or the Lambda, optimistic locking."""


def update(api, caller, todo_id, version, **fields):
    args = {"input": {"id": todo_id, "expectedVersion": version, **fields}}
    return api.resolve(caller, "Mutation", "updateTodo", args)


def test_owner_updates_title_and_version_grows(api, alice):
    # GIVEN Alice's todo at version 1
    todo = api.create(alice[1]["sub"], "old title")
    # WHEN she renames it, expecting version 1
    value, errors = update(api, alice, todo["id"], 1, title="new title")
    # THEN the stored todo has the new title, version 2 and a later-or-equal updatedAt
    assert errors == []
    assert value["title"] == "new title"
    assert value["version"] == 2
    assert value["updatedAt"] >= todo["updatedAt"]
    assert value["createdAt"] == todo["createdAt"]
    assert api.stored(todo["id"]) == value


def test_fields_not_given_are_kept(api, alice):
    # GIVEN Alice's todo
    todo = api.create(alice[1]["sub"], "keep me")
    # WHEN she only marks it completed
    value, _ = update(api, alice, todo["id"], 1, completed=True)
    # THEN the title is unchanged
    assert (value["title"], value["completed"]) == ("keep me", True)


def test_user_cannot_update_another_users_todo(api, alice, bob):
    # GIVEN Bob's todo
    todo = api.create(bob[1]["sub"], "bob's")
    # WHEN Alice tries to rename it
    value, errors = update(api, alice, todo["id"], 1, title="mine now")
    # THEN she is refused and the todo is untouched
    assert value is None
    assert errors[0]["message"] == "Not Authorized to access updateTodo on type Mutation"
    assert errors[0]["errorType"] == "Unauthorized"
    assert api.stored(todo["id"]) == todo


def test_stale_expected_version_is_a_conflict(api, alice):
    # GIVEN Alice's todo already updated once (version 2)
    todo = api.create(alice[1]["sub"])
    update(api, alice, todo["id"], 1, title="second")
    # WHEN an update still expects version 1
    value, errors = update(api, alice, todo["id"], 1, title="lost update")
    # THEN it fails with ConflictError and the stored title stays
    assert value is None
    assert [e["errorType"] for e in errors] == ["ConflictError"]
    assert api.stored(todo["id"])["title"] == "second"


def test_missing_todo_is_not_found(api, alice):
    # WHEN Alice updates an id that does not exist
    value, errors = update(api, alice, "no-such-id", 1, title="x")
    # THEN NotFound, and nothing is created
    assert value is None
    assert errors[0]["errorType"] == "NotFound"
    assert api.stored("no-such-id") is None


def test_lambda_updates_any_users_todo(api, the_lambda, bob):
    # GIVEN Bob's todo
    todo = api.create(bob[1]["sub"])
    # WHEN the Lambda's role updates it
    value, errors = update(api, the_lambda, todo["id"], 1, completed=True)
    # THEN it succeeds
    assert errors == []
    assert (value["completed"], value["version"]) == (True, 2)


def test_the_write_itself_refuses_a_version_changed_after_the_check(api, the_lambda, bob):
    # GIVEN a todo that moved to version 2 after authorizeWrite would have read version 1
    todo = api.create(bob[1]["sub"])
    update(api, the_lambda, todo["id"], 1, title="concurrent writer")
    # WHEN the update step runs alone with the version the check saw
    args = {"input": {"id": todo["id"], "expectedVersion": 1, "title": "stale"}}
    value, errors = api.resolve_step(the_lambda, "functions/updateTodo.js", "updateTodo", args)
    # THEN the conditional write turns into ConflictError
    assert value is None
    assert [e["errorType"] for e in errors] == ["ConflictError"]
    assert api.stored(todo["id"])["title"] == "concurrent writer"


def test_title_is_stored_trimmed(api, alice):
    todo = api.create(alice[1]["sub"])
    value, errors = update(api, alice, todo["id"], 1, title="  tidy  ")
    assert errors == []
    assert api.stored(todo["id"])["title"] == value["title"] == "tidy"


def test_a_title_the_rest_api_would_refuse_is_refused_here_too(api, alice):
    # GIVEN Alice's todo, updated directly through AppSync (not through the REST API)
    todo = api.create(alice[1]["sub"], "fine")
    bad_titles = ["   ", "x" * 257, "bell\x07", "c1\x85control"]
    for bad in bad_titles:
        # WHEN she sets a title the REST API refuses
        value, errors = update(api, alice, todo["id"], 1, title=bad)
        # THEN it is a ValidationError and nothing changed
        assert value is None, bad
        assert errors[0]["errorType"] == "ValidationError", bad
    assert api.stored(todo["id"]) == todo


def test_title_length_counts_characters_not_utf16_units(api, alice):
    todo = api.create(alice[1]["sub"])
    value, errors = update(api, alice, todo["id"], 1, title="\U0001f600" * 256)
    assert errors == []
    assert value["title"] == "\U0001f600" * 256

"""Mutation.createTodo: server-only, so only the Lambda's IAM role may create."""

import re

UUID4 = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$")
ISO_MILLIS = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")


def test_lambda_creates_todo_with_defaults(api, the_lambda, alice):
    # WHEN the Lambda creates a todo for Alice without `completed`
    args = {"input": {"owner": alice[1]["sub"], "title": "write tests"}}
    value, errors = api.resolve(the_lambda, "Mutation", "createTodo", args)
    # THEN it is stored as version 1, not completed, with a fresh id and equal timestamps
    assert errors == []
    assert UUID4.match(value["id"])
    assert value["owner"] == alice[1]["sub"]
    assert value["title"] == "write tests"
    assert value["completed"] is False
    assert value["version"] == 1
    assert ISO_MILLIS.match(value["createdAt"])
    assert value["updatedAt"] == value["createdAt"]
    assert api.stored(value["id"]) == value


def test_lambda_may_create_a_completed_todo(api, the_lambda, alice):
    # WHEN the Lambda creates a todo with completed = true
    args = {"input": {"owner": alice[1]["sub"], "title": "done", "completed": True}}
    value, _ = api.resolve(the_lambda, "Mutation", "createTodo", args)
    # THEN it is stored completed
    assert api.stored(value["id"])["completed"] is True


def test_each_creation_gets_a_new_id(api, alice):
    # WHEN two todos are created
    first, second = api.create(alice[1]["sub"]), api.create(alice[1]["sub"])
    # THEN their ids differ
    assert first["id"] != second["id"]


def test_user_pool_caller_is_refused_and_nothing_is_stored(api, alice):
    # WHEN Alice calls createTodo directly (the resolver's own check, behind @aws_iam)
    args = {"input": {"owner": alice[1]["sub"], "title": "sneaky"}}
    value, errors = api.resolve(alice, "Mutation", "createTodo", args)
    # THEN it is refused and the table stays empty
    assert value is None
    assert [e["message"] for e in errors] == [
        "Not Authorized to access createTodo on type Mutation"
    ]
    assert api.client.scan(TableName="TodoTable")["Count"] == 0


def test_the_lambda_cannot_store_a_title_the_rest_api_would_refuse(api, the_lambda):
    args = {"input": {"owner": "someone", "title": "\x00"}}
    value, errors = api.resolve(the_lambda, "Mutation", "createTodo", args)
    assert value is None
    assert errors[0]["errorType"] == "ValidationError"

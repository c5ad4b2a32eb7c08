"""Query.getTodo: Cognito users read their own todos; the Lambda's IAM role reads any."""

UNAUTHORIZED = {
    "message": "Not Authorized to access getTodo on type Query",
    "errorType": "Unauthorized",
    "data": None,
    "errorInfo": None,
}


def test_user_reads_own_todo(api, alice):
    # GIVEN a todo owned by Alice
    todo = api.create(alice[1]["sub"], "buy milk")
    # WHEN Alice reads it
    value, errors = api.resolve(alice, "Query", "getTodo", {"id": todo["id"]})
    # THEN she gets it
    assert errors == []
    assert value == todo


def test_user_reading_another_users_todo_gets_null_and_unauthorized(api, alice, bob):
    # GIVEN a todo owned by Bob
    todo = api.create(bob[1]["sub"])
    # WHEN Alice asks for its id
    value, errors = api.resolve(alice, "Query", "getTodo", {"id": todo["id"]})
    # THEN the field is null with AppSync's Unauthorized error
    assert value is None
    assert errors == [UNAUTHORIZED]


def test_missing_id_is_null_without_error(api, alice):
    # GIVEN an empty table; WHEN a todo that does not exist is read
    value, errors = api.resolve(alice, "Query", "getTodo", {"id": "no-such-id"})
    # THEN the answer is null and nothing is reported
    assert (value, errors) == (None, [])


def test_lambda_role_reads_any_users_todo(api, the_lambda, bob):
    # GIVEN a todo owned by Bob
    todo = api.create(bob[1]["sub"])
    # WHEN the Lambda's IAM role reads it
    value, errors = api.resolve(the_lambda, "Query", "getTodo", {"id": todo["id"]})
    # THEN it gets it
    assert errors == []
    assert value["owner"] == bob[1]["sub"]

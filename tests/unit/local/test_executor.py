"""The local AppSync executor: AppSync's multi-auth rules and error shapes over graphql-core.

Resolvers are replaced by a recording fake so these tests look only at what the executor adds.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from local.appsync.executor import AppSyncExecutor
from local.appsync.identity import COGNITO, IAM, Caller
from local.appsync.specs import DataSourceSpec, ResolverSpec

ROOT = Path(__file__).resolve().parents[3]
SCHEMA = (ROOT / "schema" / "schema.graphql").read_text()
PRELUDE = (ROOT / "local" / "appsync" / "prelude.graphql").read_text()

TODO = {
    "id": "t1",
    "owner": "alice",
    "title": "milk",
    "completed": False,
    "version": 1,
    "createdAt": "2026-01-01T00:00:00.000Z",
    "updatedAt": "2026-01-01T00:00:00.000Z",
}
ALICE = Caller(COGNITO, {"sub": "alice"}, groups=())
LAMBDA_ROLE = Caller(IAM, {"userArn": "arn:aws:sts::1:assumed-role/fn/x"}, principal_arn="role")
TABLE = DataSourceSpec("table", "AMAZON_DYNAMODB", "todos")


class FakeResolvers:
    def __init__(self, results: dict[str, tuple[Any, list[dict[str, Any]]]]) -> None:
        self.results = results
        self.calls: list[tuple[str, dict[str, Any], dict[str, Any]]] = []

    def __call__(self, spec, arguments, caller, source, info, headers):
        self.calls.append((spec.field_name, arguments, info))
        return self.results[spec.field_name]


def make_executor(
    fake: FakeResolvers, *, granted: set[str] | None = None, **options: Any
) -> AppSyncExecutor:
    fields = [("Query", "getTodo"), ("Query", "listTodos"), ("Mutation", "createTodo")]
    return AppSyncExecutor(
        SCHEMA,
        PRELUDE,
        default_mode=COGNITO,
        additional_modes=[IAM],
        resolvers={key: ResolverSpec(*key, "UNIT", "", TABLE) for key in fields},
        run_resolver=fake,
        policy_check=lambda caller, type_name, field: field in (granted or set()),
        **options,
    )


def test_user_gets_own_todo_with_all_fields():
    # GIVEN a getTodo resolver that returns a todo
    fake = FakeResolvers({"getTodo": (TODO, [])})
    executor = make_executor(fake)
    # WHEN a Cognito user asks for it
    body = executor.execute('{ getTodo(id: "t1") { id owner title } }', None, None, ALICE)
    # THEN the selected fields come back and the resolver saw the arguments and selection
    assert body == {"data": {"getTodo": {"id": "t1", "owner": "alice", "title": "milk"}}}
    assert fake.calls[0][1] == {"id": "t1"}
    assert fake.calls[0][2]["selectionSetList"] == ["id", "owner", "title"]


def test_user_calling_iam_only_mutation_gets_unauthorized_field_error():
    # GIVEN createTodo, which the schema marks @aws_iam only
    fake = FakeResolvers({"createTodo": (TODO, [])})
    executor = make_executor(fake)
    # WHEN a Cognito user calls it
    body = executor.execute(
        'mutation { createTodo(input: {owner: "alice", title: "x"}) { id } }', None, None, ALICE
    )
    # THEN the field is null with AppSync's Unauthorized error, and the resolver never ran
    assert body["data"] == {"createTodo": None}
    (error,) = body["errors"]
    assert error["errorType"] == "Unauthorized"
    assert error["message"] == "Not Authorized to access createTodo on type Mutation"
    assert error["path"] == ["createTodo"]
    assert error["locations"] == [{"line": 1, "column": 12, "sourceName": None}]
    assert fake.calls == []


def test_iam_caller_needs_a_policy_grant_on_the_root_field():
    # GIVEN a role granted listTodos only
    fake = FakeResolvers({"getTodo": (TODO, []), "listTodos": ({"items": [TODO]}, [])})
    executor = make_executor(fake, granted={"listTodos"})
    # WHEN it calls both fields in one request
    body = executor.execute(
        '{ getTodo(id: "t1") { id } listTodos { items { id } } }', None, None, LAMBDA_ROLE
    )
    # THEN the granted field resolves and the other is refused
    assert body["data"] == {"getTodo": None, "listTodos": {"items": [{"id": "t1"}]}}
    assert [e["path"] for e in body["errors"]] == [["getTodo"]]
    assert body["errors"][0]["errorType"] == "Unauthorized"


def test_iam_caller_cannot_subscribe_fields_marked_cognito_only():
    executor = make_executor(FakeResolvers({}))
    rule = executor.field_rule("Subscription", "onCreateTodo")
    assert rule.modes == frozenset([COGNITO])
    assert not executor.is_allowed(LAMBDA_ROLE, "Subscription", "onCreateTodo")
    assert executor.is_allowed(ALICE, "Subscription", "onCreateTodo")


def test_type_without_the_callers_directive_is_refused_on_nested_fields():
    # GIVEN a schema where TodoConnection forgets @aws_iam (the classic mistake)
    broken = SCHEMA.replace(
        "type TodoConnection @aws_cognito_user_pools @aws_iam", "type TodoConnection"
    )
    fake = FakeResolvers({"listTodos": ({"items": [TODO], "nextToken": None}, [])})
    executor = AppSyncExecutor(
        broken,
        PRELUDE,
        default_mode=COGNITO,
        additional_modes=[IAM],
        resolvers={("Query", "listTodos"): ResolverSpec("Query", "listTodos", "UNIT", "", TABLE)},
        run_resolver=fake,
        policy_check=lambda *_: True,
    )
    # WHEN the IAM caller lists
    body = executor.execute("{ listTodos { items { id } } }", None, None, LAMBDA_ROLE)
    # THEN AppSync's famous error names the nested field and type
    messages = [e["message"] for e in body["errors"]]
    assert "Not Authorized to access items on type TodoConnection" in messages


def test_resolver_error_becomes_a_field_error_with_its_type():
    fake = FakeResolvers(
        {"getTodo": (None, [{"message": "Todo not found", "errorType": "NotFound"}])}
    )
    body = make_executor(fake).execute('{ getTodo(id: "x") { id } }', None, None, ALICE)
    assert body["data"] == {"getTodo": None}
    assert body["errors"][0]["errorType"] == "NotFound"
    assert body["errors"][0]["message"] == "Todo not found"


def test_appended_errors_are_reported_next_to_the_value():
    appended = {"message": "partial", "errorType": "Warning", "data": None, "errorInfo": None}
    fake = FakeResolvers({"getTodo": (TODO, [appended])})
    body = make_executor(fake).execute('{ getTodo(id: "t1") { id } }', None, None, ALICE)
    assert body["data"] == {"getTodo": {"id": "t1"}}
    assert body["errors"] == [{"path": ["getTodo"], **appended}]


def test_query_deeper_than_the_api_limit_is_rejected_before_any_resolver_runs():
    fake = FakeResolvers({"listTodos": ({"items": []}, [])})
    executor = make_executor(fake, query_depth_limit=1)
    body = executor.execute("{ listTodos { items { id } } }", None, None, ALICE)
    assert body["data"] is None
    assert "exceeds the API's limit of 1" in body["errors"][0]["message"]
    assert fake.calls == []


def test_introspection_is_refused_when_the_api_disables_it():
    executor = make_executor(FakeResolvers({}), introspection=False)
    body = executor.execute("{ __schema { queryType { name } } }", None, None, ALICE)
    assert body["data"] is None
    assert "introspection" in body["errors"][0]["message"]


def test_invalid_document_gets_a_validation_error_without_path():
    body = make_executor(FakeResolvers({})).execute("{ nope }", None, None, ALICE)
    assert body["data"] is None
    assert body["errors"][0]["errorType"] == "ValidationError"
    assert "nope" in body["errors"][0]["message"]


def test_successful_mutation_notifies_listeners_with_the_selected_fields():
    # GIVEN a listener on the executor
    fake = FakeResolvers({"createTodo": (TODO, [])})
    executor = make_executor(fake, granted={"createTodo"})
    seen: list[tuple[str, dict[str, Any]]] = []
    executor.add_mutation_listener(lambda name, value: seen.append((name, value)))
    # WHEN the Lambda's role creates a todo
    executor.execute(
        'mutation { created: createTodo(input: {owner: "alice", title: "x"}) { id owner } }',
        None,
        None,
        LAMBDA_ROLE,
    )
    # THEN the listener gets the field name (not the alias) and what the mutation selected
    assert seen == [("createTodo", {"id": "t1", "owner": "alice"})]


def test_resolver_attached_to_unknown_field_is_refused_at_start():
    with pytest.raises(ValueError, match=r"Query\.nope"):
        AppSyncExecutor(
            SCHEMA,
            PRELUDE,
            default_mode=COGNITO,
            additional_modes=[IAM],
            resolvers={("Query", "nope"): ResolverSpec("Query", "nope", "UNIT", "", TABLE)},
            run_resolver=FakeResolvers({}),
            policy_check=lambda *_: True,
        )


def test_a_runtime_failure_keeps_its_details_out_of_the_response():
    # GIVEN a resolver that fails inside the local runtime
    def failing(*_: Any) -> Any:
        raise RuntimeError("policy arn:aws:iam::1:policy/secret-name is malformed")

    executor = make_executor(FakeResolvers({}))
    executor._run_resolver = failing
    # WHEN a user calls the field
    body = executor.execute('{ getTodo(id: "t1") { id } }', None, None, ALICE)
    # THEN the field error is recognisable but says nothing about the internals
    (error,) = body["errors"]
    assert error["errorType"] == "LocalRuntimeError"
    assert "secret-name" not in error["message"]


def test_variables_that_do_not_fit_the_input_type_are_a_validation_error():
    executor = make_executor(FakeResolvers({}))
    query = "mutation($i: CreateTodoInput!) { createTodo(input: $i) { id } }"
    body = executor.execute(query, {"i": {"owner": "a", "title": "x", "color": 1}}, None, ALICE)
    assert body["data"] is None
    assert body["errors"][0]["errorType"] == "ValidationError"
    assert "color" in body["errors"][0]["message"]


def test_introspection_answers_a_signed_in_user_when_the_api_enables_it():
    # GIVEN an API whose IntrospectionConfig is ENABLED (the default, and the dev stage's):
    # https://docs.aws.amazon.com/appsync/latest/devguide/configuration-limits.html
    executor = make_executor(FakeResolvers({}), introspection=True)
    # WHEN a Cognito user sends the query GraphiQL and codegen tools send first
    body = executor.execute(
        "{ __schema { queryType { name } types { name fields { name } } } }", None, None, ALICE
    )
    # THEN the schema comes back, down to the fields of the introspection types themselves
    assert "errors" not in body, body
    assert body["data"]["__schema"]["queryType"] == {"name": "Query"}
    todo = next(t for t in body["data"]["__schema"]["types"] if t["name"] == "Todo")
    assert {"id", "owner", "version"} <= {f["name"] for f in todo["fields"]}

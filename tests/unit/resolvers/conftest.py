"""Run the real resolver files through the local executor against an in-process moto table.

The table has the stack's shape: partition key `id`, GSI `byOwner` (owner, createdAt).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from boto3.dynamodb.types import TypeDeserializer, TypeSerializer
from moto import mock_aws

from local.appsync.identity import AuthType, cognito_identity, iam_identity
from local.appsync.js_runtime import JsRuntime, make_info
from local.appsync.resolvers import FieldCall, Resolution, ResolverExecutor
from local.appsync.specs import DataSourceSpec, FunctionSpec, ResolverSpec
from tests.unit.todo_table import create_todo_table

RESOLVERS = Path(__file__).resolve().parents[3] / "schema" / "resolvers"
TABLE = "TodoTable"
REGION = "us-east-1"

ALICE = "11111111-aaaa-4aaa-8aaa-111111111111"
BOB = "22222222-bbbb-4bbb-8bbb-222222222222"
LAMBDA_ROLE_ARN = "arn:aws:sts::123456789012:assumed-role/TodoFunctionRole/todo-fn"

TABLE_SOURCE = DataSourceSpec("TodoTableSource", "AMAZON_DYNAMODB", TABLE)
NONE_SOURCE = DataSourceSpec("NoneSource", "NONE")


def code(relative: str) -> str:
    return (RESOLVERS / relative).read_text()


def user(sub: str) -> tuple[AuthType, dict[str, Any]]:
    claims = {"sub": sub, "iss": "https://cognito-idp.local/pool", "cognito:username": sub}
    return AuthType.USER_POOL, cognito_identity(claims, ["127.0.0.1"])


def lambda_role() -> tuple[AuthType, dict[str, Any]]:
    identity = iam_identity("123456789012", LAMBDA_ROLE_ARN, "AROAEXAMPLE:todo-fn", ["127.0.0.1"])
    return AuthType.IAM, identity


def pipeline(field: str, step: str) -> ResolverSpec:
    functions = (
        FunctionSpec("authorizeWrite", code("functions/authorizeWrite.js"), TABLE_SOURCE),
        FunctionSpec(step, code(f"functions/{step}.js"), TABLE_SOURCE),
    )
    return ResolverSpec("Mutation", field, "PIPELINE", code("pipeline.js"), functions=functions)


SPECS = {
    ("Query", "getTodo"): ResolverSpec(
        "Query", "getTodo", "UNIT", code("Query.getTodo.js"), TABLE_SOURCE
    ),
    ("Query", "listTodos"): ResolverSpec(
        "Query", "listTodos", "UNIT", code("Query.listTodos.js"), TABLE_SOURCE
    ),
    ("Mutation", "createTodo"): ResolverSpec(
        "Mutation", "createTodo", "UNIT", code("Mutation.createTodo.js"), TABLE_SOURCE
    ),
    ("Mutation", "updateTodo"): pipeline("updateTodo", "updateTodo"),
    ("Mutation", "deleteTodo"): pipeline("deleteTodo", "deleteTodo"),
    **{
        ("Subscription", name): ResolverSpec(
            "Subscription", name, "UNIT", code("Subscription.ownerOnly.js"), NONE_SOURCE
        )
        for name in ("onCreateTodo", "onUpdateTodo", "onDeleteTodo")
    },
}


class Api:
    """Resolve one field the way the local AppSync endpoint does, as a given caller."""

    def __init__(self, executor: ResolverExecutor, client: Any) -> None:
        self._executor = executor
        self.client = client

    def resolve(
        self,
        caller: tuple[AuthType, dict[str, Any]],
        type_name: str,
        field: str,
        arguments: dict[str, Any],
    ) -> Resolution:
        auth_type, identity = caller
        call = FieldCall(arguments, identity, auth_type, make_info(type_name, field, arguments))
        return self._executor.execute(SPECS[(type_name, field)], call)

    def resolve_step(
        self,
        caller: tuple[AuthType, dict[str, Any]],
        function_file: str,
        field: str,
        arguments: dict[str, Any],
    ) -> Resolution:
        """Run one pipeline function alone, as a unit resolver on the table."""
        spec = ResolverSpec("Mutation", field, "UNIT", code(function_file), TABLE_SOURCE)
        auth_type, identity = caller
        call = FieldCall(arguments, identity, auth_type, make_info("Mutation", field, arguments))
        return self._executor.execute(spec, call)

    def create(self, owner: str, title: str = "a todo", **extra: Any) -> dict[str, Any]:
        """Create through the real createTodo resolver as the Lambda's role."""
        value, errors = self.resolve(
            lambda_role(), "Mutation", "createTodo", {"input": {"owner": owner, "title": title}}
        )
        assert errors == []
        return value

    def put(self, item: dict[str, Any]) -> None:
        """Write a todo straight into the table (for ordering and pagination set-ups)."""
        self.client.put_item(TableName=TABLE, Item=_marshal(item))

    def stored(self, todo_id: str) -> dict[str, Any] | None:
        item = self.client.get_item(TableName=TABLE, Key={"id": {"S": todo_id}}).get("Item")
        return None if item is None else TypeDeserializer().deserialize({"M": item})


def _marshal(item: dict[str, Any]) -> dict[str, Any]:
    serializer = TypeSerializer()
    return {key: serializer.serialize(value) for key, value in item.items()}


def create_table(client: Any) -> None:
    create_todo_table(client, TABLE)


Caller = tuple[AuthType, dict[str, Any]]


@pytest.fixture
def alice() -> Caller:
    return user(ALICE)


@pytest.fixture
def bob() -> Caller:
    return user(BOB)


@pytest.fixture
def the_lambda() -> Caller:
    return lambda_role()


@pytest.fixture(scope="session")
def js_runtime() -> JsRuntime:
    return JsRuntime()


@pytest.fixture
def api(js_runtime: JsRuntime, monkeypatch: pytest.MonkeyPatch) -> Iterator[Api]:
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
        monkeypatch.setenv(name, "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)
    with mock_aws():
        client = boto3.client("dynamodb", region_name=REGION)
        create_table(client)
        yield Api(ResolverExecutor(js_runtime, client), client)

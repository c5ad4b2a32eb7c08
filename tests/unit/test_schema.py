"""schema/schema.graphql parses with AppSync's prelude and its auth directives are closed.

Closure: for each auth mode, every object type reachable from a root field that mode may
call carries that mode's directive. Forgetting one is the classic
"Not Authorized to access items on type TodoConnection".
"""

from pathlib import Path

import pytest
from graphql import GraphQLObjectType, GraphQLSchema, build_schema, get_named_type

ROOT = Path(__file__).resolve().parents[2]
SCHEMA_SDL = (ROOT / "schema" / "schema.graphql").read_text()
PRELUDE_SDL = (ROOT / "local" / "appsync" / "prelude.graphql").read_text()

COGNITO = "aws_cognito_user_pools"
IAM = "aws_iam"
DEFAULT_MODE = COGNITO  # the API's default authorization mode
AUTH_DIRECTIVES = {COGNITO, IAM, "aws_api_key", "aws_oidc", "aws_lambda"}
ROOTS = ("Query", "Mutation", "Subscription")


def build(sdl: str = SCHEMA_SDL) -> GraphQLSchema:
    return build_schema(PRELUDE_SDL + "\n" + sdl)


def directives(node) -> set[str]:
    return {d.name.value for d in (node.directives or ())} if node else set()


def field_modes(schema: GraphQLSchema, type_name: str, field_name: str) -> set[str]:
    """The modes allowed on a root field: its own directives, else its type's, else default."""
    parent = schema.get_type(type_name)
    own = directives(parent.fields[field_name].ast_node) & AUTH_DIRECTIVES
    on_type = directives(parent.ast_node) & AUTH_DIRECTIVES
    return own or on_type or {DEFAULT_MODE}


def reachable_types(schema: GraphQLSchema, type_name: str, field_name: str) -> set[str]:
    """Object types reachable from a root field through field return types."""
    seen: set[str] = set()
    pending = [get_named_type(schema.get_type(type_name).fields[field_name].type)]
    while pending:
        named = pending.pop()
        if not isinstance(named, GraphQLObjectType) or named.name in seen:
            continue
        seen.add(named.name)
        pending.extend(get_named_type(f.type) for f in named.fields.values())
    return seen


def closure_violations(schema: GraphQLSchema) -> set[tuple[str, str]]:
    """(mode, type) pairs where a reachable type lacks the mode's directive."""
    violations = set()
    for root in ROOTS:
        for field_name in schema.get_type(root).fields:
            for mode in field_modes(schema, root, field_name):
                for type_name in reachable_types(schema, root, field_name):
                    if mode not in directives(schema.get_type(type_name).ast_node):
                        violations.add((mode, type_name))
    return violations


def test_schema_builds_with_the_appsync_prelude():
    # WHEN the schema is built after the prelude; THEN the root types exist
    schema = build()
    assert {schema.query_type.name, schema.mutation_type.name} == {"Query", "Mutation"}
    assert schema.subscription_type.name == "Subscription"


def test_every_reachable_type_carries_the_modes_of_its_root_fields():
    # WHEN the closure is checked on the real schema; THEN nothing is missing
    assert closure_violations(build()) == set()


def test_closure_check_catches_a_missing_directive():
    # GIVEN the schema with @aws_iam removed from TodoConnection
    broken = SCHEMA_SDL.replace(
        "type TodoConnection @aws_cognito_user_pools @aws_iam",
        "type TodoConnection @aws_cognito_user_pools",
    )
    assert broken != SCHEMA_SDL
    # WHEN the closure is checked; THEN exactly that gap is reported
    assert closure_violations(build(broken)) == {(IAM, "TodoConnection")}


def test_create_todo_is_iam_only():
    assert field_modes(build(), "Mutation", "createTodo") == {IAM}


@pytest.mark.parametrize("field", ["getTodo", "listTodos"])
def test_queries_allow_users_and_the_lambda(field):
    assert field_modes(build(), "Query", field) == {COGNITO, IAM}


@pytest.mark.parametrize("field", ["updateTodo", "deleteTodo"])
def test_updates_and_deletes_allow_users_and_the_lambda(field):
    assert field_modes(build(), "Mutation", field) == {COGNITO, IAM}


@pytest.mark.parametrize("field", ["onCreateTodo", "onUpdateTodo", "onDeleteTodo"])
def test_subscriptions_are_cognito_only(field):
    assert field_modes(build(), "Subscription", field) == {COGNITO}


@pytest.mark.parametrize(
    ("field", "mutation"),
    [
        ("onCreateTodo", "createTodo"),
        ("onUpdateTodo", "updateTodo"),
        ("onDeleteTodo", "deleteTodo"),
    ],
)
def test_each_subscription_follows_its_mutation_and_type(field, mutation):
    # GIVEN the subscription's @aws_subscribe directive
    schema = build()
    node = schema.subscription_type.fields[field].ast_node
    (subscribe,) = [d for d in node.directives if d.name.value == "aws_subscribe"]
    mutations = [v.value for v in subscribe.arguments[0].value.values]
    # THEN it names the mutation, which returns the same type
    assert mutations == [mutation]
    assert str(schema.mutation_type.fields[mutation].type) == str(
        schema.subscription_type.fields[field].type
    )

"""Every mutation the Lambda sends selects every field a subscription to it could ask for.

AppSync delivers to subscribers only what the triggering mutation selected; a field the
Lambda's document forgot would reach every subscribed client as null. Both the schema and the
documents are parsed with graphql-core.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import pytest
from graphql import (
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLObjectType,
    GraphQLSchema,
    InlineFragmentNode,
    OperationDefinitionNode,
    SelectionSetNode,
    build_schema,
    get_named_type,
    is_object_type,
    parse,
)
from todo_api import documents

ROOT = Path(__file__).resolve().parents[3]
SCHEMA = build_schema(
    (ROOT / "local" / "appsync" / "prelude.graphql").read_text()
    + (ROOT / "schema" / "schema.graphql").read_text()
)
MUTATIONS = {op.field: op for op in documents.ALL_OPERATIONS if op.is_mutation}


def subscribed_mutations(schema: GraphQLSchema) -> list[tuple[str, str]]:
    """(subscription field, mutation) for each mutation named in an @aws_subscribe."""
    pairs = []
    assert schema.subscription_type is not None
    for name, gql_field in schema.subscription_type.fields.items():
        node = gql_field.ast_node
        for directive in node.directives if node and node.directives else ():
            if directive.name.value == "aws_subscribe":
                for argument in directive.arguments or ():
                    values = getattr(argument.value, "values", ())
                    pairs.extend((name, value.value) for value in values)
    return pairs


def every_field(object_type: GraphQLObjectType, prefix: str = "") -> set[str]:
    """All field paths a client could select on the type (nested objects included)."""
    paths = set()
    for name, gql_field in object_type.fields.items():
        paths.add(prefix + name)
        named = get_named_type(gql_field.type)
        if is_object_type(named):
            paths |= every_field(named, f"{prefix}{name}/")  # type: ignore[arg-type]
    return paths


def selected_paths(document: str, root_field: str) -> set[str]:
    """Field paths the document selects under `root_field`, fragments expanded."""
    parsed = parse(document)
    fragments = {
        d.name.value: d for d in parsed.definitions if isinstance(d, FragmentDefinitionNode)
    }
    operation = next(d for d in parsed.definitions if isinstance(d, OperationDefinitionNode))
    roots = [n for n in _fields([operation.selection_set], fragments) if n.name.value == root_field]
    return _paths([r.selection_set for r in roots if r.selection_set], fragments, "")


def _fields(
    selection_sets: Iterable[SelectionSetNode], fragments: dict[str, FragmentDefinitionNode]
) -> list[FieldNode]:
    nodes: list[FieldNode] = []
    for selection_set in selection_sets:
        for selection in selection_set.selections:
            if isinstance(selection, FieldNode):
                nodes.append(selection)
            elif isinstance(selection, InlineFragmentNode):
                nodes.extend(_fields([selection.selection_set], fragments))
            elif isinstance(selection, FragmentSpreadNode):
                nodes.extend(_fields([fragments[selection.name.value].selection_set], fragments))
    return nodes


def _paths(
    selection_sets: list[SelectionSetNode],
    fragments: dict[str, FragmentDefinitionNode],
    prefix: str,
) -> set[str]:
    paths = set()
    for node in _fields(selection_sets, fragments):
        paths.add(prefix + node.name.value)
        if node.selection_set:
            paths |= _paths([node.selection_set], fragments, f"{prefix}{node.name.value}/")
    return paths


def missing_fields(
    schema: GraphQLSchema, subscription: str, document: str, mutation: str
) -> set[str]:
    assert schema.subscription_type is not None
    returned = get_named_type(schema.subscription_type.fields[subscription].type)
    assert is_object_type(returned)
    return every_field(returned) - selected_paths(document, mutation)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("subscription", "mutation"), subscribed_mutations(SCHEMA), ids=lambda value: value
)
def test_lambda_mutation_selects_every_field_its_subscribers_can_ask_for(
    subscription: str, mutation: str
):
    operation = MUTATIONS.get(mutation)
    assert operation is not None, f"the Lambda sends no {mutation} document"
    assert missing_fields(SCHEMA, subscription, operation.document, mutation) == set()


def test_every_lambda_mutation_triggers_a_subscription():
    triggered = {mutation for _, mutation in subscribed_mutations(SCHEMA)}
    assert set(MUTATIONS) <= triggered


def test_a_document_that_forgets_a_field_is_caught():
    document = 'mutation { createTodo(input: {owner: "o", title: "t"}) { ...F } } '
    document += "fragment F on Todo { id owner title completed createdAt updatedAt }"
    assert missing_fields(SCHEMA, "onCreateTodo", document, "createTodo") == {"version"}

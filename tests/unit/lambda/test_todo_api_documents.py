"""The GraphQL documents are valid against schema/schema.graphql and share one fragment."""

from __future__ import annotations

from pathlib import Path

import pytest
from graphql import FragmentSpreadNode, build_schema, parse, validate, visit
from graphql.language import Visitor
from todo_api import documents

SCHEMA_FILE = Path(__file__).resolve().parents[3] / "schema" / "schema.graphql"

# What AppSync adds to every schema: its scalars and auth directives.
APPSYNC_PRELUDE = """
scalar AWSDateTime
directive @aws_iam on OBJECT | FIELD_DEFINITION
directive @aws_cognito_user_pools(cognito_groups: [String]) on OBJECT | FIELD_DEFINITION
directive @aws_api_key on OBJECT | FIELD_DEFINITION
directive @aws_oidc on OBJECT | FIELD_DEFINITION
directive @aws_lambda on OBJECT | FIELD_DEFINITION
directive @aws_subscribe(mutations: [String]) on FIELD_DEFINITION
"""
TODO_FIELDS = {"id", "owner", "title", "completed", "version", "createdAt", "updatedAt"}


@pytest.fixture(scope="module")
def schema():
    return build_schema(APPSYNC_PRELUDE + SCHEMA_FILE.read_text())


@pytest.mark.parametrize("operation", documents.ALL_OPERATIONS, ids=lambda op: op.name)
def test_each_document_validates_against_the_schema(schema, operation):
    assert validate(schema, parse(operation.document)) == []


@pytest.mark.parametrize("operation", documents.ALL_OPERATIONS, ids=lambda op: op.name)
def test_each_document_selects_the_todo_through_the_shared_fragment(operation):
    spreads: list[str] = []

    class Spreads(Visitor):
        def enter_fragment_spread(self, node: FragmentSpreadNode, *_args):
            spreads.append(node.name.value)

    visit(parse(operation.document), Spreads())

    assert spreads == ["TodoFields"]


def test_the_fragment_selects_every_todo_field(schema):
    fragment = parse(documents.TODO_FIELDS).definitions[0]
    selected = {selection.name.value for selection in fragment.selection_set.selections}

    assert selected == TODO_FIELDS == set(schema.type_map["Todo"].fields)


@pytest.mark.parametrize("operation", documents.ALL_OPERATIONS, ids=lambda op: op.name)
def test_the_operation_kind_matches_the_document(operation):
    definition = parse(operation.document).definitions[0]

    assert definition.operation.value == ("mutation" if operation.is_mutation else "query")
    assert definition.name.value == operation.name

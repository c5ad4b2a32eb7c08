"""A non-dev stage keeps its data and hides the schema."""

import pytest

from tests.infra.cdk_synth import Synthesized

pytestmark = pytest.mark.infra


def test_prod_stage_disables_introspection(prod: Synthesized) -> None:
    # GIVEN the app synthesized with -c stage=prod
    # WHEN reading the GraphQL API
    _, api = prod.single("AWS::AppSync::GraphQLApi")
    # THEN clients cannot introspect the schema
    assert api["Properties"]["IntrospectionConfig"] == "DISABLED"


@pytest.mark.parametrize(
    "resource_type", ["AWS::DynamoDB::Table", "AWS::Cognito::UserPool", "AWS::Logs::LogGroup"]
)
def test_prod_stage_retains_stateful_resources(prod: Synthesized, resource_type: str) -> None:
    # The idempotency table is the exception: its records expire within the hour anyway.
    resources = [r for k, r in prod.of_type(resource_type).items() if "Idempotency" not in k]
    assert resources
    assert {(r["DeletionPolicy"], r["UpdateReplacePolicy"]) for r in resources} == {
        ("Retain", "Retain")
    }


def test_prod_stage_turns_on_deletion_protection(prod: Synthesized) -> None:
    (table,) = [
        t for k, t in prod.of_type("AWS::DynamoDB::Table").items() if "Idempotency" not in k
    ]
    _, pool = prod.single("AWS::Cognito::UserPool")
    assert table["Properties"]["DeletionProtectionEnabled"] is True
    assert pool["Properties"]["DeletionProtection"] == "ACTIVE"


def test_prod_stage_names_the_rest_stage_and_stack(prod: Synthesized) -> None:
    _, stage = prod.single("AWS::ApiGateway::Stage")
    assert stage["Properties"]["StageName"] == "prod"
    assert (prod.outdir / "TodoApp-prod.template.json").is_file()

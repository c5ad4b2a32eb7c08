"""What a reviewer checks before the first production deploy: OAuth, account-wide settings,
log retention, CORS origins and the idempotency table."""

from pathlib import Path

import pytest

from stacks.settings import SettingsError, settings_from_context
from tests.infra.cdk_synth import Synthesized, render
from tests.infra.conftest import PROD_ORIGIN

pytestmark = pytest.mark.infra


# --- Cognito app client ---------------------------------------------------------------------


def test_app_client_enables_no_oauth_flow_or_callback(dev: Synthesized) -> None:
    # GIVEN the app client (clients sign in with SRP or password, never the hosted UI)
    _, client = dev.single("AWS::Cognito::UserPoolClient")
    properties = client["Properties"]
    # THEN no OAuth grant, scope or redirect URL is enabled (CDK's default adds example.com)
    assert properties["AllowedOAuthFlowsUserPoolClient"] is False
    for key in ("AllowedOAuthFlows", "AllowedOAuthScopes", "CallbackURLs", "LogoutURLs"):
        assert key not in properties


# --- API Gateway account settings -----------------------------------------------------------


def test_dev_stage_owns_the_api_gateway_account_role_and_keeps_it(dev: Synthesized) -> None:
    _, account = dev.single("AWS::ApiGateway::Account")
    assert account["DeletionPolicy"] == "Retain"
    role_id = account["Properties"]["CloudWatchRoleArn"]["Fn::GetAtt"][0]
    assert dev.resources[role_id]["DeletionPolicy"] == "Retain"


def test_a_stack_with_the_flag_off_leaves_the_account_setting_alone(prod: Synthesized) -> None:
    # GIVEN prod synthesized with -c apiGatewayAccount=false (dev owns the setting)
    # THEN it neither sets the account's CloudWatch role nor creates one
    assert prod.of_type("AWS::ApiGateway::Account") == {}
    roles = prod.of_type("AWS::IAM::Role").values()
    policies = [str(r["Properties"].get("ManagedPolicyArns", "")) for r in roles]
    assert not any("AmazonAPIGatewayPushToCloudWatchLogs" in p for p in policies)


@pytest.mark.parametrize("value", ["maybe", "2"])
def test_an_unclear_account_flag_stops_the_synth(value: str) -> None:
    with pytest.raises(SettingsError, match="apiGatewayAccount"):
        settings_from_context({"stage": "dev", "apiGatewayAccount": value})


# --- Execution logs ------------------------------------------------------------------------


@pytest.mark.parametrize("stage", ["dev", "prod"])
def test_execution_log_group_has_retention_and_exists_before_the_stage(
    dev: Synthesized, prod: Synthesized, stage: str
) -> None:
    synthesized = {"dev": dev, "prod": prod}[stage]
    api_id, _ = synthesized.single("AWS::ApiGateway::RestApi")
    stage_id, stage_resource = synthesized.single("AWS::ApiGateway::Stage")
    groups = {
        logical_id: group
        for logical_id, group in synthesized.of_type("AWS::Logs::LogGroup").items()
        if "LogGroupName" in group["Properties"]
        and render(group["Properties"]["LogGroupName"]).startswith("API-Gateway-Execution-Logs_")
    }
    ((group_id, group),) = groups.items()
    assert render(group["Properties"]["LogGroupName"]) == (
        f"API-Gateway-Execution-Logs_${{{api_id}}}/{stage}"
    )
    assert group["Properties"]["RetentionInDays"] == 30
    assert group_id in stage_resource["DependsOn"], stage_id


# --- CORS -----------------------------------------------------------------------------------


def _preflight_origins(synthesized: Synthesized) -> set[str]:
    origins = set()
    for method in synthesized.of_type("AWS::ApiGateway::Method").values():
        if method["Properties"]["HttpMethod"] != "OPTIONS":
            continue
        (response,) = method["Properties"]["Integration"]["IntegrationResponses"]
        origins.add(
            response["ResponseParameters"]["method.response.header.Access-Control-Allow-Origin"]
        )
    return origins


def _function_environment(synthesized: Synthesized) -> dict[str, object]:
    (function,) = synthesized.of_type("AWS::Lambda::Function").values()
    variables: dict[str, object] = function["Properties"]["Environment"]["Variables"]
    return variables


@pytest.mark.parametrize(("stage", "origin"), [("dev", "*"), ("prod", PROD_ORIGIN)])
def test_each_stage_answers_browsers_from_its_own_origin_only(
    dev: Synthesized, prod: Synthesized, stage: str, origin: str
) -> None:
    synthesized = {"dev": dev, "prod": prod}[stage]
    # the preflight, every gateway error and the function's own answers name the same origin
    assert _preflight_origins(synthesized) == {f"'{origin}'"}
    for response in synthesized.of_type("AWS::ApiGateway::GatewayResponse").values():
        headers = response["Properties"]["ResponseParameters"]
        assert headers["gatewayresponse.header.Access-Control-Allow-Origin"] == f"'{origin}'"
    assert _function_environment(synthesized)["CORS_ALLOW_ORIGIN"] == origin


def test_browsers_may_send_the_idempotency_key(dev: Synthesized) -> None:
    for method in dev.of_type("AWS::ApiGateway::Method").values():
        if method["Properties"]["HttpMethod"] == "OPTIONS":
            (response,) = method["Properties"]["Integration"]["IntegrationResponses"]
            allowed = response["ResponseParameters"][
                "method.response.header.Access-Control-Allow-Headers"
            ]
            assert "Idempotency-Key" in allowed


@pytest.mark.parametrize(
    ("context", "message"),
    [
        ({"stage": "prod"}, "needs the origin"),
        ({"stage": "prod", "corsOrigin": "*"}, "dev stage only"),
        ({"stage": "prod", "corsOrigin": "https://app.example.com/path"}, "no path"),
        ({"stage": "prod", "corsOrigin": "app.example.com"}, "must be an origin"),
    ],
)
def test_a_non_dev_stage_needs_a_real_origin(context: dict[str, str], message: str) -> None:
    with pytest.raises(SettingsError, match=message):
        settings_from_context(context)


def test_cdk_json_sets_no_origin_so_each_deployment_chooses(tmp_path: Path) -> None:
    settings = settings_from_context({"stage": "dev"})
    assert settings.cors_origin == "*"
    assert settings.manage_api_gateway_account is True


# --- Idempotency table ----------------------------------------------------------------------


def _idempotency_table(synthesized: Synthesized) -> tuple[str, dict[str, object]]:
    tables = synthesized.of_type("AWS::DynamoDB::Table")
    ((logical_id, table),) = [(k, t) for k, t in tables.items() if "Idempotency" in k]
    return logical_id, table


def test_idempotency_table_expires_records_and_is_on_demand(dev: Synthesized) -> None:
    _, table = _idempotency_table(dev)
    properties = table["Properties"]
    assert properties["KeySchema"] == [{"AttributeName": "id", "KeyType": "HASH"}]
    assert properties["TimeToLiveSpecification"] == {"AttributeName": "expiration", "Enabled": True}
    assert properties["BillingMode"] == "PAY_PER_REQUEST"


def test_function_may_use_the_idempotency_table_for_item_calls_only(dev: Synthesized) -> None:
    table_id, _ = _idempotency_table(dev)
    ((function_id, function),) = dev.of_type("AWS::Lambda::Function").items()
    role_id = function["Properties"]["Role"]["Fn::GetAtt"][0]
    statements = [
        statement
        for policy in dev.of_type("AWS::IAM::Policy").values()
        if {"Ref": role_id} in policy["Properties"]["Roles"]
        for statement in policy["Properties"]["PolicyDocument"]["Statement"]
        if any(str(a).startswith("dynamodb:") for a in _as_list(statement["Action"]))
    ]
    assert len(statements) == 1, function_id
    assert sorted(_as_list(statements[0]["Action"])) == [
        "dynamodb:DeleteItem",
        "dynamodb:GetItem",
        "dynamodb:PutItem",
        "dynamodb:UpdateItem",
    ]
    assert statements[0]["Resource"] == {"Fn::GetAtt": [table_id, "Arn"]}
    assert _function_environment(dev)["IDEMPOTENCY_TABLE_NAME"] == {"Ref": table_id}


def _as_list(value: object) -> list[object]:
    return value if isinstance(value, list) else [value]

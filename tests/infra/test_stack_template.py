"""Properties of the dev stack's template that clients and the security model rely on."""

import json
from typing import Any

import jsonschema
import pytest

from tests.infra.cdk_synth import RESOLVERS_DIR, Synthesized, render

pytestmark = pytest.mark.infra

ROUTES = {("/items", "GET"), ("/items", "POST"), ("/items/{id}", "GET")} | {
    ("/items/{id}", "PATCH"),
    ("/items/{id}", "DELETE"),
}
GRANTED_FIELDS = {
    ("Query", "getTodo"),
    ("Query", "listTodos"),
    ("Mutation", "createTodo"),
    ("Mutation", "updateTodo"),
    ("Mutation", "deleteTodo"),
}


def _graphql_api(dev: Synthesized) -> tuple[str, dict[str, Any]]:
    return dev.single("AWS::AppSync::GraphQLApi")


def _resource_paths(dev: Synthesized) -> dict[str, str]:
    resources = dev.of_type("AWS::ApiGateway::Resource")

    def path(logical_id: str) -> str:
        properties = resources[logical_id]["Properties"]
        parent = properties["ParentId"]
        prefix = path(parent["Ref"]) if "Ref" in parent else ""
        return f"{prefix}/{properties['PathPart']}"

    return {logical_id: path(logical_id) for logical_id in resources}


def _methods(dev: Synthesized) -> dict[tuple[str, str], dict[str, Any]]:
    paths = _resource_paths(dev)
    methods = {}
    for method in dev.of_type("AWS::ApiGateway::Method").values():
        properties = method["Properties"]
        resource = properties["ResourceId"]
        path = paths[resource["Ref"]] if "Ref" in resource else "/"
        methods[(path, properties["HttpMethod"])] = properties
    return methods


def _function_role_statements(dev: Synthesized) -> list[dict[str, Any]]:
    _, function = dev.single("AWS::Lambda::Function")
    role_id = function["Properties"]["Role"]["Fn::GetAtt"][0]
    statements = []
    for policy in dev.of_type("AWS::IAM::Policy").values():
        if {"Ref": role_id} in policy["Properties"]["Roles"]:
            statements += policy["Properties"]["PolicyDocument"]["Statement"]
    return statements


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


# --- GraphQL authorization -------------------------------------------------------------


def test_graphql_default_auth_is_the_user_pool(dev: Synthesized) -> None:
    # GIVEN the synthesized dev stack
    pool_id, _ = dev.single("AWS::Cognito::UserPool")
    # WHEN reading the GraphQL API
    _, api = _graphql_api(dev)
    # THEN callers authenticate with the stack's own Cognito user pool by default
    assert api["Properties"]["AuthenticationType"] == "AMAZON_COGNITO_USER_POOLS"
    assert api["Properties"]["UserPoolConfig"]["UserPoolId"] == {"Ref": pool_id}


def test_graphql_additional_auth_is_iam_only(dev: Synthesized) -> None:
    _, api = _graphql_api(dev)
    providers = api["Properties"]["AdditionalAuthenticationProviders"]
    assert providers == [{"AuthenticationType": "AWS_IAM"}]


def test_graphql_api_has_no_api_key(dev: Synthesized) -> None:
    assert dev.of_type("AWS::AppSync::ApiKey") == {}
    assert "API_KEY" not in json.dumps(dev.template)


def test_graphql_api_limits_depth_and_traces(dev: Synthesized) -> None:
    _, api = _graphql_api(dev)
    assert api["Properties"]["QueryDepthLimit"] == 5
    assert api["Properties"]["XrayEnabled"] is True


def test_graphql_logs_errors_without_verbose_content(dev: Synthesized) -> None:
    _, api = _graphql_api(dev)
    log_config = api["Properties"]["LogConfig"]
    assert log_config["FieldLogLevel"] == "ERROR"
    assert log_config["ExcludeVerboseContent"] is True


def test_graphql_log_group_has_retention(dev: Synthesized) -> None:
    api_id, _ = _graphql_api(dev)
    groups = [
        group["Properties"]
        for group in dev.of_type("AWS::Logs::LogGroup").values()
        if "LogGroupName" in group["Properties"]
    ]
    appsync = [g for g in groups if render(g["LogGroupName"]).startswith("/aws/appsync/")]
    assert [render(g["LogGroupName"]) for g in appsync] == [
        f"/aws/appsync/apis/${{{api_id}.ApiId}}"
    ]
    assert appsync[0]["RetentionInDays"] > 0


def test_dev_stage_allows_introspection(dev: Synthesized) -> None:
    _, api = _graphql_api(dev)
    assert api["Properties"]["IntrospectionConfig"] == "ENABLED"


# --- REST authorization ----------------------------------------------------------------


def test_rest_api_serves_exactly_the_contract_routes(dev: Synthesized) -> None:
    routes = {route for route in _methods(dev) if route[1] != "OPTIONS"}
    assert routes == ROUTES


def test_every_rest_route_requires_the_cognito_authorizer(dev: Synthesized) -> None:
    # GIVEN the one Cognito authorizer, bound to the stack's user pool
    authorizer_id, authorizer = dev.single("AWS::ApiGateway::Authorizer")
    pool_id, _ = dev.single("AWS::Cognito::UserPool")
    assert authorizer["Properties"]["Type"] == "COGNITO_USER_POOLS"
    assert render(authorizer["Properties"]["ProviderARNs"][0]) == f"${{{pool_id}.Arn}}"
    # WHEN looking at every method except CORS preflight
    for route, method in _methods(dev).items():
        if route[1] == "OPTIONS":
            continue
        # THEN each one is authorized by that authorizer
        assert method["AuthorizationType"] == "COGNITO_USER_POOLS", route
        assert method["AuthorizerId"] == {"Ref": authorizer_id}, route


def test_only_cors_preflight_is_unauthenticated(dev: Synthesized) -> None:
    open_methods = {
        route for route, method in _methods(dev).items() if method["AuthorizationType"] == "NONE"
    }
    assert open_methods == {("/items", "OPTIONS"), ("/items/{id}", "OPTIONS")}


def test_every_rest_route_goes_to_the_function_as_a_proxy(dev: Synthesized) -> None:
    function_id, _ = dev.single("AWS::Lambda::Function")
    for route, method in _methods(dev).items():
        if route[1] == "OPTIONS":
            continue
        integration = method["Integration"]
        assert integration["Type"] == "AWS_PROXY", route
        assert f"${{{function_id}.Arn}}" in render(integration["Uri"]), route


# --- What the function's role may call ---------------------------------------------------


def test_function_role_is_granted_exactly_the_five_fields(dev: Synthesized) -> None:
    # GIVEN the GraphQL API and the policies attached to the function's role
    api_id, _ = _graphql_api(dev)
    statements = [
        s for s in _function_role_statements(dev) if "appsync:GraphQL" in _as_list(s["Action"])
    ]
    # WHEN rendering every resource the role may call appsync:GraphQL on
    resources = {render(r) for s in statements for r in _as_list(s["Resource"])}
    # THEN they are the five field ARNs of this API, and nothing else
    prefix = (
        "arn:${AWS::Partition}:appsync:${AWS::Region}:${AWS::AccountId}"
        f":apis/${{{api_id}.ApiId}}"
    )
    expected = {f"{prefix}/types/{t}/fields/{f}" for t, f in GRANTED_FIELDS}
    assert resources == expected


def test_function_role_has_no_appsync_wildcard(dev: Synthesized) -> None:
    for statement in _function_role_statements(dev):
        actions = _as_list(statement["Action"])
        if any(action.startswith("appsync:") for action in actions):
            assert "appsync:*" not in actions
            assert all("*" not in render(r) for r in _as_list(statement["Resource"]))


# --- Outputs ------------------------------------------------------------------------------


def test_outputs_are_exactly_the_contract_keys(dev: Synthesized) -> None:
    assert set(dev.template["Outputs"]) == {
        "GraphQLUrl",
        "GraphQLRealtimeUrl",
        "RestApiUrl",
        "UserPoolId",
        "UserPoolClientId",
        "Region",
        "TodoFunctionRoleArn",
        "AlarmTopicArn",
    }


def test_outputs_point_at_the_stack_resources(dev: Synthesized) -> None:
    api_id, _ = _graphql_api(dev)
    _, function = dev.single("AWS::Lambda::Function")
    stage_id, _ = dev.single("AWS::ApiGateway::Stage")
    outputs = {key: render(value["Value"]) for key, value in dev.template["Outputs"].items()}
    assert outputs["GraphQLUrl"] == f"${{{api_id}.GraphQLUrl}}"
    assert outputs["GraphQLRealtimeUrl"] == f"${{{api_id}.RealtimeUrl}}"
    assert outputs["Region"] == "${AWS::Region}"
    assert outputs["TodoFunctionRoleArn"] == render(function["Properties"]["Role"])
    assert outputs["RestApiUrl"].startswith("https://")
    assert outputs["RestApiUrl"].endswith(f"/${{{stage_id}}}/")


# --- Data -------------------------------------------------------------------------------


def _todo_table(synthesized: Synthesized) -> dict[str, Any]:
    tables = synthesized.of_type("AWS::DynamoDB::Table")
    (todo_table,) = [t for k, t in tables.items() if k.startswith("DataTable")]
    return todo_table


def test_table_is_keyed_by_id(dev: Synthesized) -> None:
    table = _todo_table(dev)
    properties = table["Properties"]
    assert properties["KeySchema"] == [{"AttributeName": "id", "KeyType": "HASH"}]
    assert properties["BillingMode"] == "PAY_PER_REQUEST"
    assert properties["PointInTimeRecoverySpecification"]["PointInTimeRecoveryEnabled"] is True


def test_table_has_the_by_owner_index(dev: Synthesized) -> None:
    table = _todo_table(dev)
    properties = table["Properties"]
    (index,) = properties["GlobalSecondaryIndexes"]
    assert index["IndexName"] == "byOwner"
    assert index["KeySchema"] == [
        {"AttributeName": "owner", "KeyType": "HASH"},
        {"AttributeName": "createdAt", "KeyType": "RANGE"},
    ]
    assert index["Projection"] == {"ProjectionType": "ALL"}
    types = {a["AttributeName"]: a["AttributeType"] for a in properties["AttributeDefinitions"]}
    assert types == {"id": "S", "owner": "S", "createdAt": "S"}


def test_dev_stage_data_is_disposable(dev: Synthesized) -> None:
    table = _todo_table(dev)
    _, pool = dev.single("AWS::Cognito::UserPool")
    assert table["DeletionPolicy"] == "Delete"
    assert pool["DeletionPolicy"] == "Delete"


# --- Resolvers --------------------------------------------------------------------------


def _data_source_types(dev: Synthesized) -> dict[str, str]:
    return {
        source["Properties"]["Name"]: source["Properties"]["Type"]
        for source in dev.of_type("AWS::AppSync::DataSource").values()
    }


def _resolvers(dev: Synthesized) -> dict[str, dict[str, Any]]:
    return {
        f"{r['Properties']['TypeName']}.{r['Properties']['FieldName']}": r["Properties"]
        for r in dev.of_type("AWS::AppSync::Resolver").values()
    }


def _code_file(dev: Synthesized, properties: dict[str, Any]) -> str:
    """The resolver file (relative to schema/resolvers) whose bytes the asset holds."""
    asset = dev.asset_path(properties["CodeS3Location"]).read_bytes()
    sources = [p for p in RESOLVERS_DIR.rglob("*.js") if p.read_bytes() == asset]
    assert sources, f"asset for {properties.get('FieldName')} matches no resolver file"
    return sources[0].relative_to(RESOLVERS_DIR).as_posix()


def _source_type(dev: Synthesized, properties: dict[str, Any]) -> str:
    return _data_source_types(dev)[properties["DataSourceName"]]


@pytest.mark.parametrize(
    ("field", "file"),
    [
        ("Query.getTodo", "Query.getTodo.js"),
        ("Query.listTodos", "Query.listTodos.js"),
        ("Mutation.createTodo", "Mutation.createTodo.js"),
    ],
)
def test_table_unit_resolvers_run_their_file(dev: Synthesized, field: str, file: str) -> None:
    resolver = _resolvers(dev)[field]
    assert resolver["Kind"] == "UNIT"
    assert _source_type(dev, resolver) == "AMAZON_DYNAMODB"
    assert _code_file(dev, resolver) == file


@pytest.mark.parametrize(
    ("field", "steps"),
    [
        ("Mutation.updateTodo", ["functions/authorizeWrite.js", "functions/updateTodo.js"]),
        ("Mutation.deleteTodo", ["functions/authorizeWrite.js", "functions/deleteTodo.js"]),
    ],
)
def test_write_pipelines_authorize_then_write(
    dev: Synthesized, field: str, steps: list[str]
) -> None:
    functions = dev.of_type("AWS::AppSync::FunctionConfiguration")
    resolver = _resolvers(dev)[field]
    assert resolver["Kind"] == "PIPELINE"
    assert _code_file(dev, resolver) == "pipeline.js"
    step_ids = [ref["Fn::GetAtt"][0] for ref in resolver["PipelineConfig"]["Functions"]]
    assert [_code_file(dev, functions[i]["Properties"]) for i in step_ids] == steps
    assert {_source_type(dev, functions[i]["Properties"]) for i in step_ids} == {"AMAZON_DYNAMODB"}


def test_authorize_write_is_one_shared_function(dev: Synthesized) -> None:
    functions = dev.of_type("AWS::AppSync::FunctionConfiguration").values()
    assert sorted(f["Properties"]["Name"] for f in functions) == [
        "authorizeWrite",
        "deleteTodo",
        "updateTodo",
    ]


@pytest.mark.parametrize("field", ["onCreateTodo", "onUpdateTodo", "onDeleteTodo"])
def test_subscriptions_use_the_owner_filter_on_none(dev: Synthesized, field: str) -> None:
    resolver = _resolvers(dev)[f"Subscription.{field}"]
    assert _source_type(dev, resolver) == "NONE"
    assert _code_file(dev, resolver) == "Subscription.ownerOnly.js"


def test_every_resolver_and_function_runs_appsync_js(dev: Synthesized) -> None:
    runtime = {"Name": "APPSYNC_JS", "RuntimeVersion": "1.0.0"}
    code_owners = [
        *dev.of_type("AWS::AppSync::Resolver").values(),
        *dev.of_type("AWS::AppSync::FunctionConfiguration").values(),
    ]
    assert len(code_owners) == 8 + 3
    assert all(owner["Properties"]["Runtime"] == runtime for owner in code_owners)


# --- Cognito ----------------------------------------------------------------------------


def test_tokens_are_valid_for_sixty_minutes(dev: Synthesized) -> None:
    _, client = dev.single("AWS::Cognito::UserPoolClient")
    properties = client["Properties"]
    assert properties["IdTokenValidity"] == 60
    assert properties["AccessTokenValidity"] == 60
    assert properties["TokenValidityUnits"]["IdToken"] == "minutes"
    assert properties["TokenValidityUnits"]["AccessToken"] == "minutes"


def test_app_client_is_public_with_srp_and_password_flows(dev: Synthesized) -> None:
    _, client = dev.single("AWS::Cognito::UserPoolClient")
    properties = client["Properties"]
    assert properties.get("GenerateSecret", False) is False
    assert set(properties["ExplicitAuthFlows"]) == {
        "ALLOW_USER_SRP_AUTH",
        "ALLOW_USER_PASSWORD_AUTH",
        "ALLOW_REFRESH_TOKEN_AUTH",
    }
    assert properties["PreventUserExistenceErrors"] == "ENABLED"


def test_password_policy_is_strong(dev: Synthesized) -> None:
    _, pool = dev.single("AWS::Cognito::UserPool")
    policy = pool["Properties"]["Policies"]["PasswordPolicy"]
    assert policy["MinimumLength"] >= 12
    assert all(
        policy[flag]
        for flag in ("RequireLowercase", "RequireUppercase", "RequireNumbers", "RequireSymbols")
    )


def test_users_sign_in_with_email_and_only_admins_create_them(dev: Synthesized) -> None:
    _, pool = dev.single("AWS::Cognito::UserPool")
    properties = pool["Properties"]
    assert properties["UsernameAttributes"] == ["email"]
    assert properties["AdminCreateUserConfig"]["AllowAdminCreateUserOnly"] is True


def test_admins_group_exists(dev: Synthesized) -> None:
    pool_id, _ = dev.single("AWS::Cognito::UserPool")
    _, group = dev.single("AWS::Cognito::UserPoolGroup")
    assert group["Properties"]["GroupName"] == "admins"
    assert group["Properties"]["UserPoolId"] == {"Ref": pool_id}


# --- The function ------------------------------------------------------------------------


def test_function_runtime_and_entry_point(dev: Synthesized) -> None:
    _, function = dev.single("AWS::Lambda::Function")
    properties = function["Properties"]
    assert properties["Runtime"] == "python3.14"
    assert properties["Architectures"] == ["x86_64"]
    assert properties["Handler"] == "todo_api.handler.lambda_handler"
    assert properties["TracingConfig"] == {"Mode": "Active"}
    assert properties["LoggingConfig"]["LogFormat"] == "JSON"


def test_function_environment_points_at_the_graphql_api(dev: Synthesized) -> None:
    api_id, _ = _graphql_api(dev)
    _, function = dev.single("AWS::Lambda::Function")
    variables = function["Properties"]["Environment"]["Variables"]
    assert variables["GRAPHQL_URL"] == {"Fn::GetAtt": [api_id, "GraphQLUrl"]}
    assert {"POWERTOOLS_SERVICE_NAME", "POWERTOOLS_METRICS_NAMESPACE", "POWERTOOLS_LOG_LEVEL"} <= (
        set(variables)
    )


def test_function_logs_to_its_own_group_with_retention(dev: Synthesized) -> None:
    _, function = dev.single("AWS::Lambda::Function")
    group_id = function["Properties"]["LoggingConfig"]["LogGroup"]["Ref"]
    assert dev.resources[group_id]["Properties"]["RetentionInDays"] > 0


# --- REST request handling ---------------------------------------------------------------


def _model_schema(dev: Synthesized, route: tuple[str, str]) -> dict[str, Any]:
    method = _methods(dev)[route]
    model_id = method["RequestModels"]["application/json"]["Ref"]
    return dev.resources[model_id]["Properties"]["Schema"]


@pytest.mark.parametrize(
    "body",
    [
        {"title": "buy milk"},
        {"title": "x" * 256, "completed": True},
        {"title": "  " + "x" * 256 + "  "},  # 256 after trimming: the function decides
    ],
)
def test_create_model_accepts_valid_bodies(dev: Synthesized, body: dict[str, Any]) -> None:
    jsonschema.validate(body, _model_schema(dev, ("/items", "POST")))


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"title": ""},
        {"title": "x" * 1025},
        {"title": "a", "completed": "yes"},
        {"title": "a", "owner": "someone-else"},
    ],
)
def test_create_model_rejects_invalid_bodies(dev: Synthesized, body: dict[str, Any]) -> None:
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(body, _model_schema(dev, ("/items", "POST")))


@pytest.mark.parametrize(
    "body", [{"version": 1}, {"version": 3, "title": "new", "completed": False}]
)
def test_update_model_accepts_valid_bodies(dev: Synthesized, body: dict[str, Any]) -> None:
    jsonschema.validate(body, _model_schema(dev, ("/items/{id}", "PATCH")))


@pytest.mark.parametrize(
    "body",
    [{"title": "no version"}, {"version": 0}, {"version": 1.5}, {"version": 1, "owner": "x"}],
)
def test_update_model_rejects_invalid_bodies(dev: Synthesized, body: dict[str, Any]) -> None:
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(body, _model_schema(dev, ("/items/{id}", "PATCH")))


def test_request_validator_checks_body_and_parameters(dev: Synthesized) -> None:
    validator_id, validator = dev.single("AWS::ApiGateway::RequestValidator")
    assert validator["Properties"]["ValidateRequestBody"] is True
    assert validator["Properties"]["ValidateRequestParameters"] is True
    for route, method in _methods(dev).items():
        if route[1] != "OPTIONS":
            assert method["RequestValidatorId"] == {"Ref": validator_id}, route


def test_item_routes_require_the_id_path_parameter(dev: Synthesized) -> None:
    for (path, verb), method in _methods(dev).items():
        if path == "/items/{id}" and verb != "OPTIONS":
            assert method["RequestParameters"]["method.request.path.id"] is True


def _render_gateway_body(template: str) -> Any:
    # API Gateway substitutes $context.error.messageString with a quoted JSON string, and the
    # method and resource path as they are (neither can hold a double quote).
    rendered = template.replace("$context.error.messageString", '"a \\"quoted\\" text"')
    rendered = rendered.replace("$context.httpMethod", "POST")
    return json.loads(rendered.replace("$context.resourcePath", "/items/{id}"))


def test_gateway_errors_are_json_in_the_contract_shape(dev: Synthesized) -> None:
    responses = dev.of_type("AWS::ApiGateway::GatewayResponse").values()
    types = {r["Properties"]["ResponseType"] for r in responses}
    assert {"DEFAULT_4XX", "DEFAULT_5XX", "UNAUTHORIZED", "ACCESS_DENIED"} <= types
    assert {"BAD_REQUEST_BODY", "THROTTLED"} <= types
    for response in responses:
        template = response["Properties"]["ResponseTemplates"]["application/json"]
        assert "validationErrorString" not in template
        body = _render_gateway_body(template)
        if body["code"] == "validation_failed":  # bad body or parameters
            assert set(body) == {"code", "message", "details"}
            assert body["message"] == "The request does not fit POST /items/{id}"
        else:
            assert set(body) == {"code", "message"}
            assert body["message"] == 'a "quoted" text'


def test_gateway_errors_carry_cors_headers(dev: Synthesized) -> None:
    for response in dev.of_type("AWS::ApiGateway::GatewayResponse").values():
        parameters = response["Properties"]["ResponseParameters"]
        assert parameters["gatewayresponse.header.Access-Control-Allow-Origin"] == "'*'"


def test_stage_is_named_throttled_traced_and_access_logged(dev: Synthesized) -> None:
    _, stage = dev.single("AWS::ApiGateway::Stage")
    properties = stage["Properties"]
    assert properties["StageName"] == "dev"
    assert properties["TracingEnabled"] is True
    (settings,) = properties["MethodSettings"]
    assert settings["ThrottlingRateLimit"] > 0
    assert settings["ThrottlingBurstLimit"] > 0
    access_log = json.loads(properties["AccessLogSetting"]["Format"])
    assert access_log["requestId"] == "$context.requestId"
    assert access_log["status"] == "$context.status"


def test_throttled_answers_tell_clients_when_to_retry(dev: Synthesized) -> None:
    responses = dev.of_type("AWS::ApiGateway::GatewayResponse").values()
    (throttled,) = [r for r in responses if r["Properties"]["ResponseType"] == "THROTTLED"]
    assert (
        throttled["Properties"]["ResponseParameters"]["gatewayresponse.header.Retry-After"] == "'1'"
    )

"""TodoRestApi: the REST surface. API Gateway (Cognito authorizer) in front of the function.

The function is a deputy: it calls AppSync with its own IAM role, so that role is granted
`appsync:GraphQL` on exactly the five fields it uses, and the four item operations Powertools'
idempotency layer needs on the idempotency table, and nothing else.

Two settings are per deployment (see the README's "Deploying" section):
- `cors_origin`: the one origin browsers may call from; `*` is accepted for the dev stage only.
- `manage_account`: whether this stack owns the region's `AWS::ApiGateway::Account` (the
  CloudWatch role API Gateway logs with). It is one setting per account and region, so only
  one stack may own it; every other stack sets the context flag `apiGatewayAccount=false`.
"""

import json
from typing import NamedTuple

from aws_cdk import RemovalPolicy
from aws_cdk import aws_apigateway as apigw
from aws_cdk import aws_cognito as cognito
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from constructs import Construct

from stacks import bundling, constants, lambda_defaults
from stacks.graphql_api import TodoGraphqlApi
from stacks.nag import acknowledge

HANDLER = "todo_api.handler.lambda_handler"
JSON = "application/json"
THROTTLING_RATE_LIMIT = 50  # steady-state requests per second for the stage
THROTTLING_BURST_LIMIT = 100
ACCESS_LOG_RETENTION = logs.RetentionDays.ONE_MONTH
EXECUTION_LOG_RETENTION = logs.RetentionDays.ONE_MONTH
# What Powertools' DynamoDBPersistenceLayer calls on the idempotency table, and nothing more.
IDEMPOTENCY_TABLE_ACTIONS = (
    "dynamodb:GetItem",
    "dynamodb:PutItem",
    "dynamodb:UpdateItem",
    "dynamodb:DeleteItem",
)
ALLOWED_HEADERS = [*apigw.Cors.DEFAULT_HEADERS, constants.IDEMPOTENCY_KEY_HEADER]
# The function allows 256 characters *after trimming*; a JSON schema cannot trim, so the model
# only stops titles no trimming could bring within the limit.
TITLE_MODEL_MAX_LENGTH = 1024


def cors_headers(origin: str) -> dict[str, str]:
    """Gateway-response headers (static values are quoted strings in API Gateway)."""
    return {
        "Access-Control-Allow-Origin": f"'{origin}'",
        "Access-Control-Allow-Headers": "'" + ",".join(ALLOWED_HEADERS) + "'",
    }


# Errors API Gateway answers itself (before the function runs), in the contract's
# {"code", "message"} shape. `$context.error.messageString` is already a quoted JSON string;
# `$context.error.validationErrorString` is not used: it holds raw text with unescaped
# double quotes (e.g. `[object has missing required properties (["title"])]`).


class GatewayError(NamedTuple):
    construct_id: str
    response_type: apigw.ResponseType
    code: str  # the same codes the function uses (lambda_src/todo_api/errors.py)
    status_code: str | None = None  # None keeps API Gateway's status for the type
    retry_after: bool = False  # tell clients when to try again (seconds)


GATEWAY_ERRORS = (
    GatewayError("BadRequestBody", apigw.ResponseType.BAD_REQUEST_BODY, "validation_failed"),
    GatewayError(
        "BadRequestParams", apigw.ResponseType.BAD_REQUEST_PARAMETERS, "validation_failed"
    ),
    GatewayError("Unauthorized", apigw.ResponseType.UNAUTHORIZED, "unauthorized"),
    GatewayError("ExpiredToken", apigw.ResponseType.EXPIRED_TOKEN, "unauthorized", "401"),
    GatewayError("AccessDenied", apigw.ResponseType.ACCESS_DENIED, "forbidden"),
    GatewayError(
        "UnknownRoute", apigw.ResponseType.MISSING_AUTHENTICATION_TOKEN, "route_not_found", "404"
    ),
    GatewayError("TooLarge", apigw.ResponseType.REQUEST_TOO_LARGE, "payload_too_large"),
    GatewayError("MediaType", apigw.ResponseType.UNSUPPORTED_MEDIA_TYPE, "unsupported_media_type"),
    GatewayError("Throttled", apigw.ResponseType.THROTTLED, "throttled", retry_after=True),
    GatewayError("Timeout", apigw.ResponseType.INTEGRATION_TIMEOUT, "upstream_timeout"),
    GatewayError("Default4xx", apigw.ResponseType.DEFAULT_4_XX, "bad_request"),
    GatewayError("Default5xx", apigw.ResponseType.DEFAULT_5_XX, "internal_error"),
)


def gateway_error_body(code: str) -> str:
    if code == "validation_failed":
        # API Gateway's own message ("Invalid request body") names neither the route nor the
        # fields; say which route refused it, in the shape the function's 400s have.
        return (
            '{"code":"validation_failed",'
            '"message":"The request does not fit $context.httpMethod $context.resourcePath",'
            '"details":[{"field":"body","problem":"an unknown field, a wrong type, or a value '
            'out of range (see the REST API table in the README)"}]}'
        )
    return '{"code":"' + code + '","message":$context.error.messageString}'


def _string(min_length: int, max_length: int) -> apigw.JsonSchema:
    return apigw.JsonSchema(
        type=apigw.JsonSchemaType.STRING, min_length=min_length, max_length=max_length
    )


CREATE_TODO_SCHEMA = apigw.JsonSchema(
    schema=apigw.JsonSchemaVersion.DRAFT4,
    title="CreateTodo",
    type=apigw.JsonSchemaType.OBJECT,
    properties={
        "title": _string(1, TITLE_MODEL_MAX_LENGTH),
        "completed": apigw.JsonSchema(type=apigw.JsonSchemaType.BOOLEAN),
    },
    required=["title"],
    additional_properties=False,
)
UPDATE_TODO_SCHEMA = apigw.JsonSchema(
    schema=apigw.JsonSchemaVersion.DRAFT4,
    title="UpdateTodo",
    type=apigw.JsonSchemaType.OBJECT,
    properties={
        "title": _string(1, TITLE_MODEL_MAX_LENGTH),
        "completed": apigw.JsonSchema(type=apigw.JsonSchemaType.BOOLEAN),
        "version": apigw.JsonSchema(type=apigw.JsonSchemaType.INTEGER, minimum=1),
    },
    required=["version"],
    additional_properties=False,
)


def optional_query_strings(*names: str) -> dict[str, bool]:
    return {f"method.request.querystring.{name}": False for name in names}


def access_log_format() -> apigw.AccessLogFormat:
    field = apigw.AccessLogField
    return apigw.AccessLogFormat.custom(
        json.dumps(
            {
                "requestId": field.context_request_id(),
                "requestTime": field.context_request_time(),
                "ip": field.context_identity_source_ip(),
                "httpMethod": field.context_http_method(),
                "resourcePath": field.context_resource_path(),
                "status": field.context_status(),
                "protocol": field.context_protocol(),
                "responseLength": field.context_response_length(),
                "sub": field.context_authorizer_claims("sub"),
                "error": field.context_error_message(),
                "integrationLatency": field.context_integration_latency(),
                "xrayTraceId": field.context_xray_trace_id(),
            }
        )
    )


class TodoRestApi(Construct):
    """`/items` and `/items/{id}`, every method behind the Cognito authorizer."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        stage: str,
        cors_origin: str,
        manage_account: bool,
        user_pool: cognito.IUserPool,
        graphql: TodoGraphqlApi,
        idempotency_table: dynamodb.ITable,
        removal_policy: RemovalPolicy,
    ) -> None:
        super().__init__(scope, construct_id)
        self.cors_origin = cors_origin
        self.function = self._function(graphql, idempotency_table, removal_policy)
        self.api = self._rest_api(stage, manage_account, removal_policy)
        self.execution_logs = self._execution_log_group(stage, removal_policy)
        self._add_routes(user_pool)
        self._add_gateway_responses()

    def _function(
        self,
        graphql: TodoGraphqlApi,
        idempotency_table: dynamodb.ITable,
        removal_policy: RemovalPolicy,
    ) -> lambda_.Function:
        function = lambda_defaults.python_function(
            self,
            "Function",
            code=bundling.lambda_code(),
            handler=HANDLER,
            environment={
                constants.ENV_GRAPHQL_URL: graphql.api.graphql_url,
                constants.ENV_IDEMPOTENCY_TABLE: idempotency_table.table_name,
                constants.ENV_CORS_ALLOW_ORIGIN: self.cors_origin,
                constants.ENV_POWERTOOLS_SERVICE_NAME: constants.POWERTOOLS_SERVICE_NAME,
                constants.ENV_POWERTOOLS_METRICS_NAMESPACE: constants.POWERTOOLS_METRICS_NAMESPACE,
                constants.ENV_POWERTOOLS_LOG_LEVEL: "INFO",
            },
            removal_policy=removal_policy,
        )
        graphql.api.grant_query(function, *constants.GRANTED_QUERY_FIELDS)
        graphql.api.grant_mutation(function, *constants.GRANTED_MUTATION_FIELDS)
        idempotency_table.grant(function, *IDEMPOTENCY_TABLE_ACTIONS)
        assert function.role is not None  # lambda_defaults always gives the function a role
        self.role: iam.IRole = function.role
        acknowledge(
            self.role,
            "AwsSolutions-IAM5[Resource::*]",
            "Active tracing adds xray:PutTraceSegments and xray:PutTelemetryRecords, which "
            "support no resource-level permissions; every other statement names its resource.",
        )
        return function

    def _rest_api(
        self, stage: str, manage_account: bool, removal_policy: RemovalPolicy
    ) -> apigw.RestApi:
        access_logs = logs.LogGroup(
            self,
            "AccessLogs",
            retention=ACCESS_LOG_RETENTION,
            removal_policy=removal_policy,
        )
        api = apigw.RestApi(
            self,
            "Api",
            description="Todo REST API (Cognito-authorized, backed by AppSync)",
            endpoint_types=[apigw.EndpointType.REGIONAL],
            # True creates the CloudWatch role and AWS::ApiGateway::Account; CDK retains both
            # on stack deletion, so the account setting never points at a deleted role.
            cloud_watch_role=manage_account,
            deploy_options=apigw.StageOptions(
                stage_name=stage,
                throttling_rate_limit=THROTTLING_RATE_LIMIT,
                throttling_burst_limit=THROTTLING_BURST_LIMIT,
                tracing_enabled=True,
                metrics_enabled=True,
                logging_level=apigw.MethodLoggingLevel.ERROR,
                data_trace_enabled=False,
                access_log_destination=apigw.LogGroupLogDestination(access_logs),
                access_log_format=access_log_format(),
            ),
        )
        # RestApi adds an `Endpoint` output of its own; the stack's RestApiUrl output replaces it
        # so the outputs file holds exactly the keys in stacks/constants.py.
        api.node.try_remove_child("Endpoint")
        acknowledge(
            api.deployment_stage,
            "AwsSolutions-APIG3",
            "No WAF web ACL: every method needs a Cognito token, the stage is throttled, and "
            "bodies are schema-validated; a web ACL costs per month and is left to deployers "
            "who need IP or bot rules.",
        )
        if manage_account:
            acknowledge(
                api,
                "AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/"
                "AmazonAPIGatewayPushToCloudWatchLogs]",
                "API Gateway's account-level logging role (needed for access and execution "
                "logs) uses the AWS-managed policy made for exactly this service role.",
            )
        return api

    def _execution_log_group(self, stage: str, removal_policy: RemovalPolicy) -> logs.LogGroup:
        """The group API Gateway writes execution logs to, made first so it has a retention.

        API Gateway creates `API-Gateway-Execution-Logs_<api id>/<stage>` on first use, with
        no retention, unless it exists: the stage therefore depends on this group.
        """
        group = logs.LogGroup(
            self,
            "ExecutionLogs",
            log_group_name=f"API-Gateway-Execution-Logs_{self.api.rest_api_id}/{stage}",
            retention=EXECUTION_LOG_RETENTION,
            removal_policy=removal_policy,
        )
        self.api.deployment_stage.node.add_dependency(group)
        return group

    def _add_routes(self, user_pool: cognito.IUserPool) -> None:
        authorizer = apigw.CognitoUserPoolsAuthorizer(
            self, "Authorizer", cognito_user_pools=[user_pool]
        )
        validator = self.api.add_request_validator(
            "Validator", validate_request_body=True, validate_request_parameters=True
        )
        create_model = self.api.add_model(
            "CreateTodoModel", content_type=JSON, schema=CREATE_TODO_SCHEMA
        )
        update_model = self.api.add_model(
            "UpdateTodoModel", content_type=JSON, schema=UPDATE_TODO_SCHEMA
        )
        integration = apigw.LambdaIntegration(self.function, allow_test_invoke=False)
        cors = apigw.CorsOptions(
            allow_origins=[self.cors_origin],
            allow_methods=["GET", "POST", "PATCH", "DELETE", "OPTIONS"],
            allow_headers=ALLOWED_HEADERS,
        )

        def method(
            resource: apigw.Resource,
            http_method: str,
            parameters: dict[str, bool],
            model: apigw.IModel | None = None,
        ) -> None:
            resource.add_method(
                http_method,
                integration,
                authorizer=authorizer,
                authorization_type=apigw.AuthorizationType.COGNITO,
                request_validator=validator,
                request_parameters=parameters,
                request_models={JSON: model} if model else None,
            )

        items = self.api.root.add_resource("items", default_cors_preflight_options=cors)
        item = items.add_resource("{id}", default_cors_preflight_options=cors)
        path_id = {"method.request.path.id": True}
        method(items, "GET", optional_query_strings("limit", "nextToken", "scope"))
        method(items, "POST", {}, create_model)
        method(item, "GET", path_id)
        method(item, "PATCH", path_id, update_model)
        method(item, "DELETE", {**path_id, **optional_query_strings("version")})
        for resource in (items, item):
            self._acknowledge_preflight(resource)

    @staticmethod
    def _acknowledge_preflight(resource: apigw.Resource) -> None:
        preflight = resource.node.find_child("OPTIONS")
        reason = (
            "CORS preflight: browsers send OPTIONS without credentials, so it cannot carry a "
            "Cognito token; it returns only the CORS headers (mock integration, no data)."
        )
        acknowledge(preflight, "AwsSolutions-APIG4", reason)
        acknowledge(preflight, "AwsSolutions-COG4", reason)

    def _add_gateway_responses(self) -> None:
        for error in GATEWAY_ERRORS:
            self.api.add_gateway_response(
                error.construct_id,
                type=error.response_type,
                status_code=error.status_code,
                response_headers={
                    **cors_headers(self.cors_origin),
                    **({"Retry-After": "'1'"} if error.retry_after else {}),
                },
                templates={JSON: gateway_error_body(error.code)},
            )

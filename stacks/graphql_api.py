"""TodoGraphqlApi: the AppSync API built from schema/schema.graphql and the resolver files.

Which file serves which field is the table in docs/architecture.md; the three tuples below are
that table. Every resolver is loaded with `Code.from_asset`, so the template points at file
assets in cdk.out (what deploys) and the local runner executes the same files.
"""

from pathlib import Path

from aws_cdk import RemovalPolicy, Stack
from aws_cdk import aws_appsync as appsync
from aws_cdk import aws_cognito as cognito
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_iam as iam
from aws_cdk import aws_logs as logs
from constructs import Construct

from stacks.nag import acknowledge

PROJECT_ROOT = Path(__file__).resolve().parent.parent
SCHEMA_FILE = PROJECT_ROOT / "schema" / "schema.graphql"
RESOLVERS_DIR = PROJECT_ROOT / "schema" / "resolvers"

RUNTIME = appsync.FunctionRuntime.JS_1_0_0
QUERY_DEPTH_LIMIT = 5
LOG_RETENTION = logs.RetentionDays.ONE_MONTH

# (type, field, file): unit resolvers on the table data source.
TABLE_RESOLVERS = (
    ("Query", "getTodo", "Query.getTodo.js"),
    ("Query", "listTodos", "Query.listTodos.js"),
    ("Mutation", "createTodo", "Mutation.createTodo.js"),
)
# (type, field, second step): pipelines run authorizeWrite first, then the write itself.
PIPELINE_CODE = "pipeline.js"
AUTHORIZE_WRITE_CODE = "functions/authorizeWrite.js"
WRITE_PIPELINES = (
    ("Mutation", "updateTodo", "functions/updateTodo.js"),
    ("Mutation", "deleteTodo", "functions/deleteTodo.js"),
)
# (type, field, file): subscription filters on the NONE data source.
SUBSCRIPTION_RESOLVERS = tuple(
    ("Subscription", field, "Subscription.ownerOnly.js")
    for field in ("onCreateTodo", "onUpdateTodo", "onDeleteTodo")
)


def resolver_code(relative_path: str) -> appsync.Code:
    return appsync.Code.from_asset(str(RESOLVERS_DIR / relative_path))


def _pascal(name: str) -> str:
    return name[:1].upper() + name[1:]


class TodoGraphqlApi(Construct):
    """Cognito user pool by default, IAM as the additional mode, no API key."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        user_pool: cognito.IUserPool,
        table: dynamodb.ITable,
        introspection: bool,
        removal_policy: RemovalPolicy,
    ) -> None:
        super().__init__(scope, construct_id)
        log_role = iam.Role(
            self,
            "LogRole",
            assumed_by=iam.ServicePrincipal("appsync.amazonaws.com"),
            description="Lets AppSync write the todo API's logs",
        )
        self.api = appsync.GraphqlApi(
            self,
            "Api",
            name=f"{Stack.of(self).stack_name}-graphql",
            definition=appsync.Definition.from_file(str(SCHEMA_FILE)),
            authorization_config=appsync.AuthorizationConfig(
                default_authorization=appsync.AuthorizationMode(
                    authorization_type=appsync.AuthorizationType.USER_POOL,
                    user_pool_config=appsync.UserPoolConfig(user_pool=user_pool),
                ),
                additional_authorization_modes=[
                    appsync.AuthorizationMode(authorization_type=appsync.AuthorizationType.IAM)
                ],
            ),
            xray_enabled=True,
            query_depth_limit=QUERY_DEPTH_LIMIT,
            introspection_config=(
                appsync.IntrospectionConfig.ENABLED
                if introspection
                else appsync.IntrospectionConfig.DISABLED
            ),
        )
        self._enable_logging(log_role, removal_policy)

        self.table_source = self.api.add_dynamo_db_data_source("TableSource", table)
        acknowledge(
            self.table_source,
            "AwsSolutions-IAM5[Resource::<DataTableFDBAD0F2.Arn>/index/*]",
            "The data source queries the table's byOwner index; CDK's table grant scopes the "
            "wildcard to the indexes of this one table.",
        )
        self.none_source = self.api.add_none_data_source("NoneSource")
        self._add_unit_resolvers(TABLE_RESOLVERS, self.table_source)
        self._add_write_pipelines()
        self._add_unit_resolvers(SUBSCRIPTION_RESOLVERS, self.none_source)

    @property
    def cfn_api(self) -> appsync.CfnGraphQLApi:
        cfn_api = self.api.node.default_child
        assert isinstance(cfn_api, appsync.CfnGraphQLApi)
        return cfn_api

    @property
    def realtime_url(self) -> str:
        return self.cfn_api.attr_realtime_url

    def _enable_logging(self, log_role: iam.IRole, removal_policy: RemovalPolicy) -> None:
        """Field errors to a log group this stack owns, with a retention period.

        Set on the L1 resource on purpose: the L2 `log_config` always adds CDK's log-retention
        Lambda (with an AWS-managed policy and a `*` resource) and creates the same log group
        itself. Verbose content (request headers, resolved templates) stays out of the logs.
        """
        self.cfn_api.log_config = appsync.CfnGraphQLApi.LogConfigProperty(
            cloud_watch_logs_role_arn=log_role.role_arn,
            field_log_level=appsync.FieldLogLevel.ERROR.value,
            exclude_verbose_content=True,
        )
        self.log_group = logs.LogGroup(
            self,
            "LogGroup",
            log_group_name=f"/aws/appsync/apis/{self.api.api_id}",
            retention=LOG_RETENTION,
            removal_policy=removal_policy,
        )
        self.log_group.grant_write(log_role)
        acknowledge(
            self.api,
            "AwsSolutions-ASC3",
            "Request logging is on (field level ERROR, role and log group set); verbose content "
            "is excluded on purpose so request headers (bearer tokens) and todo contents never "
            "land in CloudWatch.",
        )

    def _add_unit_resolvers(
        self, resolvers: tuple[tuple[str, str, str], ...], source: appsync.BaseDataSource
    ) -> None:
        for type_name, field_name, path in resolvers:
            self.api.create_resolver(
                f"{type_name}{_pascal(field_name)}Resolver",
                type_name=type_name,
                field_name=field_name,
                data_source=source,
                runtime=RUNTIME,
                code=resolver_code(path),
            )

    def _add_write_pipelines(self) -> None:
        authorize_write = self._pipeline_function("authorizeWrite", AUTHORIZE_WRITE_CODE)
        for type_name, field_name, path in WRITE_PIPELINES:
            write_step = self._pipeline_function(field_name, path)
            self.api.create_resolver(
                f"{type_name}{_pascal(field_name)}Resolver",
                type_name=type_name,
                field_name=field_name,
                pipeline_config=[authorize_write, write_step],
                runtime=RUNTIME,
                code=resolver_code(PIPELINE_CODE),
            )

    def _pipeline_function(self, name: str, path: str) -> appsync.AppsyncFunction:
        return appsync.AppsyncFunction(
            self,
            f"{_pascal(name)}Function",
            name=name,
            api=self.api,
            data_source=self.table_source,
            runtime=RUNTIME,
            code=resolver_code(path),
        )

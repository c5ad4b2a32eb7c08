"""NotebookStack: a second, independent AppSync example for the local runner.

Two DynamoDB tables (Notebooks, a TableV2, and Notes), one AppSync API with API key
(default), Cognito, IAM and Lambda-authorizer auth, one Python Lambda function behind
resolvers and one that authorizes (authorizer/handler.py). The resolvers cover what a
typical app reaches for:

| field                  | kind                                   | data source          |
|------------------------|----------------------------------------|----------------------|
| Query.getNotebook      | unit, `@aws-appsync/utils/dynamodb`    | Notebooks            |
| Query.listNotes        | unit, Query                            | Notes                |
| Query.summarize        | pipeline: Query, then direct Lambda    | Notes, Lambda        |
| Query.wordCount        | unit, APPSYNC_JS Invoke                | Lambda               |
| Query.readingMinutes   | direct Lambda resolver (no code)       | Lambda               |
| Query.whoAmI           | unit, ctx.identity.resolverContext     | NONE                 |
| Mutation.createNotebook| unit, PutItem                          | Notebooks            |
| Mutation.addNote       | pipeline: GetItem, TransactWriteItems  | Notebooks (+ Notes)  |
| Mutation.publishAlert  | unit, pub/sub                          | NONE                 |
| Mutation.closeAlerts   | unit, invalidates subscriptions        | NONE                 |
| Subscription.onAlert   | unit, enhanced filter                  | NONE                 |

A second function reads the Notes table's stream (a DynamoDB event source with a filter on
INSERT records and partial batch responses) and keeps each notebook's `words` total.

The outputs use the todo stack's key names where they mean the same thing, plus ApiKey and
PublisherRoleArn (a role that may call publishAlert and closeAlerts over IAM).
"""

from pathlib import Path
from typing import Any

from aws_cdk import Aws, CfnOutput, Duration, Expiration, RemovalPolicy, Stack
from aws_cdk import aws_appsync as appsync
from aws_cdk import aws_cognito as cognito
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_lambda_event_sources as event_sources
from constructs import Construct

HERE = Path(__file__).resolve().parent
RESOLVERS = HERE / "resolvers"
RUNTIME = appsync.FunctionRuntime.JS_1_0_0
API_KEY_DAYS = 30
PUBLISHER_FIELDS = ("publishAlert", "closeAlerts")
# The Lambda authorizer's tokens: `<role>-<name>` (see authorizer/handler.py).
TOKEN_SHAPE = r"^[a-z]+-[a-z0-9]+$"  # noqa: S105 - a pattern, not a secret
AUTHORIZER_TIMEOUT_S = 5  # AppSync gives an authorizer 10 s at most


def code(relative_path: str) -> appsync.Code:
    return appsync.Code.from_asset(str(RESOLVERS / relative_path))


def pascal(name: str) -> str:
    """`addNote` -> `AddNote`, for construct ids."""
    return f"{name[:1].upper()}{name[1:]}"


def python_function(
    scope: Construct,
    construct_id: str,
    folder: str,
    handler: str,
    timeout_s: int = 5,
    environment: dict[str, str] | None = None,
) -> lambda_.Function:
    """A Python function whose code is this example's `folder`."""
    return lambda_.Function(
        scope,
        construct_id,
        runtime=lambda_.Runtime.PYTHON_3_13,
        code=lambda_.Code.from_asset(str(HERE / folder)),
        handler=handler,
        timeout=Duration.seconds(timeout_s),
        environment=environment,
    )


class NotebookStack(Stack):
    def __init__(self, scope: Construct, construct_id: str, **kwargs: Any) -> None:
        super().__init__(scope, construct_id, **kwargs)
        user_pool = cognito.UserPool(
            self,
            "UserPool",
            self_sign_up_enabled=False,
            sign_in_aliases=cognito.SignInAliases(email=True),
            removal_policy=RemovalPolicy.DESTROY,
        )
        client = user_pool.add_client(
            "AppClient",
            generate_secret=False,
            auth_flows=cognito.AuthFlow(user_srp=True, user_password=True),
        )
        # TableV2 (an AWS::DynamoDB::GlobalTable with one replica), as CDK now recommends.
        notebooks = dynamodb.TableV2(
            self,
            "Notebooks",
            partition_key=dynamodb.Attribute(name="id", type=dynamodb.AttributeType.STRING),
            removal_policy=RemovalPolicy.DESTROY,
        )
        notes = dynamodb.Table(
            self,
            "Notes",
            partition_key=dynamodb.Attribute(name="notebookId", type=dynamodb.AttributeType.STRING),
            sort_key=dynamodb.Attribute(name="id", type=dynamodb.AttributeType.STRING),
            billing_mode=dynamodb.BillingMode.PAY_PER_REQUEST,
            removal_policy=RemovalPolicy.DESTROY,
            stream=dynamodb.StreamViewType.NEW_IMAGE,
        )
        function = python_function(self, "NotebookFunction", "function", "handler.handler")
        authorizer = python_function(
            self, "AuthorizerFunction", "authorizer", "handler.handler", AUTHORIZER_TIMEOUT_S
        )

        api = appsync.GraphqlApi(
            self,
            "Api",
            name=f"{construct_id}-graphql",
            definition=appsync.Definition.from_file(str(HERE / "schema.graphql")),
            authorization_config=appsync.AuthorizationConfig(
                default_authorization=appsync.AuthorizationMode(
                    authorization_type=appsync.AuthorizationType.API_KEY,
                    api_key_config=appsync.ApiKeyConfig(
                        expires=Expiration.after(Duration.days(API_KEY_DAYS))
                    ),
                ),
                additional_authorization_modes=[
                    appsync.AuthorizationMode(
                        authorization_type=appsync.AuthorizationType.USER_POOL,
                        user_pool_config=appsync.UserPoolConfig(user_pool=user_pool),
                    ),
                    appsync.AuthorizationMode(authorization_type=appsync.AuthorizationType.IAM),
                    appsync.AuthorizationMode(
                        authorization_type=appsync.AuthorizationType.LAMBDA,
                        lambda_authorizer_config=appsync.LambdaAuthorizerConfig(
                            handler=authorizer,
                            # Tokens of another shape are refused without invoking the function.
                            validation_regex=TOKEN_SHAPE,
                            results_cache_ttl=Duration.minutes(5),
                        ),
                    ),
                ],
            ),
            environment_variables={
                "NOTEBOOKS_TABLE": notebooks.table_name,
                "NOTES_TABLE": notes.table_name,
            },
        )
        notebooks_source = api.add_dynamo_db_data_source("NotebooksSource", notebooks)
        # addNote's transaction also writes the Notes table through this data source.
        notes.grant_read_write_data(notebooks_source)
        notes_source = api.add_dynamo_db_data_source("NotesSource", notes)
        lambda_source = api.add_lambda_data_source("FunctionSource", function)
        none_source = api.add_none_data_source("NoneSource")

        def unit(type_name: str, field: str, source: appsync.BaseDataSource) -> None:
            source.create_resolver(
                f"{type_name}{pascal(field)}Resolver",
                type_name=type_name,
                field_name=field,
                code=code(f"{type_name}.{field}.js"),
                runtime=RUNTIME,
            )

        def step(name: str, source: appsync.BaseDataSource) -> appsync.AppsyncFunction:
            return appsync.AppsyncFunction(
                self,
                f"{pascal(name)}Function",
                name=name,
                api=api,
                data_source=source,
                code=code(f"functions/{name}.js"),
                runtime=RUNTIME,
            )

        def pipeline(type_name: str, field: str, functions: list[appsync.AppsyncFunction]) -> None:
            appsync.Resolver(
                self,
                f"{type_name}{pascal(field)}Resolver",
                api=api,
                type_name=type_name,
                field_name=field,
                pipeline_config=functions,
                code=code("pipeline.js"),
                runtime=RUNTIME,
            )

        unit("Query", "getNotebook", notebooks_source)
        unit("Query", "listNotes", notes_source)
        unit("Query", "wordCount", lambda_source)
        unit("Query", "whoAmI", none_source)
        unit("Mutation", "createNotebook", notebooks_source)
        unit("Mutation", "publishAlert", none_source)
        unit("Mutation", "closeAlerts", none_source)
        unit("Subscription", "onAlert", none_source)
        pipeline(
            "Mutation",
            "addNote",
            [step("loadOwnNotebook", notebooks_source), step("writeNote", notebooks_source)],
        )
        summarize_notes = appsync.AppsyncFunction(
            self,
            "SummarizeNotesFunction",
            name="summarizeNotes",
            api=api,
            data_source=lambda_source,  # no code: a direct Lambda function
        )
        pipeline("Query", "summarize", [step("listNotesForSummary", notes_source), summarize_notes])
        # A direct Lambda resolver: no code, the function receives AppSync's context.
        lambda_source.create_resolver(
            "QueryReadingMinutesResolver", type_name="Query", field_name="readingMinutes"
        )

        word_counter = python_function(
            self,
            "WordCounterFunction",
            "function",
            "stream.handler",
            environment={"NOTEBOOKS_TABLE": notebooks.table_name},
        )
        notebooks.grant_read_write_data(word_counter)
        word_counter.add_event_source(
            event_sources.DynamoEventSource(
                notes,
                starting_position=lambda_.StartingPosition.LATEST,
                batch_size=10,
                filters=[
                    lambda_.FilterCriteria.filter(
                        {"eventName": lambda_.FilterRule.is_equal("INSERT")}
                    )
                ],
                report_batch_item_failures=True,
                retry_attempts=5,
            )
        )

        publisher = iam.Role(
            self,
            "PublisherRole",
            assumed_by=iam.AccountRootPrincipal(),
            description="Backend services that publish notebook alerts over IAM",
        )
        api.grant_mutation(publisher, *PUBLISHER_FIELDS)

        outputs = {
            "GraphQLUrl": api.graphql_url,
            "GraphQLRealtimeUrl": self._realtime_url(api),
            "UserPoolId": user_pool.user_pool_id,
            "UserPoolClientId": client.user_pool_client_id,
            "Region": Aws.REGION,
            "ApiKey": api.api_key or "",
            "PublisherRoleArn": publisher.role_arn,
        }
        for key, value in outputs.items():
            CfnOutput(self, key, value=value)

    @staticmethod
    def _realtime_url(api: appsync.GraphqlApi) -> str:
        cfn_api = api.node.default_child
        assert isinstance(cfn_api, appsync.CfnGraphQLApi)
        return cfn_api.attr_realtime_url

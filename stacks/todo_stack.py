"""TodoStack: wires auth, data, the GraphQL API, the REST API and the alarms; emits the outputs."""

from typing import Any

from aws_cdk import Aws, CfnOutput, RemovalPolicy, Stack
from constructs import Construct

from stacks import constants
from stacks.alarms import TodoAlarms
from stacks.auth import TodoAuth
from stacks.data import TodoData
from stacks.graphql_api import TodoGraphqlApi
from stacks.rest_api import TodoRestApi
from stacks.settings import StageSettings


def removal_policy_for(stage: str) -> RemovalPolicy:
    """A dev stage is disposable; every other stage keeps its users, data and logs."""
    return RemovalPolicy.DESTROY if stage == constants.DEFAULT_STAGE else RemovalPolicy.RETAIN


class TodoStack(Stack):
    def __init__(
        self, scope: Construct, construct_id: str, *, settings: StageSettings, **kwargs: Any
    ):
        super().__init__(scope, construct_id, **kwargs)
        stage = settings.stage
        removal_policy = removal_policy_for(stage)
        auth = TodoAuth(self, "Auth", removal_policy=removal_policy)
        data = TodoData(self, "Data", removal_policy=removal_policy)
        graphql = TodoGraphqlApi(
            self,
            "GraphQL",
            user_pool=auth.user_pool,
            table=data.table,
            introspection=stage == constants.DEFAULT_STAGE,
            removal_policy=removal_policy,
        )
        rest = TodoRestApi(
            self,
            "Rest",
            stage=stage,
            cors_origin=settings.cors_origin,
            manage_account=settings.manage_api_gateway_account,
            user_pool=auth.user_pool,
            graphql=graphql,
            idempotency_table=data.idempotency_table,
            removal_policy=removal_policy,
        )
        alarms = TodoAlarms(
            self,
            "Alarms",
            function=rest.function,
            rest_api=rest.api,
            graphql_api_id=graphql.api.api_id,
            tables=[("Todo", data.table), ("Idempotency", data.idempotency_table)],
        )
        outputs = {
            constants.OUTPUT_GRAPHQL_URL: graphql.api.graphql_url,
            constants.OUTPUT_GRAPHQL_REALTIME_URL: graphql.realtime_url,
            constants.OUTPUT_REST_API_URL: rest.api.url,
            constants.OUTPUT_USER_POOL_ID: auth.user_pool.user_pool_id,
            constants.OUTPUT_USER_POOL_CLIENT_ID: auth.client.user_pool_client_id,
            constants.OUTPUT_REGION: Aws.REGION,
            constants.OUTPUT_TODO_FUNCTION_ROLE_ARN: rest.role.role_arn,
            constants.OUTPUT_ALARM_TOPIC_ARN: alarms.topic.topic_arn,
        }
        for key, value in outputs.items():
            CfnOutput(self, key, value=value)

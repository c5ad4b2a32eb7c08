"""TodoAlarms: what pages someone. CloudWatch alarms on every tier, sent to one SNS topic.

Every threshold is in the table below, and tests/infra/test_alarms.py pins them. Subscribe
people or a chat integration to the topic (its ARN is the `AlarmTopicArn` output).

| alarm                | metric                                 | fires at (5-minute periods)   |
|----------------------|----------------------------------------|-------------------------------|
| FunctionErrors       | Lambda Errors, Sum                     | >= 1 (the handler crashed)    |
| FunctionThrottles    | Lambda Throttles, Sum                  | >= 1                          |
| FunctionDurationP99  | Lambda Duration, p99                   | >= 80% of timeout, 2 periods  |
| RestApi5xxRate       | API Gateway 5XXError, Average (= rate) | >= 5% of requests             |
| GraphqlApi5xx        | AppSync 5XXError, Sum                  | >= 1                          |
| GraphqlApiLatencyP99 | AppSync Latency, p99                   | >= 1000 ms, 2 periods         |
| <Table>Throttled...  | DynamoDB ThrottledRequests, all ops    | >= 1, for each table          |

A period without data is "not breaching": a quiet API is not an incident.
"""

from collections.abc import Sequence
from dataclasses import dataclass

from aws_cdk import Duration
from aws_cdk import aws_apigateway as apigw
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_cloudwatch_actions as actions
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_sns as sns
from constructs import Construct

from stacks import lambda_defaults
from stacks.nag import acknowledge

PERIOD = Duration.minutes(5)
FUNCTION_ERRORS = 1
FUNCTION_THROTTLES = 1
FUNCTION_P99_SHARE_OF_TIMEOUT = 0.8
FUNCTION_P99_THRESHOLD_MS = (
    lambda_defaults.TIMEOUT.to_milliseconds() * FUNCTION_P99_SHARE_OF_TIMEOUT
)
REST_API_5XX_RATE = 0.05
GRAPHQL_API_5XX = 1
GRAPHQL_API_P99_LATENCY_MS = 1000
TABLE_THROTTLED_REQUESTS = 1
LATENCY_PERIODS = 2  # one slow period is noise; two in a row is a trend

# Every operation the resolvers and Powertools' idempotency layer call on a table.
TABLE_OPERATIONS = (
    dynamodb.Operation.GET_ITEM,
    dynamodb.Operation.PUT_ITEM,
    dynamodb.Operation.UPDATE_ITEM,
    dynamodb.Operation.DELETE_ITEM,
    dynamodb.Operation.QUERY,
    dynamodb.Operation.SCAN,
)


@dataclass(frozen=True)
class _Rule:
    construct_id: str
    description: str
    metric: cloudwatch.IMetric
    threshold: float
    evaluation_periods: int = 1


class TodoAlarms(Construct):
    """The alarms of the function, both APIs and the tables, and the topic they notify."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        function: lambda_.IFunction,
        rest_api: apigw.RestApi,
        graphql_api_id: str,
        tables: Sequence[tuple[str, dynamodb.ITable]],
    ) -> None:
        super().__init__(scope, construct_id)
        self.topic = sns.Topic(self, "Topic", display_name="Todo backend alarms", enforce_ssl=True)
        acknowledge(
            self.topic,
            "AwsSolutions-SNS2",
            "Not encrypted with KMS: CloudWatch cannot publish to a topic under the AWS-managed "
            "SNS key, and alarm messages carry only alarm and metric names, no user data.",
        )
        action = actions.SnsAction(self.topic)
        self.alarms: dict[str, cloudwatch.Alarm] = {}
        for rule in self._rules(function, rest_api, graphql_api_id, tables):
            alarm = cloudwatch.Alarm(
                self,
                rule.construct_id,
                alarm_description=rule.description,
                metric=rule.metric,
                threshold=rule.threshold,
                evaluation_periods=rule.evaluation_periods,
                comparison_operator=cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
                treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
            )
            alarm.add_alarm_action(action)
            alarm.add_ok_action(action)
            self.alarms[rule.construct_id] = alarm

    @staticmethod
    def _rules(
        function: lambda_.IFunction,
        rest_api: apigw.RestApi,
        graphql_api_id: str,
        tables: Sequence[tuple[str, dynamodb.ITable]],
    ) -> list[_Rule]:
        def appsync(metric_name: str, statistic: str) -> cloudwatch.Metric:
            return cloudwatch.Metric(
                namespace="AWS/AppSync",
                metric_name=metric_name,
                dimensions_map={"GraphQLAPIId": graphql_api_id},
                statistic=statistic,
                period=PERIOD,
            )

        rules = [
            _Rule(
                "FunctionErrors",
                "The REST function failed invocations (crashes or timeouts, not 4xx/5xx answers).",
                function.metric_errors(period=PERIOD, statistic="Sum"),
                FUNCTION_ERRORS,
            ),
            _Rule(
                "FunctionThrottles",
                "Invocations of the REST function were throttled (concurrency exhausted).",
                function.metric_throttles(period=PERIOD, statistic="Sum"),
                FUNCTION_THROTTLES,
            ),
            _Rule(
                "FunctionDurationP99",
                "The slowest 1% of REST function invocations come close to its timeout.",
                function.metric_duration(period=PERIOD, statistic="p99"),
                FUNCTION_P99_THRESHOLD_MS,
                LATENCY_PERIODS,
            ),
            _Rule(
                "RestApi5xxRate",
                "At least 5% of REST requests were answered with a 5xx status.",
                rest_api.metric_server_error(period=PERIOD, statistic="Average"),
                REST_API_5XX_RATE,
            ),
            _Rule(
                "GraphqlApi5xx",
                "AppSync answered requests with a 5xx status.",
                appsync("5XXError", "Sum"),
                GRAPHQL_API_5XX,
            ),
            _Rule(
                "GraphqlApiLatencyP99",
                "The slowest 1% of AppSync requests take a second or more.",
                appsync("Latency", "p99"),
                GRAPHQL_API_P99_LATENCY_MS,
                LATENCY_PERIODS,
            ),
        ]
        for name, table in tables:
            rules.append(
                _Rule(
                    f"{name}ThrottledRequests",
                    f"DynamoDB throttled requests to the {name} table.",
                    table.metric_throttled_requests_for_operations(
                        operations=list(TABLE_OPERATIONS), period=PERIOD
                    ),
                    TABLE_THROTTLED_REQUESTS,
                )
            )
        return rules

"""The one place that decides how every Python Lambda of this app runs and logs."""

from collections.abc import Mapping

from aws_cdk import Duration, RemovalPolicy
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from constructs import Construct

RUNTIME = lambda_.Runtime.PYTHON_3_14
ARCHITECTURE = lambda_.Architecture.X86_64
MEMORY_MB = 512
TIMEOUT = Duration.seconds(10)
LOG_RETENTION = logs.RetentionDays.ONE_MONTH
APPLICATION_LOG_LEVEL = lambda_.ApplicationLogLevel.INFO
SYSTEM_LOG_LEVEL = lambda_.SystemLogLevel.WARN


def python_function(
    scope: Construct,
    construct_id: str,
    *,
    code: lambda_.Code,
    handler: str,
    environment: Mapping[str, str],
    removal_policy: RemovalPolicy,
) -> lambda_.Function:
    """A function with the project defaults, its own log group and a least-privilege role.

    The role is created here instead of letting CDK attach AWSLambdaBasicExecutionRole:
    it may write to this function's log group only (plus X-Ray, which active tracing adds).
    """
    log_group = logs.LogGroup(
        scope,
        f"{construct_id}LogGroup",
        retention=LOG_RETENTION,
        removal_policy=removal_policy,
    )
    role = iam.Role(
        scope,
        f"{construct_id}Role",
        assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"),
        description="Execution role of the todo REST function",
    )
    log_group.grant_write(role)
    return lambda_.Function(
        scope,
        construct_id,
        runtime=RUNTIME,
        architecture=ARCHITECTURE,
        memory_size=MEMORY_MB,
        timeout=TIMEOUT,
        code=code,
        handler=handler,
        environment=dict(environment),
        role=role,
        log_group=log_group,
        logging_format=lambda_.LoggingFormat.JSON,
        application_log_level_v2=APPLICATION_LOG_LEVEL,
        system_log_level_v2=SYSTEM_LOG_LEVEL,
        tracing=lambda_.Tracing.ACTIVE,
    )

"""Names the stack shares with the Lambda, the local runner and the clients.

Python that can import this module (the stacks, the local runner, the tests) follows a change
here. The JS resolvers, the function's code (bundled without `stacks/`) and clients reading
`cdk-outputs.json` cannot import it: they repeat some of these names, and
tests/contract/test_crossing_names.py fails when one side changes alone.
"""

from typing import Final

# CfnOutput keys (the keys of `cdk deploy --outputs-file` and of local-outputs.json).
OUTPUT_GRAPHQL_URL: Final = "GraphQLUrl"
OUTPUT_GRAPHQL_REALTIME_URL: Final = "GraphQLRealtimeUrl"
OUTPUT_REST_API_URL: Final = "RestApiUrl"
OUTPUT_USER_POOL_ID: Final = "UserPoolId"
OUTPUT_USER_POOL_CLIENT_ID: Final = "UserPoolClientId"
OUTPUT_REGION: Final = "Region"
OUTPUT_TODO_FUNCTION_ROLE_ARN: Final = "TodoFunctionRoleArn"
OUTPUT_ALARM_TOPIC_ARN: Final = "AlarmTopicArn"

OUTPUT_KEYS: Final = (
    OUTPUT_GRAPHQL_URL,
    OUTPUT_GRAPHQL_REALTIME_URL,
    OUTPUT_REST_API_URL,
    OUTPUT_USER_POOL_ID,
    OUTPUT_USER_POOL_CLIENT_ID,
    OUTPUT_REGION,
    OUTPUT_TODO_FUNCTION_ROLE_ARN,
    OUTPUT_ALARM_TOPIC_ARN,
)

# Environment variables the Lambda reads at start-up.
ENV_GRAPHQL_URL: Final = "GRAPHQL_URL"
ENV_POWERTOOLS_SERVICE_NAME: Final = "POWERTOOLS_SERVICE_NAME"
ENV_POWERTOOLS_METRICS_NAMESPACE: Final = "POWERTOOLS_METRICS_NAMESPACE"
ENV_POWERTOOLS_LOG_LEVEL: Final = "POWERTOOLS_LOG_LEVEL"
ENV_IDEMPOTENCY_TABLE: Final = "IDEMPOTENCY_TABLE_NAME"
ENV_CORS_ALLOW_ORIGIN: Final = "CORS_ALLOW_ORIGIN"

POWERTOOLS_SERVICE_NAME: Final = "todo-api"
POWERTOOLS_METRICS_NAMESPACE: Final = "TodoApp"

# GraphQL fields the Lambda's role may call over IAM, and nothing else.
GRANTED_QUERY_FIELDS: Final = ("getTodo", "listTodos")
GRANTED_MUTATION_FIELDS: Final = ("createTodo", "updateTodo", "deleteTodo")

# Identity and data names fixed by the design contract.
ADMINS_GROUP: Final = "admins"
TABLE_PARTITION_KEY: Final = "id"
OWNER_INDEX_NAME: Final = "byOwner"
OWNER_INDEX_PARTITION_KEY: Final = "owner"
OWNER_INDEX_SORT_KEY: Final = "createdAt"

# The request header of idempotent creates (the function reads it, browsers may send it).
IDEMPOTENCY_KEY_HEADER: Final = "Idempotency-Key"
# Powertools idempotency records (its DynamoDBPersistenceLayer defaults).
IDEMPOTENCY_PARTITION_KEY: Final = "id"
IDEMPOTENCY_TTL_ATTRIBUTE: Final = "expiration"

DEFAULT_STAGE: Final = "dev"

# Context keys (`cdk synth -c key=value`, or the context block of cdk.json).
CONTEXT_STAGE: Final = "stage"
CONTEXT_CORS_ORIGIN: Final = "corsOrigin"
CONTEXT_API_GATEWAY_ACCOUNT: Final = "apiGatewayAccount"

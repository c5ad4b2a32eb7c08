"""Names shared between the stack, the Lambda, the local runner and the clients.

Change a name here and every consumer follows; the values are part of the contract in
docs/architecture.md, so clients reading `cdk-outputs.json` rely on them.
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

OUTPUT_KEYS: Final = (
    OUTPUT_GRAPHQL_URL,
    OUTPUT_GRAPHQL_REALTIME_URL,
    OUTPUT_REST_API_URL,
    OUTPUT_USER_POOL_ID,
    OUTPUT_USER_POOL_CLIENT_ID,
    OUTPUT_REGION,
    OUTPUT_TODO_FUNCTION_ROLE_ARN,
)

# Environment variables the Lambda reads at start-up.
ENV_GRAPHQL_URL: Final = "GRAPHQL_URL"
ENV_POWERTOOLS_SERVICE_NAME: Final = "POWERTOOLS_SERVICE_NAME"
ENV_POWERTOOLS_METRICS_NAMESPACE: Final = "POWERTOOLS_METRICS_NAMESPACE"
ENV_POWERTOOLS_LOG_LEVEL: Final = "POWERTOOLS_LOG_LEVEL"

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

DEFAULT_STAGE: Final = "dev"

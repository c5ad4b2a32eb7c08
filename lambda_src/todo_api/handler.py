"""The Lambda entry point behind API Gateway REST (Cognito authorizer, proxy integration v1).

Each route parses its input, takes the caller from the verified claims, calls the logic and
serialises the result. Failures are typed exceptions turned into responses by `errors.to_http`
in the exception handlers below, so every error has the same shape and no stack trace leaves.
"""

from __future__ import annotations

import json
import warnings
from typing import TYPE_CHECKING, Any

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.event_handler import APIGatewayRestResolver, CORSConfig, Response
from aws_lambda_powertools.event_handler.exceptions import NotFoundError
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.logging.utils import copy_config_to_registered_loggers
from aws_lambda_powertools.metrics import MetricUnit

from todo_api import logic, models
from todo_api.appsync import AppSyncClient, invocation_deadline
from todo_api.config import load_config
from todo_api.errors import ApiError, RouteNotFound, to_http
from todo_api.idempotency import IdempotentCreates, KeyedRequest, dynamodb_store
from todo_api.tracing import build_tracer

if TYPE_CHECKING:
    from aws_lambda_powertools.utilities.typing import LambdaContext

    from todo_api.logic import TodoClient

CONFIG = load_config()  # fails the cold start with a clear message when misconfigured

logger = Logger(service=CONFIG.service_name)
copy_config_to_registered_loggers(source_logger=logger, include={"todo_api"})
tracer = build_tracer(CONFIG.service_name, enabled=CONFIG.tracing_enabled)
metrics = Metrics(namespace=CONFIG.metrics_namespace, service=CONFIG.service_name)
# Reads publish no metric of their own (only ColdStart); that is expected, not worth a warning.
warnings.filterwarnings("ignore", message="No application metrics to publish", category=UserWarning)

# Bearer tokens, no cookies: the stage's origin (any origin in dev) may call, and browsers
# may read Retry-After.
cors = CORSConfig(
    allow_origin=CONFIG.cors_allow_origin,
    allow_headers=["Authorization", "Content-Type", models.IDEMPOTENCY_KEY_HEADER],
    expose_headers=["Retry-After"],
    max_age=300,
)
app = APIGatewayRestResolver(cors=cors)
_NO_STORE = {"Cache-Control": "no-store"}  # todos are private: no shared cache keeps them
# Kept back from the Lambda timeout to turn a slow upstream into a 504 and log it.
_ANSWER_MARGIN_SECONDS = 0.5

_client: TodoClient = AppSyncClient.from_config(CONFIG)  # one session and signer per container


def _dynamodb_creates() -> IdempotentCreates:
    return IdempotentCreates(
        lambda: dynamodb_store(CONFIG.idempotency_table, CONFIG.region),
        expires_after_seconds=CONFIG.idempotency_window_seconds,
    )


_creates = _dynamodb_creates()  # the DynamoDB client is built on the first keyed request


def use_client(client: TodoClient | None) -> None:
    """Swap the data client (tests inject a fake); None restores a fresh AppSync client."""
    global _client
    _client = client if client is not None else AppSyncClient.from_config(CONFIG)


def use_idempotent_creates(creates: IdempotentCreates | None) -> None:
    """Swap the idempotency store (tests inject one); None restores the DynamoDB one."""
    global _creates
    _creates = creates if creates is not None else _dynamodb_creates()


# ---------------------------------------------------------------- routes


@app.get("/items")
def list_items() -> Response:
    caller = _caller()
    query = models.parse_list_query(_query_params())
    page = logic.list_todos(_client, caller, query)
    return _json(200, page.to_json())


@app.post("/items")
def create_item() -> Response:
    caller = _caller()
    models.parse_no_query(_query_params())
    key = models.parse_idempotency_key(_header_values(models.IDEMPOTENCY_KEY_HEADER))
    body = _json_body()
    new = models.parse_new_todo(body)

    def create() -> dict[str, Any]:
        todo = logic.create_todo(_client, caller, new)
        metrics.add_metric(name="TodoCreated", unit=MetricUnit.Count, value=1)
        return todo.to_json()

    if key is None:  # no key, no deduplication: every such request creates a todo
        return _json(201, create())
    keyed = KeyedRequest(owner=caller.sub, key=key, body=body)
    return _json(201, _creates.run(keyed, create, app.lambda_context))


@app.get("/items/<todo_id>")
def get_item(todo_id: str) -> Response:
    caller = _caller()
    models.parse_no_query(_query_params())
    todo = logic.get_todo(_client, caller, models.parse_todo_id(todo_id))
    return _json(200, todo.to_json())


@app.patch("/items/<todo_id>")
def update_item(todo_id: str) -> Response:
    caller = _caller()
    models.parse_no_query(_query_params())
    valid_id = models.parse_todo_id(todo_id)
    changes = models.parse_todo_changes(_json_body())
    todo = logic.update_todo(_client, caller, valid_id, changes)
    metrics.add_metric(name="TodoUpdated", unit=MetricUnit.Count, value=1)
    return _json(200, todo.to_json())


@app.delete("/items/<todo_id>")
def delete_item(todo_id: str) -> Response:
    caller = _caller()
    version = models.parse_delete_query(_query_params())
    logic.delete_todo(_client, caller, models.parse_todo_id(todo_id), version)
    metrics.add_metric(name="TodoDeleted", unit=MetricUnit.Count, value=1)
    return Response(status_code=204, content_type=None, body="", headers=dict(_NO_STORE))


# ---------------------------------------------------------------- errors


@app.exception_handler(ApiError)
def handle_api_error(error: ApiError) -> Response:
    if error.status >= 500:
        logger.warning("Upstream failure answered with %d %s", error.status, error.code)
        metrics.add_metric(name="UpstreamFailure", unit=MetricUnit.Count, value=1)
    return _error(error)


@app.not_found
def handle_unknown_route(_: NotFoundError) -> Response:
    return _error(RouteNotFound())


@app.exception_handler(Exception)
def handle_unexpected(error: Exception) -> Response:
    logger.exception("Unhandled error")
    return _error(error)


# ---------------------------------------------------------------- entry point


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_REST)
@tracer.capture_lambda_handler(capture_response=False)
@metrics.log_metrics(capture_cold_start_metric=True)
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    seconds_left = context.get_remaining_time_in_millis() / 1000 - _ANSWER_MARGIN_SECONDS
    try:
        with invocation_deadline(seconds_left):
            return app.resolve(event, context)
    except Exception:  # a malformed event never reaches a route: still answer in our shape
        logger.exception("Could not handle the event")
        status, body, headers = to_http(Exception())
        return {
            "statusCode": status,
            "headers": {"Content-Type": "application/json", **headers},
            "body": json.dumps(body),
            "isBase64Encoded": False,
        }


# ---------------------------------------------------------------- helpers


def _caller() -> models.Caller:
    context = app.current_event.raw_event.get("requestContext") or {}
    authorizer = context.get("authorizer") or {}
    return models.caller_from_claims(authorizer.get("claims"))


def _query_params() -> dict[str, list[str]]:
    """Query parameters with every value API Gateway received (repeats included)."""
    event = app.current_event.raw_event
    multi = event.get("multiValueQueryStringParameters")
    if multi is not None:
        return dict(multi)
    return {name: [value] for name, value in (event.get("queryStringParameters") or {}).items()}


def _header_values(name: str) -> list[str]:
    """Every value of header `name` (any case) that API Gateway received."""
    event = app.current_event.raw_event
    wanted = name.lower()
    multi = event.get("multiValueHeaders") or {}
    values = [v for key, vs in multi.items() if key.lower() == wanted for v in (vs or [])]
    if values or multi:
        return values
    single = event.get("headers") or {}
    return [v for key, v in single.items() if key.lower() == wanted and v is not None]


def _json_body() -> dict[str, Any]:
    event = app.current_event.raw_event
    return models.parse_json_object(
        event.get("body"), base64_encoded=bool(event.get("isBase64Encoded"))
    )


def _json(status: int, body: dict[str, Any]) -> Response:
    return Response(
        status_code=status,
        content_type="application/json",
        body=json.dumps(body, ensure_ascii=False),
        headers=dict(_NO_STORE),
    )


def _error(error: Exception) -> Response:
    status, body, headers = to_http(error)
    return Response(
        status_code=status,
        content_type="application/json",
        body=json.dumps(body, ensure_ascii=False),
        headers={**_NO_STORE, **headers},
    )

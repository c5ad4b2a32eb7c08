"""The AWS_LAMBDA data source: APPSYNC_JS requests to a function, and direct Lambda resolvers.

AppSync developer guide, "AWS AppSync JavaScript resolver function reference for Lambda":
- the request handler returns `{operation: 'Invoke' | 'BatchInvoke', payload, invocationType?}`;
  for `Invoke` the function's event is the payload and its return value is `ctx.result`;
- `invocationType: 'Event'` invokes asynchronously: the resolver does not wait, `ctx.result`
  is null;
- `BatchInvoke` sends a list of payloads and expects a list of results in the same order. The
  local endpoint does not batch (each field is its own batch of one), so the event is
  `[payload]` and the field's result is the first item; an item `{errorMessage, errorType}`
  is that field's error;
- a function error reaches the response handler as `ctx.error` with `type` "Lambda:Unhandled".

Direct Lambda resolvers ("Configure a direct Lambda resolver"; the event is the context
object without `env`): a resolver or pipeline function on a Lambda data source without code.
The event is `{arguments, identity, source, request, prev, info, stash}`, the return value is
the field's value, and a function error is the field's error with the function's errorType
and errorMessage.

The functions run in the same warm worker pools as REST integrations (local/awslambda/pool.py).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from local.appsync.errors import AppSyncError, ErrorEntry
from local.appsync.specs import DataSourceSpec, ResolverSpec
from local.awslambda.pool import InvocationError
from local.template import CannotEmulate

log = logging.getLogger("local.appsync.lambda")

UNHANDLED = "Lambda:Unhandled"
OPERATIONS = ("Invoke", "BatchInvoke")
INVOCATION_TYPES = ("RequestResponse", "Event")


class LambdaRequestError(ValueError):
    """The request handler returned something AppSync's Lambda data source refuses."""


@dataclass(frozen=True)
class LambdaFunction:
    """How to run one function: wait for its result, or hand it an event and go on."""

    invoke: Callable[[Any], Any]  # raises InvocationError for a function error
    invoke_async: Callable[[Any], None]


class LambdaSource:
    def __init__(self, name: str, function: LambdaFunction) -> None:
        self.name = name
        self._function = function

    def execute(self, request: Mapping[str, Any]) -> tuple[Any, dict[str, Any] | None]:
        """Run an APPSYNC_JS request; (ctx.result, ctx.error)."""
        unknown = set(request) - {"operation", "payload", "invocationType"}
        if unknown:
            raise LambdaRequestError(f"{self.name}: Lambda request with {sorted(unknown)}")
        operation = request.get("operation")
        if operation not in OPERATIONS:
            raise LambdaRequestError(
                f"{self.name}: operation must be Invoke or BatchInvoke, not {operation!r}"
            )
        invocation_type = request.get("invocationType", "RequestResponse")
        if invocation_type not in INVOCATION_TYPES:
            raise LambdaRequestError(
                f"{self.name}: invocationType must be RequestResponse or Event, "
                f"not {invocation_type!r}"
            )
        payload = request.get("payload")
        event = [payload] if operation == "BatchInvoke" else payload
        if invocation_type == "Event":
            self._function.invoke_async(event)
            return None, None
        try:
            result = self._function.invoke(event)
        except InvocationError as error:
            return None, {"message": _message(error), "type": UNHANDLED}
        if operation == "Invoke":
            return result, None
        return _batch_item(result)

    def direct(self, event: dict[str, Any]) -> Any:
        """Run a direct Lambda resolver; a function error raises AppSyncError with the field's
        error."""
        try:
            return self._function.invoke(event)
        except InvocationError as error:
            error_type = error.payload.get("errorType") or UNHANDLED
            raise AppSyncError(ErrorEntry(_message(error), error_type)) from error


def direct_event(call: Any, stash: dict[str, Any], prev: dict[str, Any] | None) -> dict[str, Any]:
    """The event a direct Lambda resolver receives (a FieldCall, the stash, ctx.prev)."""
    return {
        "arguments": call.arguments,
        "identity": call.identity,
        "source": call.source,
        "request": call.request or {"headers": {}, "domainName": None},
        "prev": prev,
        "info": call.info,
        "stash": stash,
    }


def _message(error: InvocationError) -> str:
    return str(error.payload.get("errorMessage") or error.payload.get("errorType") or error)


def _batch_item(result: Any) -> tuple[Any, dict[str, Any] | None]:
    if not isinstance(result, list) or len(result) != 1:
        return None, {
            "message": "The Lambda function's BatchInvoke response is not a list with one item "
            "per request",
            "type": UNHANDLED,
        }
    (item,) = result
    if isinstance(item, Mapping) and item.get("errorMessage") is not None:
        return None, {
            "message": str(item["errorMessage"]),
            "type": str(item.get("errorType") or UNHANDLED),
        }
    if isinstance(item, Mapping) and set(item) <= {"data", "errorMessage", "errorType"}:
        return item.get("data"), None
    return item, None


class _Pool(Protocol):
    async def invoke(self, event: Any) -> Any: ...


async def data_source_functions(
    resolvers: Iterable[ResolverSpec],
    start_pool: Callable[[str], Awaitable[_Pool]],
    function_ids: Mapping[str, str],
) -> dict[str, LambdaFunction]:
    """A warm pool for every function an AWS_LAMBDA data source names, by function ARN.

    `start_pool(logical id)` gives the function's pool (shared with REST integrations);
    `function_ids` maps each function ARN of the template to its logical id. Resolvers run
    in worker threads, so the pool's coroutine is run on this event loop and waited for.
    """
    loop = asyncio.get_running_loop()
    functions: dict[str, LambdaFunction] = {}
    for source in _lambda_sources(resolvers):
        arn = source.function_arn or ""
        if arn in functions:
            continue
        function_id = function_ids.get(arn)
        if function_id is None:
            raise CannotEmulate(
                f"data source {source.name}: LambdaConfig.LambdaFunctionArn {arn} is not a "
                "function of this stack (aliases, versions and other stacks are not emulated)"
            )
        pool = await start_pool(function_id)
        functions[arn] = _bridge(pool, loop)
    return functions


def _lambda_sources(resolvers: Iterable[ResolverSpec]) -> list[DataSourceSpec]:
    sources: list[DataSourceSpec] = []
    for spec in resolvers:
        candidates = [spec.data_source, *(f.data_source for f in spec.functions)]
        sources.extend(s for s in candidates if s is not None and s.type == "AWS_LAMBDA")
    return sources


def _bridge(pool: _Pool, loop: asyncio.AbstractEventLoop) -> LambdaFunction:
    def invoke(event: Any) -> Any:
        return asyncio.run_coroutine_threadsafe(pool.invoke(event), loop).result()

    def invoke_async(event: Any) -> None:
        future = asyncio.run_coroutine_threadsafe(pool.invoke(event), loop)
        future.add_done_callback(_log_async_failure)

    return LambdaFunction(invoke, invoke_async)


def _log_async_failure(future: Any) -> None:
    error = future.exception()
    if error is not None:
        log.warning("asynchronous Lambda invocation failed: %s", error)

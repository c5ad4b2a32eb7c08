"""The AWS_LAMBDA authorization mode: a function of the stack decides who may call the API.

What AppSync does, from its developer guide ("Configuring authorization and authentication to
secure your GraphQL APIs", AWS_LAMBDA authorization:
https://docs.aws.amazon.com/appsync/latest/devguide/security-authz.html#aws-lambda-authorization)
and the CloudFormation reference (AWS::AppSync::GraphQLApi LambdaAuthorizerConfig):
- the token is the request's `Authorization` header as sent; with an
  IdentityValidationExpression, a token the expression does not match is refused without
  invoking the function;
- the function's event is `{authorizationToken, requestContext: {apiId, accountId, requestId,
  queryString, operationName, variables}, requestHeaders}`;
- its answer is `{isAuthorized, resolverContext?, deniedFields?, ttlOverride?}`:
  `resolverContext` becomes `ctx.identity.resolverContext`; each `deniedFields` entry (a
  field's full ARN `arn:aws:appsync:<region>:<account>:apis/<apiId>/types/<Type>/fields/<field>`
  or the short `Type.field`) resolves to null with an Unauthorized error; an ARN of another
  API names none of this API's fields;
- answers are cached by token for AuthorizerResultTtlInSeconds (default 0, not cached; at
  most 3600), or for `ttlOverride` seconds when the function returns one (0: not cached);
- the function has 10 seconds. A refusal, a function error, a timeout and an answer without a
  boolean `isAuthorized` are all HTTP 401 `UnauthorizedException`; the reason goes to the
  runner's log, never to the client.

The function runs in the stack's warm worker pool (local/awslambda/pool.py), reached from the
request's worker thread like the Lambda data sources (lambda_source.py).
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
import threading
import time
import uuid
from collections import OrderedDict
from collections.abc import Callable, Coroutine, Mapping
from dataclasses import dataclass
from typing import Any

from local.appsync.auth import AuthFailure
from local.appsync.errors import NOT_AUTHORIZED
from local.appsync.identity import Caller, lambda_caller

log = logging.getLogger("local.appsync.lambda_authorizer")

TIMEOUT_S = 10.0  # AppSync waits this long for the authorizer, whatever the function's Timeout
MAX_TTL_S = 3600
CACHE_ENTRIES = 1024  # tokens remembered at once; the oldest is forgotten first

# (event) -> the function's answer; raises on a function error or a timeout
Invoke = Callable[[dict[str, Any]], Any]


@dataclass(frozen=True)
class LambdaAuthorizerConfig:
    """LambdaAuthorizerConfig of the template, checked."""

    function_arn: str
    ttl_s: int = 0
    validation: re.Pattern[str] | None = None


class LambdaAuthorizer:
    """Turns a token into a Caller by asking the function (or the cache)."""

    def __init__(
        self,
        config: LambdaAuthorizerConfig,
        invoke: Invoke,
        *,
        api_id: str,
        api_arn: str,
        account_id: str,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.config = config
        self._invoke = invoke
        self._api_id = api_id
        self._field_arn_prefix = api_arn + "/types/"
        self._account_id = account_id
        self._clock = clock
        # token -> (expiry on the clock, the caller; None for a refusal)
        self._cache: OrderedDict[str, tuple[float, Caller | None]] = OrderedDict()
        self._lock = threading.Lock()

    def authorize(self, token: str, body: bytes, headers: Mapping[str, str]) -> Caller:
        """The caller the token stands for; raises AuthFailure as AppSync answers 401."""
        validation = self.config.validation
        if validation is not None and not validation.fullmatch(token):
            log.info("Lambda authorizer: the token does not match IdentityValidationExpression")
            raise AuthFailure(NOT_AUTHORIZED)
        found, caller = self._cached(token)
        if not found:
            caller = self._ask(token, body, headers)
        if caller is None:
            raise AuthFailure(NOT_AUTHORIZED)
        return caller

    def event(self, token: str, body: bytes, headers: Mapping[str, str]) -> dict[str, Any]:
        """The event the function receives for a request with this token, body and headers."""
        request = _graphql_request(body)
        query, variables = request.get("query"), request.get("variables")
        context: dict[str, Any] = {
            "apiId": self._api_id,
            "accountId": self._account_id,
            "requestId": str(uuid.uuid4()),
            "queryString": query if isinstance(query, str) else "",
            "variables": variables if isinstance(variables, dict) else {},
        }
        if isinstance(request.get("operationName"), str):
            context["operationName"] = request["operationName"]
        return {
            "authorizationToken": token,
            "requestContext": context,
            "requestHeaders": {k.lower(): v for k, v in headers.items()},
        }

    # -- the function's answer -------------------------------------------------------------

    def _ask(self, token: str, body: bytes, headers: Mapping[str, str]) -> Caller | None:
        try:
            answer = self._invoke(self.event(token, body, headers))
        except Exception as error:  # a function error or a timeout: 401, the reason logged
            log.warning("Lambda authorizer failed: %s", error)
            raise AuthFailure(NOT_AUTHORIZED) from error
        try:
            caller, ttl_s = self._read(answer)
        except ValueError as error:
            log.warning("Lambda authorizer answered what AppSync refuses: %s", error)
            raise AuthFailure(NOT_AUTHORIZED) from error
        if ttl_s > 0:
            self._remember(token, caller, ttl_s)
        return caller

    def _read(self, answer: Any) -> tuple[Caller | None, int]:
        if not isinstance(answer, dict) or not isinstance(answer.get("isAuthorized"), bool):
            raise ValueError("the answer has no boolean isAuthorized")
        ttl = answer.get("ttlOverride", self.config.ttl_s)
        if ttl is None:
            ttl = self.config.ttl_s
        if isinstance(ttl, bool) or not isinstance(ttl, int) or not 0 <= ttl <= MAX_TTL_S:
            raise ValueError(f"ttlOverride must be a whole number of seconds, 0 to 3600: {ttl!r}")
        if not answer["isAuthorized"]:
            return None, ttl
        context = answer.get("resolverContext") or {}
        if not isinstance(context, dict):
            raise ValueError("resolverContext must be a JSON object")
        denied = answer.get("deniedFields") or []
        if not isinstance(denied, list) or not all(isinstance(d, str) for d in denied):
            raise ValueError("deniedFields must be a list of strings")
        return lambda_caller(context, self._denied_fields(denied)), ttl

    def _denied_fields(self, entries: list[str]) -> frozenset[tuple[str, str]]:
        fields = set()
        for entry in entries:
            if entry.startswith("arn:"):
                if not entry.startswith(self._field_arn_prefix):
                    continue  # a field of another API sharing this authorizer
                type_name, separator, field_name = entry.removeprefix(
                    self._field_arn_prefix
                ).partition("/fields/")
            else:
                type_name, separator, field_name = entry.partition(".")
            if separator and type_name and field_name:
                fields.add((type_name, field_name))
            else:
                log.warning("Lambda authorizer: deniedFields entry %r names no field", entry)
        return frozenset(fields)

    # -- the cache -------------------------------------------------------------------------

    def _cached(self, token: str) -> tuple[bool, Caller | None]:
        with self._lock:
            entry = self._cache.get(token)
            if entry is None:
                return False, None
            expires, caller = entry
            if expires <= self._clock():
                del self._cache[token]
                return False, None
            return True, caller

    def _remember(self, token: str, caller: Caller | None, ttl_s: int) -> None:
        with self._lock:
            self._cache[token] = (self._clock() + ttl_s, caller)
            self._cache.move_to_end(token)
            while len(self._cache) > CACHE_ENTRIES:
                self._cache.popitem(last=False)


def _graphql_request(body: bytes) -> dict[str, Any]:
    """The GraphQL request in a body (a POST, or a real-time `start`'s data); {} if none."""
    try:
        request = json.loads(body) if body else {}
    except (ValueError, RecursionError):
        return {}
    return request if isinstance(request, dict) else {}


def pool_invoker(
    invoke: Callable[[Any], Coroutine[Any, Any, Any]],
    loop: asyncio.AbstractEventLoop,
    timeout_s: float = TIMEOUT_S,
) -> Invoke:
    """Run a pool's `invoke` coroutine on `loop` from a worker thread, for at most timeout_s.

    Called on `loop` itself it would wait for the loop it blocks: refused instead.
    """

    def run(event: dict[str, Any]) -> Any:
        if _running_loop() is loop:
            raise RuntimeError("the Lambda authorizer must run off the event loop it needs")
        future = asyncio.run_coroutine_threadsafe(invoke(event), loop)
        try:
            return future.result(timeout_s)
        except TimeoutError:
            future.cancel()  # the pool replaces the worker it was using
            raise TimeoutError(f"the authorizer did not answer within {timeout_s:g} s") from None

    return run


def _running_loop() -> asyncio.AbstractEventLoop | None:
    try:
        return asyncio.get_running_loop()
    except RuntimeError:
        return None

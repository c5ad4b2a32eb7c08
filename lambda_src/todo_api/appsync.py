"""The AppSync client: the only module of the function that does I/O.

One `requests.Session` (pooled keep-alive connections) and one SigV4 signer per container.
The signer is `requests_aws4auth.AWS4Auth` built from the execution role's credentials that
Lambda puts in the environment, and rebuilt when they change; botocore's session and
credential providers are never loaded (they would cost tens of milliseconds of cold start).

Every attempt goes through `session.post(..., auth=signer)`, so every attempt is signed anew
with a fresh X-Amz-Date: signed headers are never replayed. Retries are bounded, use
exponential backoff with full jitter, and only repeat what cannot do harm twice:

    failure                                   query   mutation   becomes
    connection never made (refused, DNS,      retry   retry      503 / 504
      connect timeout)
    HTTP 429, GraphQL throttling errorType    retry   retry      503 + Retry-After
    connection lost after sending, HTTP 5xx   retry   no         503 / 502 / 504
    read timeout                              no      no         504
    anything else                             no      no         mapped below

A read timeout is not retried even for queries: the Lambda's own timeout and API Gateway's
29 s cap leave no room for a second long wait.

Each invocation also has a deadline (`invocation_deadline`, set by the handler from the
Lambda context): no attempt waits past it and no retry starts that could not finish before
it, so a slow AppSync is answered with 504 by the function instead of the function being
killed by its own timeout (which API Gateway would turn into a 502 without our error shape).
"""

from __future__ import annotations

import enum
import json
import logging
import os
import random
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any, NamedTuple, TypeVar

import requests
from requests.auth import AuthBase
from requests_aws4auth import AWS4Auth
from urllib3.exceptions import NewConnectionError

from todo_api import documents
from todo_api.config import Config
from todo_api.documents import Operation
from todo_api.errors import (
    ApiError,
    Conflict,
    NotFound,
    UpstreamError,
    UpstreamThrottled,
    UpstreamTimeout,
    UpstreamUnavailable,
    Validation,
)
from todo_api.models import Todo, TodoPage

logger = logging.getLogger(__name__)
T = TypeVar("T")

SERVICE = "appsync"
THROTTLING_ERROR_TYPES = frozenset(
    {
        "DynamoDB:ProvisionedThroughputExceededException",
        "DynamoDB:ThrottlingException",
        "DynamoDB:RequestLimitExceeded",
        "ThrottlingException",
    }
)
UNAVAILABLE_ERROR_TYPES = frozenset({"DynamoDB:InternalServerError", "DynamoDB:ServiceUnavailable"})
CONFLICT_ERROR_TYPES = frozenset({"ConflictError", "DynamoDB:ConditionalCheckFailedException"})


# The monotonic time by which the current invocation must have answered (None: no deadline).
_DEADLINE: ContextVar[float | None] = ContextVar("appsync_deadline", default=None)
# An attempt with less time than this left is not started: it could not finish.
MIN_ATTEMPT_SECONDS = 0.25


@contextmanager
def invocation_deadline(seconds_left: float) -> Iterator[None]:
    """Within the block, calls give up (504) rather than run past `seconds_left` from now."""
    token = _DEADLINE.set(time.monotonic() + seconds_left)
    try:
        yield
    finally:
        _DEADLINE.reset(token)


class Credentials(NamedTuple):
    access_key: str
    secret_key: str
    token: str | None


SignerFactory = Callable[[Credentials, str], AuthBase]


def _seconds_left() -> float:
    deadline = _DEADLINE.get()
    return float("inf") if deadline is None else deadline - time.monotonic()


def credentials_from_env(environ: Mapping[str, str]) -> Credentials | None:
    access_key = environ.get("AWS_ACCESS_KEY_ID")
    secret_key = environ.get("AWS_SECRET_ACCESS_KEY")
    if not access_key or not secret_key:
        return None
    return Credentials(access_key, secret_key, environ.get("AWS_SESSION_TOKEN") or None)


def aws4auth_signer(credentials: Credentials, region: str) -> AuthBase:
    """A SigV4 signer for AppSync; the session token is sent as X-Amz-Security-Token."""
    return AWS4Auth(
        credentials.access_key,
        credentials.secret_key,
        region,
        SERVICE,
        session_token=credentials.token,
    )


class Retry(enum.Enum):
    """Which operations may repeat a failed attempt."""

    NEVER = "never"
    QUERIES = "queries"  # the request may have run: only a read may run twice
    ALWAYS = "always"  # the request surely did not run

    def allows(self, operation: Operation) -> bool:
        return self is Retry.ALWAYS or (self is Retry.QUERIES and not operation.is_mutation)


class AttemptFailed(Exception):
    """One attempt failed with `error`; `retry` says whether another attempt may follow."""

    def __init__(self, error: ApiError, retry: Retry) -> None:
        super().__init__(error.code)
        self.error = error
        self.retry = retry


@dataclass(frozen=True)
class RetryPolicy:
    max_attempts: int = 3
    base_delay: float = 0.05  # seconds before the 2nd attempt, at most; doubles each time
    max_delay: float = 1.0

    def delay(self, failed_attempts: int, rng: Callable[[], float]) -> float:
        ceiling = min(self.max_delay, self.base_delay * 2 ** (failed_attempts - 1))
        return rng() * ceiling  # "full jitter"


class AppSyncClient:
    """Calls the AppSync API as the function's IAM role; implements `logic.TodoClient`."""

    def __init__(
        self,
        url: str,
        region: str,
        *,
        timeouts: tuple[float, float] = (3.05, 8.0),
        retry: RetryPolicy | None = None,
        session: requests.Session | None = None,
        signer_factory: SignerFactory = aws4auth_signer,
        environ: Mapping[str, str] | None = None,
        sleep: Callable[[float], None] = time.sleep,
        rng: Callable[[], float] = random.random,
    ) -> None:
        self._url = url
        self._region = region
        self._timeouts = timeouts
        self._retry = retry or RetryPolicy()
        self._session = session or requests.Session()
        self._signer_factory = signer_factory
        self._environ = os.environ if environ is None else environ
        self._sleep = sleep
        self._rng = rng
        self._signer: AuthBase | None = None
        self._signer_credentials: Credentials | None = None

    @classmethod
    def from_config(cls, config: Config) -> AppSyncClient:
        return cls(
            config.graphql_url,
            config.region,
            timeouts=config.timeouts.as_requests(),
            retry=RetryPolicy(max_attempts=config.max_attempts),
        )

    # ------------------------------------------------------------ TodoClient

    def get_todo(self, todo_id: str) -> Todo | None:
        data = self.execute(documents.GET_TODO, {"id": todo_id})
        return None if data is None else _parse(Todo.from_graphql, data, documents.GET_TODO)

    def list_todos(self, owner: str | None, limit: int, next_token: str | None) -> TodoPage:
        variables = {"owner": owner, "limit": limit, "nextToken": next_token}
        data = self.execute(documents.LIST_TODOS, variables)
        return _parse(TodoPage.from_graphql, data, documents.LIST_TODOS)

    def create_todo(self, owner: str, title: str, completed: bool) -> Todo:
        variables = {"input": {"owner": owner, "title": title, "completed": completed}}
        return self._mutate_todo(documents.CREATE_TODO, variables)

    def update_todo(
        self,
        todo_id: str,
        expected_version: int,
        title: str | None = None,
        completed: bool | None = None,
    ) -> Todo:
        changes = {"title": title, "completed": completed}
        fields = {key: value for key, value in changes.items() if value is not None}
        variables = {"input": {"id": todo_id, "expectedVersion": expected_version, **fields}}
        return self._mutate_todo(documents.UPDATE_TODO, variables)

    def delete_todo(self, todo_id: str, expected_version: int | None = None) -> Todo:
        given: dict[str, Any] = {"id": todo_id}
        if expected_version is not None:
            given["expectedVersion"] = expected_version
        return self._mutate_todo(documents.DELETE_TODO, {"input": given})

    def _mutate_todo(self, operation: Operation, variables: dict[str, Any]) -> Todo:
        data = self.execute(operation, variables)
        if data is None:
            logger.error("AppSync returned null for %s without errors", operation.name)
            raise UpstreamError()
        return _parse(Todo.from_graphql, data, operation)

    # ------------------------------------------------------------ transport

    def execute(self, operation: Operation, variables: Mapping[str, Any]) -> Any:
        """Run one operation and return the value of its root field (may be None)."""
        payload = {
            "query": operation.document,
            "operationName": operation.name,
            "variables": dict(variables),
        }
        body = json.dumps(payload, separators=(",", ":")).encode("utf-8")
        attempt = 1
        while True:
            try:
                return self._attempt(operation, body, self._timeouts_left(operation))
            except AttemptFailed as failed:
                last = attempt >= self._retry.max_attempts
                if last or not failed.retry.allows(operation):
                    raise failed.error from None
                delay = self._retry.delay(attempt, self._rng)
                if _seconds_left() < delay + MIN_ATTEMPT_SECONDS:
                    logger.warning(
                        "Not retrying %s: the invocation's deadline is too close", operation.name
                    )
                    raise failed.error from None
                logger.warning(
                    "Retrying %s after attempt %d failed (%s); sleeping %.3fs",
                    operation.name,
                    attempt,
                    failed.error.code,
                    delay,
                )
                self._sleep(delay)
                attempt += 1

    def _timeouts_left(self, operation: Operation) -> tuple[float, float]:
        """This attempt's (connect, read) timeouts, cut to what the deadline leaves."""
        left = _seconds_left()
        if left < MIN_ATTEMPT_SECONDS:
            logger.warning("No time left for %s before the invocation's deadline", operation.name)
            raise UpstreamTimeout()
        connect, read = self._timeouts
        return min(connect, left), min(read, left)

    def _attempt(self, operation: Operation, body: bytes, timeouts: tuple[float, float]) -> Any:
        try:
            response = self._session.post(
                self._url,
                data=body,
                headers={"Content-Type": "application/json"},
                auth=self._current_signer(),  # signs this attempt, with this attempt's date
                timeout=timeouts,
            )
        except requests.RequestException as exc:
            raise _transport_failure(operation, exc) from None
        return _read_response(operation, response)

    def _current_signer(self) -> AuthBase:
        credentials = credentials_from_env(self._environ)
        if credentials is None:
            logger.error("No AWS credentials in the environment: cannot sign AppSync requests")
            raise UpstreamError()
        if self._signer is None or credentials != self._signer_credentials:
            self._signer = self._signer_factory(credentials, self._region)
            self._signer_credentials = credentials
        return self._signer


# ---------------------------------------------------------------- classification


def _transport_failure(operation: Operation, exc: requests.RequestException) -> AttemptFailed:
    logger.warning("AppSync %s: %s", operation.name, type(exc).__name__)
    if isinstance(exc, requests.ConnectTimeout):
        return AttemptFailed(UpstreamTimeout(), Retry.ALWAYS)
    if isinstance(exc, requests.ReadTimeout):
        return AttemptFailed(UpstreamTimeout(), Retry.NEVER)
    if isinstance(exc, requests.ConnectionError):
        never_sent = _connection_never_made(exc)
        return AttemptFailed(UpstreamUnavailable(), Retry.ALWAYS if never_sent else Retry.QUERIES)
    return AttemptFailed(UpstreamError(), Retry.NEVER)


def _connection_never_made(exc: requests.ConnectionError) -> bool:
    """True when no byte of the request can have reached AppSync (refused, DNS failure)."""
    cause = exc.args[0] if exc.args else None
    return isinstance(getattr(cause, "reason", None), NewConnectionError)


def _read_response(operation: Operation, response: requests.Response) -> Any:
    status = response.status_code
    if status == 429:
        retry_after = _retry_after(response.headers.get("Retry-After"))
        logger.warning("AppSync throttled %s (HTTP 429)", operation.name)
        raise AttemptFailed(UpstreamThrottled(retry_after=retry_after), Retry.ALWAYS)
    if status in (401, 403):
        logger.error(
            "AppSync refused the function's IAM identity for %s (HTTP %d, %s): check the "
            "role's appsync:GraphQL grants and the API's IAM auth mode",
            operation.name,
            status,
            _error_type_of(response),
        )
        raise AttemptFailed(UpstreamError(), Retry.NEVER)
    if status >= 500:
        logger.warning("AppSync answered HTTP %d to %s", status, operation.name)
        raise AttemptFailed(_server_error(status), Retry.QUERIES)
    if status != 200:
        logger.error(
            "AppSync answered HTTP %d to %s (%s)", status, operation.name, _error_type_of(response)
        )
        raise AttemptFailed(UpstreamError(), Retry.NEVER)
    try:
        document = response.json()
    except ValueError:
        logger.error("AppSync answered %s with a body that is not JSON", operation.name)
        raise AttemptFailed(UpstreamError(), Retry.NEVER) from None
    if not isinstance(document, dict):
        logger.error("AppSync answered %s with JSON that is not an object", operation.name)
        raise AttemptFailed(UpstreamError(), Retry.NEVER)
    errors = document.get("errors")
    if errors:
        raise _graphql_failure(operation, errors)
    data = document.get("data")
    if not isinstance(data, dict) or operation.field not in data:
        logger.error("AppSync answered %s without data.%s", operation.name, operation.field)
        raise AttemptFailed(UpstreamError(), Retry.NEVER)
    return data[operation.field]


def _server_error(status: int) -> ApiError:
    if status in (502, 503):
        return UpstreamUnavailable()
    if status == 504:
        return UpstreamTimeout()
    return UpstreamError()


def _graphql_failure(operation: Operation, errors: object) -> AttemptFailed:
    """Map the first GraphQL error to a typed failure (a response with errors is a failure)."""
    first = errors[0] if isinstance(errors, list) and errors else {}
    first = first if isinstance(first, dict) else {}
    error_type = str(first.get("errorType") or "")
    message = str(first.get("message") or "")
    if error_type == "NotFound":
        return AttemptFailed(NotFound(), Retry.NEVER)
    if error_type in CONFLICT_ERROR_TYPES:
        return AttemptFailed(Conflict(), Retry.NEVER)
    if error_type == "ValidationError":
        logger.warning("AppSync refused %s as invalid: %s", operation.name, message)
        return AttemptFailed(Validation(), Retry.NEVER)
    if error_type in THROTTLING_ERROR_TYPES:
        logger.warning("AppSync %s throttled: %s", operation.name, error_type)
        return AttemptFailed(UpstreamThrottled(), Retry.ALWAYS)
    if error_type in UNAVAILABLE_ERROR_TYPES:
        logger.warning("AppSync %s failed: %s", operation.name, error_type)
        return AttemptFailed(UpstreamUnavailable(), Retry.QUERIES)
    if error_type == "Unauthorized":
        logger.error(
            "AppSync refused %s to the function's role (errorType Unauthorized): %s",
            operation.name,
            message,
        )
        return AttemptFailed(UpstreamError(), Retry.NEVER)
    logger.error("AppSync %s failed: errorType=%r message=%r", operation.name, error_type, message)
    return AttemptFailed(UpstreamError(), Retry.NEVER)


def _error_type_of(response: requests.Response) -> str:
    """AppSync's error type for a refused request, for logs only (never sent to clients)."""
    header = response.headers.get("x-amzn-ErrorType", "")
    if header:
        return header.split(":")[0]
    try:
        errors = response.json().get("errors") or [{}]
        return str(errors[0].get("errorType", "unknown"))
    except (ValueError, AttributeError, IndexError, TypeError):
        return "unknown"


def _retry_after(header: str | None) -> int:
    if header and header.strip().isdigit():
        return min(int(header.strip()), 60)
    return 1


def _parse(parse: Callable[[object], T], data: object, operation: Operation) -> T:
    try:
        return parse(data)
    except ValueError as exc:
        logger.error("AppSync answered %s with a malformed result: %s", operation.name, exc)
        raise UpstreamError() from None

"""Typed exceptions and their one mapping to HTTP.

The client and the logic raise these; the handler turns any of them into a response with
`to_http`. Nothing else in the function decides a status code for a failure, and no message
built here carries a stack trace or an upstream detail.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


class ApiError(Exception):
    """A failure a client may see: an HTTP status, a stable code and a safe message."""

    status: int = 500
    code: str = "internal_error"
    default_message: str = "The request could not be completed."

    def __init__(self, message: str | None = None) -> None:
        self.message = message or self.default_message
        super().__init__(self.message)

    def body(self) -> dict[str, Any]:
        return {"code": self.code, "message": self.message}

    def headers(self) -> dict[str, str]:
        return {}


@dataclass(frozen=True)
class Problem:
    """One thing wrong with one input field."""

    field: str
    problem: str

    def to_json(self) -> dict[str, str]:
        return {"field": self.field, "problem": self.problem}


class BadRequest(ApiError):
    status = 400
    code = "bad_request"
    default_message = "The request is not valid."


class ValidationFailed(BadRequest):
    """Input that parsed but broke a rule; `details` names each field and its problem."""

    code = "validation_failed"

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        summary = "; ".join(f"{p.field}: {p.problem}" for p in problems)
        super().__init__(f"Invalid input: {summary}.")

    def body(self) -> dict[str, Any]:
        return {**super().body(), "details": [p.to_json() for p in self.problems]}


class Unauthenticated(ApiError):
    status = 401
    code = "unauthorized"
    default_message = "The request carries no verified identity."


class Forbidden(ApiError):
    status = 403
    code = "forbidden"
    default_message = "You are not allowed to do this."


class NotFound(ApiError):
    status = 404
    code = "not_found"
    default_message = "No such todo."


class Conflict(ApiError):
    status = 409
    code = "conflict"
    default_message = "The todo was changed by someone else: reload it and try again."


class IdempotencyKeyInUse(ApiError):
    """A request with this Idempotency-Key is still running (IETF draft: 409 Conflict)."""

    status = 409
    code = "idempotency_key_in_use"
    default_message = (
        "A request with this Idempotency-Key is still being processed: retry it shortly."
    )

    def headers(self) -> dict[str, str]:
        return {"Retry-After": "1"}


class IdempotencyKeyReused(ApiError):
    """The Idempotency-Key was first used with another body (IETF draft: 422)."""

    status = 422
    code = "idempotency_key_reused"
    default_message = (
        "This Idempotency-Key was already used with a different request body: "
        "use a new key for a new request."
    )


class PayloadTooLarge(ApiError):
    status = 413
    code = "payload_too_large"
    default_message = "The request body is too large."


class Validation(BadRequest):
    """The data layer refused an argument the function let through (errorType ValidationError)."""

    code = "rejected_by_data_layer"
    default_message = "The todo service rejected the input."


class UpstreamError(ApiError):
    """AppSync failed in a way retrying will not fix (or the function is misconfigured)."""

    status = 502
    code = "upstream_error"
    default_message = "The todo service failed to answer properly."


class _RetryLater(ApiError):
    status = 503

    def __init__(self, message: str | None = None, retry_after: int = 1) -> None:
        super().__init__(message)
        self.retry_after = max(1, retry_after)

    def headers(self) -> dict[str, str]:
        return {"Retry-After": str(self.retry_after)}


class UpstreamThrottled(_RetryLater):
    code = "upstream_throttled"
    default_message = "The todo service is busy: retry later."


class UpstreamUnavailable(_RetryLater):
    code = "upstream_unavailable"
    default_message = "The todo service is unavailable: retry later."


class UpstreamTimeout(ApiError):
    status = 504
    code = "upstream_timeout"
    default_message = "The todo service did not answer in time."


class RouteNotFound(ApiError):
    status = 404
    code = "route_not_found"
    default_message = "No such route."


INTERNAL_ERROR = ApiError()


def to_http(error: Exception) -> tuple[int, dict[str, Any], dict[str, str]]:
    """The one mapping from an exception to (status, JSON body, extra headers).

    Anything that is not an `ApiError` becomes a generic 500: the caller logs it, the client
    learns nothing about it.
    """
    api_error = error if isinstance(error, ApiError) else INTERNAL_ERROR
    return api_error.status, api_error.body(), api_error.headers()

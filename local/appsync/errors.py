"""The local AppSync's errors, in AppSync's shapes.

- ErrorEntry: one entry of a GraphQL response's `errors` (message, errorType, data, errorInfo),
  whether a resolver raised it (util.error, util.unauthorized, a runtime error) or the
  endpoint did (field auth, the IAM check); AppSyncError carries one out of the executor.
- The request-level failures: HTTP 401 with `UnauthorizedException` and AppSync's messages.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

# AppSync's errorType for a resolver that throws at run time (see docs/decisions.md).
RUNTIME_ERROR_TYPE = "Code"
UNAUTHORIZED = "Unauthorized"

# Request-level messages, as AppSync words them.
NO_VALID_AUTHORIZATION = "Valid authorization header not provided."
NOT_AUTHORIZED = "You are not authorized to make this call."  # unknown or expired API key
TOKEN_EXPIRED = "Token has expired."  # noqa: S105 - a message, not a secret
IAM_NOT_ENABLED = "IAM authorization is not enabled for this API."
SIGNATURE_MISMATCH = (
    "The request signature we calculated does not match the signature you provided."
)


@dataclass(frozen=True)
class ErrorEntry:
    """One entry of a GraphQL response's `errors` (path and locations are added by the
    executor, which knows where the field is)."""

    message: str
    error_type: str | None = None
    data: Any = None
    error_info: Any = None

    def to_entry(self) -> dict[str, Any]:
        return {
            "message": self.message,
            "errorType": self.error_type,
            "data": self.data,
            "errorInfo": self.error_info,
        }

    @classmethod
    def from_entry(cls, entry: dict[str, Any]) -> ErrorEntry:
        return cls(
            entry.get("message") or "Error",
            entry.get("errorType"),
            entry.get("data"),
            entry.get("errorInfo"),
        )


class AppSyncError(Exception):
    """A field fails with `entry` (the executor turns it into the response's error)."""

    def __init__(self, entry: ErrorEntry) -> None:
        super().__init__(entry.message)
        self.entry = entry


def not_authorized_message(type_name: str, field_name: str) -> str:
    """AppSync's message for a field the caller may not access (queries and subscriptions)."""
    return f"Not Authorized to access {field_name} on type {type_name}"


def unauthorized(type_name: str, field_name: str) -> AppSyncError:
    """A field the caller's mode or policy does not admit (HTTP 200, data null)."""
    return AppSyncError(ErrorEntry(not_authorized_message(type_name, field_name), UNAUTHORIZED))


def runtime_error(text: str) -> ErrorEntry:
    """A handler that threw: "TypeError: not a function" and the like."""
    return ErrorEntry(text, RUNTIME_ERROR_TYPE)


def request_error_body(error_type: str, message: str) -> dict[str, Any]:
    """The body of a request-level failure (HTTP 4xx or 5xx): one error, no data."""
    return {"errors": [{"errorType": error_type, "message": message}]}


def unauthorized_body(message: str) -> dict[str, Any]:
    """The body of a request-level auth failure (HTTP 401)."""
    return request_error_body("UnauthorizedException", message)

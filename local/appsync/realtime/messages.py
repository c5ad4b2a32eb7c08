"""The real-time protocol's messages and error entries (AppSync developer guide, "Building a
real-time WebSocket client in AWS AppSync")."""

from __future__ import annotations

from typing import Any

from graphql import GraphQLError

SUBPROTOCOL = "graphql-ws"
# What a subscriber hears when the local runtime itself failed (details in the runner's log).
LOCAL_FAILURE = {
    "errorType": "LocalRuntimeError",
    "message": "The local AppSync could not start this subscription; the runner's log says why.",
}


def error_message(
    errors: list[dict[str, Any]], subscription_id: str | None = None
) -> dict[str, Any]:
    message: dict[str, Any] = {"type": "error", "payload": {"errors": errors}}
    if subscription_id is not None:
        message["id"] = subscription_id
    return message


def unsupported(what: str = "unknown") -> list[dict[str, Any]]:
    return [
        {
            "errorType": "UnsupportedOperation",
            "message": f"{what} not supported through the realtime channel",
        }
    ]


def validation_error(error: GraphQLError) -> dict[str, Any]:
    return {"errorType": "ValidationError", "message": error.message}


def resolver_error(entry: dict[str, Any]) -> dict[str, Any]:
    """AppSync's real-time errors carry errorType and message; other keys only when set."""
    extras = {k: v for k, v in entry.items() if k not in ("errorType", "message") and v is not None}
    return {"errorType": entry.get("errorType"), "message": entry.get("message", "Error"), **extras}

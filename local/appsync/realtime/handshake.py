"""The authorization header object of the real-time protocol, decoded and authenticated.

At connect it arrives base64-encoded in the URL query (`?header=...`), base64url-encoded as a
`header-...` subprotocol, or as plain HTTP headers; at `start` it is
`payload.extensions.authorization`. Either way it names the GraphQL endpoint's `host`, and for
IAM it is a SigV4 signature of `POST <graphql path>/connect` with body `{}` (connect) or of
`POST <graphql path>` over `payload.data` (start); the GraphQL path is the one the signature
names also when the socket was opened at `<graphql path>/realtime`.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Callable, Mapping
from typing import Any
from urllib.parse import unquote

from aiohttp import web

from local.appsync.auth import AuthFailure, AuthRequest, RequestAuthenticator
from local.appsync.errors import NO_VALID_AUTHORIZATION
from local.appsync.identity import Caller

HEADER_PROTOCOL_PREFIX = "header-"
CONNECT_SUFFIX = "/connect"
REALTIME_SUFFIX = "/realtime"  # where clients connect on a custom domain


def authenticate_connect(authenticator: RequestAuthenticator, request: web.Request) -> Caller:
    """Who opens the connection; raises AuthFailure."""
    headers = handshake_headers(request)
    check_host(headers, request.host)
    path = graphql_path(request) + CONNECT_SUFFIX
    return authenticator.authenticate(_signed_post(request, path, headers, b"{}"))


def authenticate_start(
    authenticator: RequestAuthenticator, request: web.Request, authorization: Any, data: str
) -> Caller:
    """Who starts a subscription, from its `extensions.authorization`; raises AuthFailure."""
    headers = string_headers(authorization)
    check_host(headers, request.host)
    return authenticator.authenticate(
        _signed_post(request, graphql_path(request), headers, data.encode())
    )


def _signed_post(
    request: web.Request, path: str, headers: Mapping[str, str], body: bytes
) -> AuthRequest:
    """The POST an IAM header object signs: no query, the body AppSync names for the step."""
    return AuthRequest("POST", path, "", headers, body, request.remote or "127.0.0.1")


def graphql_path(request: web.Request) -> str:
    """The GraphQL endpoint's path, which IAM signatures name, for either real-time path."""
    return request.rel_url.raw_path.removesuffix(REALTIME_SUFFIX)


def handshake_headers(request: web.Request) -> dict[str, str]:
    """The authorization header object of a connection request, from wherever it was sent."""
    encoded = _raw_query_param(request.query_string, "header")
    if encoded is not None:
        return _decode_header_object(encoded)
    for protocol in _offered_protocols(request.headers):
        if protocol.startswith(HEADER_PROTOCOL_PREFIX):
            return _decode_header_object(protocol.removeprefix(HEADER_PROTOCOL_PREFIX))
    return {k: v for k, v in request.headers.items() if k.lower() != "sec-websocket-protocol"}


def _raw_query_param(query_string: str, name: str) -> str | None:
    """A query value percent-decoded only: clients send raw base64, whose `+` is no space."""
    for pair in query_string.split("&"):
        key, _, value = pair.partition("=")
        if key == name:
            return unquote(value)
    return None


def _offered_protocols(headers: Mapping[str, str]) -> list[str]:
    values = headers.getall("Sec-WebSocket-Protocol", []) if hasattr(headers, "getall") else []
    return [p.strip() for value in values for p in value.split(",") if p.strip()]


def _decode_header_object(encoded: str) -> dict[str, str]:
    """base64 (query string) or base64url (subprotocol), padding optional."""
    padded = encoded + "=" * (-len(encoded) % 4)
    decode: Callable[[str], bytes] = (
        base64.urlsafe_b64decode if ("-" in encoded or "_" in encoded) else base64.b64decode
    )
    try:
        value = json.loads(decode(padded))
    except (binascii.Error, ValueError) as error:
        raise AuthFailure(NO_VALID_AUTHORIZATION) from error
    return string_headers(value)


def string_headers(value: Any) -> dict[str, str]:
    if not isinstance(value, dict) or not all(isinstance(v, str) for v in value.values()):
        raise AuthFailure(NO_VALID_AUTHORIZATION)
    return {str(k): v for k, v in value.items()}


def check_host(headers: Mapping[str, str], endpoint_host: str) -> None:
    """The header object names the GraphQL endpoint's host (here, this server)."""
    host = next((v for k, v in headers.items() if k.lower() == "host"), None)
    if host is None or host.lower() != endpoint_host.lower():
        raise AuthFailure(NO_VALID_AUTHORIZATION)

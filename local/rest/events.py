"""The Lambda proxy contract (REST API, payload format 1.0): the event in, the result out."""

from __future__ import annotations

import base64
import binascii
import fnmatch
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qsl

from multidict import CIMultiDict

_DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
DATE_CLAIMS = frozenset({"exp", "iat", "nbf"})
RESULT_KEYS = frozenset({"statusCode", "headers", "multiValueHeaders", "body", "isBase64Encoded"})
HOP_BY_HOP = frozenset({"content-length", "transfer-encoding", "connection"})


class MalformedResult(Exception):
    """The function's result is not a valid proxy result (API Gateway answers 502)."""


@dataclass(frozen=True)
class IncomingRequest:
    """What the gateway knows about one HTTP request, independent of the web framework."""

    method: str
    path: str  # without the stage prefix, e.g. /items/42
    query_string: str
    headers: tuple[tuple[str, str], ...]  # in arrival order, names as the client sent them
    body: bytes
    source_ip: str
    request_id: str
    received_at: datetime


@dataclass(frozen=True)
class ProxyResponse:
    status: int
    headers: CIMultiDict[str]
    body: bytes


def render_claims(claims: Mapping[str, Any]) -> dict[str, str]:
    """Claims as the REST API's Cognito authorizer passes them: every value a string.

    Lists (e.g. `cognito:groups`) become comma-joined strings, booleans `true`/`false`,
    `exp`/`iat` Java-style dates such as `Tue Apr 04 18:39:39 UTC 2023`, and other numbers
    (e.g. `auth_time`) their decimal text.
    """
    return {name: _claim_text(name, value) for name, value in claims.items()}


def _claim_text(name: str, value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if name in DATE_CLAIMS and isinstance(value, int | float):
        return java_date(value)
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, list) and all(isinstance(item, str) for item in value):
        return ",".join(value)
    if isinstance(value, dict | list):
        return json.dumps(value, separators=(",", ":"))
    return str(value)


def java_date(epoch_seconds: float) -> str:
    moment = datetime.fromtimestamp(epoch_seconds, UTC)
    return (
        f"{_DAYS[moment.weekday()]} {_MONTHS[moment.month - 1]} {moment.day:02d} "
        f"{moment:%H:%M:%S} UTC {moment.year}"
    )


def build_event(
    request: IncomingRequest,
    *,
    resource_path: str,
    path_parameters: Mapping[str, str],
    stage: str,
    stage_variables: Mapping[str, str],
    account_id: str,
    api_id: str,
    resource_id: str,
    claims: Mapping[str, str] | None,
    binary_media_types: Iterable[str] = (),
) -> dict[str, Any]:
    """The REST proxy event (payload format 1.0) for one request."""
    headers, multi_headers = _single_and_multi(request.headers)
    query = parse_qsl(request.query_string, keep_blank_values=True)
    single_query, multi_query = _single_and_multi(query)
    content_type = _header(request.headers, "content-type")
    is_binary = bool(request.body) and _matches(content_type, binary_media_types)
    body: str | None = None
    if request.body:
        body = (
            base64.b64encode(request.body).decode()
            if is_binary
            else request.body.decode("utf-8", "replace")
        )
    user_agent = _header(request.headers, "user-agent")
    epoch_ms = int(request.received_at.timestamp() * 1000)
    context: dict[str, Any] = {
        "accountId": account_id,
        "apiId": api_id,
        "resourceId": resource_id,
        "stage": stage,
        "resourcePath": resource_path,
        "httpMethod": request.method,
        "path": f"/{stage}{request.path}",
        "protocol": "HTTP/1.1",
        "requestId": request.request_id,
        "extendedRequestId": request.request_id,
        "requestTime": request.received_at.strftime("%d/%b/%Y:%H:%M:%S +0000"),
        "requestTimeEpoch": epoch_ms,
        "domainName": _header(request.headers, "host"),
        "domainPrefix": (_header(request.headers, "host") or "").split(".", 1)[0],
        "identity": _identity(request.source_ip, user_agent),
    }
    if claims is not None:
        context["authorizer"] = {"claims": dict(claims)}
    return {
        "resource": resource_path,
        "path": request.path,
        "httpMethod": request.method,
        "headers": headers or None,
        "multiValueHeaders": multi_headers or None,
        "queryStringParameters": single_query or None,
        "multiValueQueryStringParameters": multi_query or None,
        "pathParameters": dict(path_parameters) or None,
        "stageVariables": dict(stage_variables) or None,
        "requestContext": context,
        "body": body,
        "isBase64Encoded": is_binary,
    }


def _identity(source_ip: str, user_agent: str | None) -> dict[str, Any]:
    empty = (
        "cognitoIdentityPoolId",
        "accountId",
        "cognitoIdentityId",
        "caller",
        "accessKey",
        "cognitoAuthenticationType",
        "cognitoAuthenticationProvider",
        "userArn",
        "user",
        "principalOrgId",
    )
    return {**dict.fromkeys(empty), "sourceIp": source_ip, "userAgent": user_agent}


def _single_and_multi(
    pairs: Iterable[tuple[str, str]],
) -> tuple[dict[str, str], dict[str, list[str]]]:
    single: dict[str, str] = {}
    multi: dict[str, list[str]] = {}
    for name, value in pairs:
        single[name] = value  # the last value wins, as in API Gateway
        multi.setdefault(name, []).append(value)
    return single, multi


def _header(headers: Iterable[tuple[str, str]], name: str) -> str | None:
    found = None
    for key, value in headers:
        if key.lower() == name:
            found = value
    return found


def _matches(content_type: str | None, media_types: Iterable[str]) -> bool:
    if not content_type:
        return False
    bare = content_type.split(";", 1)[0].strip().lower()
    return any(fnmatch.fnmatch(bare, pattern.lower()) for pattern in media_types)


def map_result(
    result: Any, accept: str | None, binary_media_types: Iterable[str] = ()
) -> ProxyResponse:
    """Turn a proxy result into the HTTP response; raise `MalformedResult` like API Gateway."""
    if not isinstance(result, dict):
        raise MalformedResult(f"the result is a {type(result).__name__}, not an object")
    unknown = sorted(set(result) - RESULT_KEYS)
    if unknown:
        raise MalformedResult(f"unexpected fields {unknown}")
    status = _status(result.get("statusCode"))
    headers: CIMultiDict[str] = CIMultiDict()
    for name, value in _header_values(result.get("headers"), "headers", multi=False):
        headers.add(name, value)
    for name, value in _header_values(result.get("multiValueHeaders"), "multiValueHeaders"):
        if (name, value) not in headers.items():
            headers.add(name, value)
    for name in HOP_BY_HOP:
        headers.popall(name, None)
    headers.setdefault("Content-Type", "application/json")
    body = _body(result, accept, binary_media_types)
    return ProxyResponse(status, headers, body)


def _status(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise MalformedResult(f"statusCode {value!r} is not an integer")
    try:
        status = int(value)
    except ValueError:
        raise MalformedResult(f"statusCode {value!r} is not an integer") from None
    if not 100 <= status <= 599:
        raise MalformedResult(f"statusCode {status} is not an HTTP status")
    return status


def _header_values(value: Any, field: str, multi: bool = True) -> list[tuple[str, str]]:
    if value is None:
        return []
    if not isinstance(value, dict):
        raise MalformedResult(f"{field} is not an object")
    pairs = []
    for name, item in value.items():
        items = item if multi else [item]
        if multi and not isinstance(item, list):
            raise MalformedResult(f"{field}.{name} is not a list")
        for one in items:
            if isinstance(one, dict | list) or one is None:
                raise MalformedResult(f"{field}.{name} holds {one!r}, not a scalar")
            pairs.append((str(name), _scalar_text(one)))
    return pairs


def _scalar_text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _body(
    result: Mapping[str, Any], accept: str | None, binary_media_types: Iterable[str]
) -> bytes:
    body = result.get("body")
    if body is None:
        return b""
    if not isinstance(body, str):
        raise MalformedResult(f"body is a {type(body).__name__}, not a string")
    if not result.get("isBase64Encoded"):
        return body.encode("utf-8")
    try:
        decoded = base64.b64decode(body, validate=True)
    except (binascii.Error, ValueError):
        raise MalformedResult("body is not valid base64") from None
    accepted = (accept or "").split(",")[0]
    return decoded if _matches(accepted, binary_media_types) else body.encode("ascii")

"""The local API Gateway REST endpoint: an aiohttp application answering like the stage.

Request flow, in API Gateway's order: stage and route match (unknown -> 403 Missing
Authentication Token), payload limit, Cognito authorizer, request validation (parameters and
body against the method's model), then the integration: a MOCK answer (CORS preflight) or a
Lambda proxy invocation whose result becomes the HTTP response. Errors the gateway produces
itself go through the template's gateway responses (or API Gateway's defaults).
"""

from __future__ import annotations

import asyncio
import inspect
import json
import logging
import re
import uuid
import zlib
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import unquote

from aiohttp import web
from jsonschema import Draft4Validator
from multidict import CIMultiDict

from local.rest.events import (
    IncomingRequest,
    MalformedResult,
    build_event,
    map_result,
    render_claims,
)
from local.rest.routes import VARIABLE, CognitoAuthorizer, Method, RestRoutes
from local.template import DEFAULT_ACCOUNT

PAYLOAD_LIMIT = 10 * 1024 * 1024  # API Gateway's REST payload quota (10 MB)
DEFAULT_TEMPLATE = '{"message":$context.error.messageString}'

Claims = Mapping[str, Any]
Authorize = Callable[[str, CognitoAuthorizer], Claims | Awaitable[Claims]]
Invoke = Callable[[dict[str, Any]], Awaitable[Any]]

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class _Failure:
    """A gateway response type with its default status, message and x-amzn-ErrorType."""

    response_type: str
    status: int
    message: str
    error_type: str | None = None


MISSING_TOKEN = _Failure(
    "MISSING_AUTHENTICATION_TOKEN",
    403,
    "Missing Authentication Token",
    "MissingAuthenticationTokenException",
)
UNAUTHORIZED = _Failure("UNAUTHORIZED", 401, "Unauthorized", "UnauthorizedException")
EXPIRED = _Failure("UNAUTHORIZED", 401, "The incoming token has expired", "UnauthorizedException")
BAD_BODY = _Failure("BAD_REQUEST_BODY", 400, "Invalid request body", "BadRequestException")
BAD_PARAMETERS = _Failure("BAD_REQUEST_PARAMETERS", 400, "", "BadRequestException")
TOO_LARGE = _Failure("REQUEST_TOO_LARGE", 413, "Request Too Long")
TIMEOUT = _Failure("INTEGRATION_TIMEOUT", 504, "Endpoint request timed out")
# A function error or a malformed proxy result: API Gateway answers 502 with its 5XX default.
FUNCTION_FAILED = _Failure("DEFAULT_5XX", 502, "Internal server error")


class _Rejected(Exception):
    def __init__(self, failure: _Failure, message: str | None = None, validation: str = ""):
        super().__init__(failure.response_type)
        self.failure = failure
        self.message = failure.message if message is None else message
        self.validation = validation


@dataclass(frozen=True)
class _Match:
    method: Method
    path_parameters: dict[str, str]


def create_rest_app(
    routes: RestRoutes,
    authorizer: Authorize,
    invoke: Invoke | Mapping[str, Invoke],
    *,
    account_id: str = DEFAULT_ACCOUNT,
    payload_limit: int = PAYLOAD_LIMIT,
) -> web.Application:
    """The aiohttp application serving `routes` under `/<stage>/...`.

    `authorizer(token, authorizer)` verifies a Cognito JWT (signature, issuer among the
    authorizer's user pools, expiry) and returns its claims, raising on any failure; an
    exception whose text mentions "expired" (or has `expired = True`) gives API Gateway's
    expired-token message. `invoke(event)` runs the function and returns its result, raising on
    a function error; pass a mapping from function logical id to invoke when the API has
    several functions.
    """
    invokers = _invokers(routes, invoke)
    gateway = _Gateway(routes, authorizer, invokers, account_id, payload_limit)
    app = web.Application(client_max_size=payload_limit + 1)
    app.router.add_route("*", "/{tail:.*}", gateway.handle)
    logger.info(
        "REST API %s (stages %s): not emulated: %s",
        routes.name,
        ", ".join(sorted(routes.stages)),
        "; ".join(routes.not_emulated),
    )
    return app


def _invokers(routes: RestRoutes, invoke: Invoke | Mapping[str, Invoke]) -> dict[str, Invoke]:
    if isinstance(invoke, Mapping):
        missing = sorted(routes.function_ids - set(invoke))
        if missing:
            raise ValueError(f"no invoke given for functions {missing}")
        return dict(invoke)
    return dict.fromkeys(routes.function_ids, invoke)


class _Gateway:
    def __init__(
        self,
        routes: RestRoutes,
        authorizer: Authorize,
        invokers: Mapping[str, Invoke],
        account_id: str,
        payload_limit: int,
    ) -> None:
        self.routes = routes
        self.authorizer = authorizer
        self.invokers = invokers
        self.account_id = account_id
        self.payload_limit = payload_limit
        self.validators = {
            (m.logical_id, content_type): Draft4Validator(model.schema)
            for m in routes.methods
            for content_type, model in m.models.items()
        }
        self.table = _RouteTable(routes.methods)

    async def handle(self, request: web.Request) -> web.StreamResponse:
        request_id = str(uuid.uuid4())
        stage, _, rest = request.rel_url.raw_path.lstrip("/").partition("/")
        if stage not in self.routes.stages:
            return _forbidden(request_id)
        context = _ErrorContext(self.routes, request, stage, request_id)
        try:
            return await self._serve(request, stage, "/" + rest, request_id, context)
        except _Rejected as rejected:
            return context.render(rejected)

    async def _serve(
        self,
        request: web.Request,
        stage: str,
        path: str,
        request_id: str,
        context: _ErrorContext,
    ) -> web.StreamResponse:
        match = self.table.match(request.method, path)
        if match is None:
            raise _Rejected(MISSING_TOKEN)
        context.resource_path = match.method.resource_path
        body = await self._read_body(request)
        claims = await self._authorize(request, match.method)
        self._validate(request, match.method, body)
        if match.method.mock is not None:
            return _mock_response(match.method, request, request_id)
        incoming = IncomingRequest(
            method=request.method,
            path=path,
            query_string=request.query_string,
            headers=_raw_headers(request),
            body=body,
            source_ip=request.remote or "127.0.0.1",
            request_id=request_id,
            received_at=datetime.now(UTC),
        )
        event = build_event(
            incoming,
            resource_path=match.method.resource_path,
            path_parameters=match.path_parameters,
            stage=stage,
            stage_variables=self.routes.stages[stage],
            account_id=self.account_id,
            api_id=self.routes.api_id,
            resource_id=_resource_id(match.method),
            claims=claims,
            binary_media_types=self.routes.binary_media_types,
        )
        return await self._integrate(match.method, event, request, request_id)

    async def _read_body(self, request: web.Request) -> bytes:
        declared = request.content_length
        if declared is not None and declared > self.payload_limit:
            raise _Rejected(TOO_LARGE)
        chunks: list[bytes] = []
        size = 0
        while chunk := await request.content.read(1 << 16):
            size += len(chunk)
            if size > self.payload_limit:
                raise _Rejected(TOO_LARGE)
            chunks.append(chunk)
        return b"".join(chunks)

    async def _authorize(self, request: web.Request, method: Method) -> dict[str, str] | None:
        authorizer = method.authorizer
        if authorizer is None:
            return None
        token = request.headers.get(authorizer.header, "").strip()
        if not token:
            raise _Rejected(UNAUTHORIZED)
        try:
            verified = self.authorizer(token, authorizer)
            claims = await verified if inspect.isawaitable(verified) else verified
        except Exception as error:
            expired = getattr(error, "expired", False) or "expired" in str(error).lower()
            logger.info("authorizer %s refused a token: %s", authorizer.name, error)
            raise _Rejected(EXPIRED if expired else UNAUTHORIZED) from None
        if not _token_fits(claims, method.authorization_scopes):
            raise _Rejected(UNAUTHORIZED)
        return render_claims(claims)

    def _validate(self, request: web.Request, method: Method, body: bytes) -> None:
        if method.validate_parameters:
            missing = [
                p.split(".", 1)[1] for p in method.required_parameters if not _has(request, p)
            ]
            if missing:
                message = f"Missing required request parameters: [{', '.join(missing)}]"
                raise _Rejected(BAD_PARAMETERS, message)
        if not method.validate_body or not method.models:
            return
        has_type = "Content-Type" in request.headers
        content_type = request.content_type.lower() if has_type else "application/json"
        validator = self.validators.get((method.logical_id, content_type))
        if validator is None:
            return
        try:
            document = json.loads(body or b"{}")
        except (ValueError, UnicodeDecodeError, RecursionError) as error:  # Recursion: too deep
            raise _Rejected(BAD_BODY, validation=f"[Invalid JSON: {error}]") from None
        errors = sorted(validator.iter_errors(document), key=lambda e: list(e.absolute_path))
        if errors:
            details = ", ".join(_describe(error) for error in errors)
            raise _Rejected(BAD_BODY, validation=f"[{details}]")

    async def _integrate(
        self, method: Method, event: dict[str, Any], request: web.Request, request_id: str
    ) -> web.StreamResponse:
        invoke = self.invokers[str(method.function_id)]
        try:
            result = await asyncio.wait_for(invoke(event), method.timeout_ms / 1000)
        except TimeoutError:
            logger.warning("%s %s: integration timed out", request.method, request.path)
            raise _Rejected(TIMEOUT) from None
        except Exception as error:
            logger.warning("%s %s: function error: %s", request.method, request.path, error)
            raise _Rejected(FUNCTION_FAILED) from None
        try:
            proxied = map_result(
                result, request.headers.get("Accept"), self.routes.binary_media_types
            )
        except MalformedResult as error:
            logger.warning("%s %s: malformed proxy result: %s", request.method, request.path, error)
            raise _Rejected(FUNCTION_FAILED) from None
        proxied.headers["x-amzn-RequestId"] = request_id
        return web.Response(
            status=proxied.status,
            headers=proxied.headers,
            body=None if proxied.status in (204, 304) else proxied.body,
        )


class _RouteTable:
    """Match a request to a method: literal segments beat `{param}`, which beats `{proxy+}`."""

    def __init__(self, methods: tuple[Method, ...]) -> None:
        self.by_path: dict[str, dict[str, Method]] = {}
        for method in methods:
            self.by_path.setdefault(method.resource_path, {})[method.http_method] = method

    def match(self, http_method: str, path: str) -> _Match | None:
        segments = [unquote(s) for s in path.strip("/").split("/")] if path.strip("/") else []
        best: tuple[tuple[int, ...], str, dict[str, str]] | None = None
        for resource_path in self.by_path:
            found = _match_path(resource_path, segments)
            if found is not None and (best is None or found[0] > best[0]):
                best = (found[0], resource_path, found[1])
        if best is None:
            return None
        methods = self.by_path[best[1]]
        method = methods.get(http_method.upper()) or methods.get("ANY")
        return _Match(method, best[2]) if method else None


def _match_path(
    resource_path: str, segments: list[str]
) -> tuple[tuple[int, ...], dict[str, str]] | None:
    parts = resource_path.strip("/").split("/") if resource_path.strip("/") else []
    score: list[int] = []
    parameters: dict[str, str] = {}
    for index, part in enumerate(parts):
        greedy = re.fullmatch(r"\{([\w-]+)\+\}", part)
        if greedy:
            if index >= len(segments):
                return None
            parameters[greedy.group(1)] = "/".join(segments[index:])
            return (*score, 0), parameters
        if index >= len(segments):
            return None
        parameter = re.fullmatch(r"\{([\w-]+)\}", part)
        if parameter:
            if not segments[index]:
                return None
            parameters[parameter.group(1)] = segments[index]
            score.append(1)
        elif part == segments[index]:
            score.append(2)
        else:
            return None
    if len(parts) != len(segments):
        return None
    return tuple(score), parameters


class _ErrorContext:
    """Renders gateway responses with the `$context` values of the current request."""

    def __init__(self, routes: RestRoutes, request: web.Request, stage: str, request_id: str):
        self.routes = routes
        self.request = request
        self.stage = stage
        self.request_id = request_id
        self.resource_path = ""

    def render(self, rejected: _Rejected) -> web.Response:
        failure = rejected.failure
        specific = self.routes.gateway_responses.get(failure.response_type)
        family = "DEFAULT_4XX" if failure.status < 500 else "DEFAULT_5XX"
        fallback = self.routes.gateway_responses.get(family)
        chosen = specific or fallback
        status = failure.status
        if specific is not None and specific.status_code is not None:
            status = specific.status_code
        elif fallback is not None and fallback.status_code is not None:
            status = fallback.status_code
        template = chosen.template if chosen and chosen.template is not None else DEFAULT_TEMPLATE
        variables = self._variables(rejected)
        body = VARIABLE.sub(lambda m: variables.get(m.group(1) or m.group(2), ""), template)
        headers: CIMultiDict[str] = CIMultiDict({"Content-Type": "application/json"})
        for name, expression in chosen.headers if chosen else ():
            value = _expression_value(expression, self.request)
            if value is not None:
                headers[name] = value
        headers["x-amzn-RequestId"] = self.request_id
        if failure.error_type:
            headers["x-amzn-ErrorType"] = failure.error_type
        return web.Response(status=status, headers=headers, body=body.encode("utf-8"))

    def _variables(self, rejected: _Rejected) -> dict[str, str]:
        request = self.request
        variables = {
            "context.error.message": rejected.message,
            "context.error.messageString": json.dumps(rejected.message),
            "context.error.responseType": rejected.failure.response_type,
            "context.error.validationErrorString": rejected.validation,
            "context.requestId": self.request_id,
            "context.extendedRequestId": self.request_id,
            "context.stage": self.stage,
            "context.resourcePath": self.resource_path,
            "context.httpMethod": request.method,
            "context.path": request.path,
            "context.accountId": DEFAULT_ACCOUNT,
            "context.apiId": self.routes.api_id,
            "context.domainName": request.host,
            "context.protocol": "HTTP/1.1",
            "context.identity.sourceIp": request.remote or "",
            "context.identity.userAgent": request.headers.get("User-Agent", ""),
        }
        for name, value in self.routes.stages.get(self.stage, {}).items():
            variables[f"stageVariables.{name}"] = value
        return variables


def _forbidden(request_id: str) -> web.Response:
    """An unknown stage: API Gateway answers before any of the API's settings apply."""
    headers = {
        "Content-Type": "application/json",
        "x-amzn-RequestId": request_id,
        "x-amzn-ErrorType": "ForbiddenException",
    }
    return web.Response(status=403, headers=headers, body=b'{"message":"Forbidden"}')


def _mock_response(method: Method, request: web.Request, request_id: str) -> web.Response:
    mock = method.mock
    assert mock is not None
    headers: CIMultiDict[str] = CIMultiDict({"Content-Type": "application/json"})
    for name, expression in mock.headers:
        value = _expression_value(expression, request)
        if value is not None:
            headers[name] = value
    headers["x-amzn-RequestId"] = request_id
    body = None if mock.status_code in (204, 304) else mock.body.encode("utf-8")
    return web.Response(status=mock.status_code, headers=headers, body=body)


def _expression_value(expression: str, request: web.Request) -> str | None:
    if len(expression) >= 2 and expression[0] == expression[-1] == "'":
        return expression[1:-1]
    source, _, name = expression.removeprefix("method.request.").partition(".")
    if source == "header":
        return request.headers.get(name)
    if source == "querystring":
        return request.query.get(name)
    return request.match_info.get(name)


def _has(request: web.Request, parameter: str) -> bool:
    source, _, name = parameter.partition(".")
    if source == "header":
        return bool(request.headers.get(name))
    if source == "querystring":
        return name in request.query
    return True  # a path parameter is always present once the route matched


def _token_fits(claims: Claims, scopes: tuple[str, ...]) -> bool:
    """Without scopes the method takes ID tokens only; with scopes, access tokens with one."""
    if not scopes:
        return claims.get("token_use") == "id"
    granted = str(claims.get("scope", "")).split()
    return claims.get("token_use") == "access" and any(scope in granted for scope in scopes)


def _describe(error: Any) -> str:
    where = "/".join(str(part) for part in error.absolute_path)
    return f"{error.message} (at '/{where}')" if where else str(error.message)


def _raw_headers(request: web.Request) -> tuple[tuple[str, str], ...]:
    return tuple(
        (name.decode("latin-1"), value.decode("latin-1")) for name, value in request.raw_headers
    )


def _resource_id(method: Method) -> str:
    """A stable stand-in for API Gateway's generated resource id."""
    return format(zlib.crc32(method.resource_path.encode()), "08x")[:6]

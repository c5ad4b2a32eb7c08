"""Request-level auth of the local AppSync endpoint.

AppSync picks the auth mode from the request itself (AppSync developer guide, "Configuring
authorization and authentication to secure your GraphQL APIs"):
- an `x-api-key` header without `Authorization` is an API key (API_KEY authorization);
- a SigV4 `Authorization` header is IAM when the API has IAM;
- a JWT is a user-pool token when the API has Cognito;
- any other `Authorization` value is a Lambda authorizer's token when the API has AWS_LAMBDA
  (lambda_authorizer.py). This is why, as the guide's "Circumventing SigV4 and OIDC token
  authorization limitations" says, a SigV4 signature or a JWT cannot be a Lambda token on an
  API that also has IAM or Cognito: such values never reach the authorizer.
Whatever fails here is a request-level failure (HTTP 401, `UnauthorizedException`); per-field
rules are the executor's job.
"""

from __future__ import annotations

import base64
import binascii
import json
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from local.appsync.errors import (
    IAM_NOT_ENABLED,
    NO_VALID_AUTHORIZATION,
    NOT_AUTHORIZED,
    SIGNATURE_MISMATCH,
    TOKEN_EXPIRED,
)
from local.appsync.identity import (
    API_KEY,
    COGNITO,
    IAM,
    LAMBDA,
    Caller,
    cognito_caller,
    iam_caller,
)

SIGV4_PREFIX = "AWS4-HMAC-SHA256"

# (token) -> verified claims; raises on any failure
JwtVerifier = Callable[[str], dict[str, Any]]
# (method, path, query, headers, body) -> principal dict with at least "arn" and "account_id";
# raises on any failure
SigV4Verifier = Callable[[str, str, str, Mapping[str, str], bytes], dict[str, Any]]
# (token, body, headers) -> the caller a Lambda authorizer admits; raises AuthFailure
LambdaAuthorize = Callable[[str, bytes, Mapping[str, str]], Caller]


class AuthFailure(Exception):
    """Request-level auth failed; `str(self)` is the message AppSync would return."""


@dataclass(frozen=True)
class AuthRequest:
    """What request-level auth reads of an HTTP request (or of a real-time handshake)."""

    method: str
    path: str  # as sent, still percent-encoded: SigV4 signs it so
    query: str
    headers: Mapping[str, str]
    body: bytes
    source_ip: str


@dataclass(frozen=True)
class RequestAuthenticator:
    enabled_modes: frozenset[str]
    verify_jwt: JwtVerifier
    verify_sigv4: SigV4Verifier
    api_keys: Mapping[str, float] = field(default_factory=dict)  # key -> expiry (epoch s)
    authorize_lambda: LambdaAuthorize | None = None  # set when the API has AWS_LAMBDA

    def authenticate(self, request: AuthRequest) -> Caller:
        authorization = _header(request.headers, "authorization")
        api_key = _header(request.headers, "x-api-key")
        if not authorization and api_key and API_KEY in self.enabled_modes:
            return self._api_key_caller(api_key)
        if not authorization:
            raise AuthFailure(NO_VALID_AUTHORIZATION)
        authorize_lambda = self.authorize_lambda if LAMBDA in self.enabled_modes else None
        lambda_mode = authorize_lambda is not None
        signed = authorization.startswith(SIGV4_PREFIX)
        if signed and (IAM in self.enabled_modes or not lambda_mode):
            return self._iam_caller(request)
        # The header holds the bare token: AppSync refuses "Bearer <jwt>" with 401 "Unable to
        # parse JWT token." (aws/aws-appsync-community#198, #96), so no prefix is stripped.
        token = authorization.strip()
        if COGNITO in self.enabled_modes and (not lambda_mode or looks_like_jwt(token)):
            try:
                claims = self.verify_jwt(token)
            except Exception as error:
                raise AuthFailure(_jwt_message(error)) from error
            return cognito_caller(claims, request.source_ip)
        if authorize_lambda is not None:
            return authorize_lambda(authorization, request.body, request.headers)
        raise AuthFailure(NO_VALID_AUTHORIZATION)

    def _iam_caller(self, request: AuthRequest) -> Caller:
        if IAM not in self.enabled_modes:
            raise AuthFailure(IAM_NOT_ENABLED)
        try:
            principal = self.verify_sigv4(
                request.method, request.path, request.query, request.headers, request.body
            )
        except Exception as error:  # the verifier's reason goes to the log, not the client
            raise AuthFailure(SIGNATURE_MISMATCH) from error
        return iam_caller(principal, request.source_ip)

    def _api_key_caller(self, key: str) -> Caller:
        expires = self.api_keys.get(key)
        if expires is None or expires <= time.time():
            # An unknown and an expired key get the same answer from AppSync.
            raise AuthFailure(NOT_AUTHORIZED)
        return Caller(mode=API_KEY, identity=None)


def _header(headers: Mapping[str, str], name: str) -> str | None:
    for key, value in headers.items():
        if key.lower() == name:
            return value
    return None


def _jwt_message(error: Exception) -> str:
    if "expired" in str(error).lower():
        return TOKEN_EXPIRED
    return NO_VALID_AUTHORIZATION


def looks_like_jwt(token: str) -> bool:
    """Three base64url parts whose first is a JSON object: a JWT, whatever its signature."""
    parts = token.split(".")
    if len(parts) != 3 or not all(parts[:2]):
        return False
    try:
        header = json.loads(base64.urlsafe_b64decode(parts[0] + "=" * (-len(parts[0]) % 4)))
    except (binascii.Error, ValueError):
        return False
    return isinstance(header, dict)

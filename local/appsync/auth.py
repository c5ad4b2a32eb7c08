"""Request-level auth of the local AppSync endpoint.

AppSync picks the auth mode from the request itself: a SigV4 `Authorization` header means IAM,
any other `Authorization` value is a user-pool JWT, and an `x-api-key` header without
`Authorization` is an API key (AppSync developer guide, "Configuring authorization and
authentication to secure your GraphQL APIs", API_KEY authorization). Whatever fails here is a
request-level failure (HTTP 401, `UnauthorizedException`); per-field rules are the executor's
job.
"""

from __future__ import annotations

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
from local.appsync.identity import API_KEY, COGNITO, IAM, Caller, cognito_caller, iam_caller

SIGV4_PREFIX = "AWS4-HMAC-SHA256"

# (token) -> verified claims; raises on any failure
JwtVerifier = Callable[[str], dict[str, Any]]
# (method, path, query, headers, body) -> principal dict with at least "arn" and "account_id";
# raises on any failure
SigV4Verifier = Callable[[str, str, str, Mapping[str, str], bytes], dict[str, Any]]


class AuthFailure(Exception):
    """Request-level auth failed; `str(self)` is the message AppSync would return."""


@dataclass(frozen=True)
class RequestAuthenticator:
    enabled_modes: frozenset[str]
    verify_jwt: JwtVerifier
    verify_sigv4: SigV4Verifier
    api_keys: Mapping[str, float] = field(default_factory=dict)  # key -> expiry (epoch s)

    def authenticate(
        self,
        method: str,
        path: str,
        query: str,
        headers: Mapping[str, str],
        body: bytes,
        source_ip: str,
    ) -> Caller:
        authorization = _header(headers, "authorization")
        api_key = _header(headers, "x-api-key")
        if not authorization and api_key and API_KEY in self.enabled_modes:
            return self._api_key_caller(api_key)
        if not authorization:
            raise AuthFailure(NO_VALID_AUTHORIZATION)
        if authorization.startswith(SIGV4_PREFIX):
            if IAM not in self.enabled_modes:
                raise AuthFailure(IAM_NOT_ENABLED)
            try:
                principal = self.verify_sigv4(method, path, query, headers, body)
            except Exception as error:  # the verifier's reason goes to the log, not the client
                raise AuthFailure(SIGNATURE_MISMATCH) from error
            return iam_caller(principal, source_ip)
        if COGNITO not in self.enabled_modes:
            raise AuthFailure(NO_VALID_AUTHORIZATION)
        token = authorization.removeprefix("Bearer ").strip()
        try:
            claims = self.verify_jwt(token)
        except Exception as error:
            raise AuthFailure(_jwt_message(error)) from error
        return cognito_caller(claims, source_ip)

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

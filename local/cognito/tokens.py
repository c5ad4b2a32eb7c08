"""Verify Cognito user pool JWTs the way API Gateway and AppSync do.

- RS256 only, the key chosen by `kid` from the pool's JWKS;
- `iss` must be `https://cognito-idp.<region>.amazonaws.com/<userPoolId>`;
- `exp` must be in the future (no leeway unless asked for, and never more than a minute);
- `token_use` must be one the caller accepts: the REST Cognito authorizer (no OAuth scopes on
  the method) takes ID tokens only; AppSync's user-pool mode takes ID or access tokens;
- the app client is checked only when a pattern is given (AppSync's `AppIdClientRegex`):
  against `aud` for ID tokens and `client_id` for access tokens.

Failures raise TokenError whose message is for logs; clients get a generic answer.
"""

from __future__ import annotations

import json
import re
import threading
import urllib.request
from collections.abc import Collection, Mapping
from typing import Any

import jwt

ALGORITHM = "RS256"
MAX_LEEWAY_SECONDS = 60
ID_TOKEN_ONLY = frozenset({"id"})  # API Gateway Cognito authorizer without OAuth scopes
ID_OR_ACCESS_TOKEN = frozenset({"id", "access"})  # AppSync AMAZON_COGNITO_USER_POOLS
CLIENT_CLAIM = {"id": "aud", "access": "client_id"}  # where each token names its app client


class TokenError(Exception):
    """The token is not a valid token of this user pool; the message says why (for logs)."""


def issuer_for(region: str, user_pool_id: str) -> str:
    return f"https://cognito-idp.{region}.amazonaws.com/{user_pool_id}"


class CognitoTokenVerifier:
    """Verifies tokens of one user pool against its JWKS (given, or fetched once and kept)."""

    def __init__(
        self,
        region: str,
        user_pool_id: str,
        *,
        jwks: Mapping[str, Any] | None = None,
        endpoint: str | None = None,
        leeway_seconds: int = 0,
    ) -> None:
        if jwks is None and endpoint is None:
            raise ValueError("give the pool's JWKS or the endpoint that serves it")
        if not 0 <= leeway_seconds <= MAX_LEEWAY_SECONDS:
            raise ValueError(f"leeway must be between 0 and {MAX_LEEWAY_SECONDS} seconds")
        self.issuer = issuer_for(region, user_pool_id)
        self._jwks_url = f"{endpoint}/{user_pool_id}/.well-known/jwks.json" if endpoint else ""
        self._keys: dict[str, jwt.PyJWK] | None = _keys_by_kid(jwks) if jwks else None
        self._lock = threading.Lock()
        self._leeway = leeway_seconds

    def verify(
        self,
        token: str,
        *,
        token_uses: Collection[str] = ID_TOKEN_ONLY,
        client_id_pattern: str | None = None,
    ) -> dict[str, Any]:
        """Return the verified claims, or raise TokenError."""
        if not set(token_uses) <= CLIENT_CLAIM.keys():
            raise ValueError(f"token uses are 'id' and 'access', not {sorted(token_uses)}")
        key = self._key_for(token)
        try:
            claims: dict[str, Any] = jwt.decode(
                token,
                key.key,
                algorithms=[ALGORITHM],
                issuer=self.issuer,
                leeway=self._leeway,
                options={"require": ["exp", "iss", "token_use"], "verify_aud": False},
            )
        except jwt.ExpiredSignatureError:
            raise TokenError("token has expired") from None
        except jwt.InvalidIssuerError:
            raise TokenError(f"token was not issued by {self.issuer}") from None
        except jwt.PyJWTError as error:
            raise TokenError(f"token is invalid: {error}") from None
        _check_use_and_client(claims, token_uses, client_id_pattern)
        return claims

    def _key_for(self, token: str) -> jwt.PyJWK:
        try:
            header = jwt.get_unverified_header(token)
        except jwt.PyJWTError as error:
            raise TokenError(f"not a JWT: {error}") from None
        if header.get("alg") != ALGORITHM:
            raise TokenError(f"algorithm {header.get('alg')!r} is not accepted")
        kid = header.get("kid")
        key = self._keys_by_kid().get(str(kid))
        if key is None:
            raise TokenError(f"no key {kid!r} in the user pool's JWKS")
        return key

    def _keys_by_kid(self) -> dict[str, jwt.PyJWK]:
        with self._lock:
            if self._keys is None:
                self._keys = _keys_by_kid(self._fetch_jwks())
            return self._keys

    def _fetch_jwks(self) -> dict[str, Any]:
        if not self._jwks_url.startswith(("http://", "https://")):
            raise TokenError(f"cannot fetch JWKS from {self._jwks_url!r}")
        with urllib.request.urlopen(self._jwks_url, timeout=5) as response:  # noqa: S310
            data: dict[str, Any] = json.load(response)
        return data


def _keys_by_kid(jwks: Mapping[str, Any]) -> dict[str, jwt.PyJWK]:
    return {
        str(key["kid"]): jwt.PyJWK(dict(key), algorithm=ALGORITHM)
        for key in jwks.get("keys", [])
        if key.get("kty") == "RSA" and "kid" in key
    }


def _check_use_and_client(
    claims: Mapping[str, Any], token_uses: Collection[str], client_id_pattern: str | None
) -> None:
    token_use = claims.get("token_use")
    if token_use not in token_uses:
        raise TokenError(f"token_use {token_use!r} is not accepted here ({sorted(token_uses)})")
    if client_id_pattern is None:
        return
    client_claim = CLIENT_CLAIM[str(token_use)]
    client_id = claims.get(client_claim)
    if not isinstance(client_id, str) or not re.fullmatch(client_id_pattern, client_id):
        raise TokenError(f"app client {client_id!r} is not accepted")

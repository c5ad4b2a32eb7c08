"""The Cognito user pool authorizer, backed by the JWT verifiers of `local.cognito.tokens`."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Mapping
from typing import Any

from local.cognito.tokens import ID_OR_ACCESS_TOKEN, CognitoTokenVerifier, TokenError
from local.rest.gateway import Authorize
from local.rest.routes import CognitoAuthorizer

VERIFIED_CACHE_SIZE = 1024


def cognito_authorize(
    verifiers: Mapping[str, CognitoTokenVerifier], clock: Callable[[], float] = time.time
) -> Authorize:
    """An `authorizer` for `create_rest_app` from one verifier per user pool id.

    A token is accepted when one of the pools the authorizer names (ProviderARNs) verifies it.
    Both token uses pass verification here; the gateway then applies API Gateway's rule (ID
    tokens only, unless the method declares OAuth scopes).

    A token a pool verified is remembered until its `exp`: checking its RS256 signature again
    would give the same answer, and was the gateway's largest cost per request. Past `exp` it
    goes through the full verification again, which refuses it (allowing the verifier's leeway).
    """
    verified: dict[tuple[str, str], dict[str, Any]] = {}
    lock = threading.Lock()

    def remembered(pool_id: str, token: str) -> dict[str, Any] | None:
        with lock:
            claims = verified.get((pool_id, token))
        if claims is None or not clock() < claims["exp"]:
            return None
        return dict(claims)

    def remember(pool_id: str, token: str, claims: dict[str, Any]) -> None:
        if not isinstance(claims.get("exp"), int | float):
            return
        with lock:
            if len(verified) >= VERIFIED_CACHE_SIZE:
                verified.pop(next(iter(verified)))  # the oldest entry
            verified[(pool_id, token)] = dict(claims)

    def authorize(token: str, authorizer: CognitoAuthorizer) -> dict[str, Any]:
        failures: list[TokenError] = []
        for pool_id in authorizer.user_pool_ids:
            claims = remembered(pool_id, token)
            if claims is not None:
                return claims
            verifier = verifiers.get(pool_id)
            if verifier is None:
                failures.append(TokenError(f"user pool {pool_id} is not running locally"))
                continue
            try:
                claims = verifier.verify(token, token_uses=ID_OR_ACCESS_TOKEN)
            except TokenError as error:
                failures.append(error)
                continue
            remember(pool_id, token, claims)
            return claims
        raise failures[0] if failures else TokenError(f"{authorizer.name} names no user pool")

    return authorize

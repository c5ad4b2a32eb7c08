"""The Cognito user pool authorizer, backed by the JWT verifiers of `local.tokens`."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from local.rest.gateway import Authorize
from local.rest.routes import CognitoAuthorizer
from local.tokens import ID_OR_ACCESS_TOKEN, CognitoTokenVerifier, TokenError


def cognito_authorize(verifiers: Mapping[str, CognitoTokenVerifier]) -> Authorize:
    """An `authorizer` for `create_rest_app` from one verifier per user pool id.

    A token is accepted when one of the pools the authorizer names (ProviderARNs) verifies it.
    Both token uses pass verification here; the gateway then applies API Gateway's rule (ID
    tokens only, unless the method declares OAuth scopes).
    """

    def authorize(token: str, authorizer: CognitoAuthorizer) -> dict[str, Any]:
        failures: list[TokenError] = []
        for pool_id in authorizer.user_pool_ids:
            verifier = verifiers.get(pool_id)
            if verifier is None:
                failures.append(TokenError(f"user pool {pool_id} is not running locally"))
                continue
            try:
                return verifier.verify(token, token_uses=ID_OR_ACCESS_TOKEN)
            except TokenError as error:
                failures.append(error)
        raise failures[0] if failures else TokenError(f"{authorizer.name} names no user pool")

    return authorize

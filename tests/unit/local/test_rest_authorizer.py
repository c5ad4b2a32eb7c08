"""The Cognito authorizer remembers a verified token until its expiry, and no longer."""

from __future__ import annotations

import json
import time
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm

from local.cognito.tokens import CognitoTokenVerifier, TokenError
from local.rest import CognitoAuthorizer, cognito_authorize

POOL_ID = "us-east-1_Local"
ISSUER = f"https://cognito-idp.us-east-1.amazonaws.com/{POOL_ID}"
KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)
AUTHORIZER = CognitoAuthorizer(
    logical_id="Authorizer",
    name="CognitoAuthorizer",
    header="Authorization",
    provider_arns=(f"arn:aws:cognito-idp:us-east-1:123456789012:userpool/{POOL_ID}",),
)


class CountingVerifier(CognitoTokenVerifier):
    def __init__(self) -> None:
        jwk = json.loads(RSAAlgorithm.to_jwk(KEY.public_key()))
        super().__init__("us-east-1", POOL_ID, jwks={"keys": [{**jwk, "kid": "k1"}]})
        self.calls = 0

    def verify(self, token: str, **kwargs: Any) -> dict[str, Any]:
        self.calls += 1
        return super().verify(token, **kwargs)


def token(exp: int, **claims: Any) -> str:
    payload = {"sub": "alice-sub", "iss": ISSUER, "token_use": "id", "iat": exp - 600, "exp": exp}
    return jwt.encode({**payload, **claims}, KEY, algorithm="RS256", headers={"kid": "k1"})


def test_a_verified_token_is_not_verified_again_before_it_expires() -> None:
    verifier = CountingVerifier()
    authorize = cognito_authorize({POOL_ID: verifier})
    valid = token(int(time.time()) + 600)
    first = authorize(valid, AUTHORIZER)
    second = authorize(valid, AUTHORIZER)
    assert first == second
    assert first["sub"] == "alice-sub"
    assert verifier.calls == 1
    # AND a caller changing its copy of the claims does not change the next caller's
    second["sub"] = "mallory"
    assert authorize(valid, AUTHORIZER)["sub"] == "alice-sub"


def test_a_remembered_token_is_refused_once_it_has_expired() -> None:
    now = [time.time()]
    verifier = CountingVerifier()
    authorize = cognito_authorize({POOL_ID: verifier}, clock=lambda: now[0])
    expiring = token(int(now[0]) + 2)
    authorize(expiring, AUTHORIZER)
    now[0] += 3
    time.sleep(2.5)  # the verifier reads the real clock: let the token really expire
    with pytest.raises(TokenError, match="expired"):
        authorize(expiring, AUTHORIZER)
    assert verifier.calls == 2


def test_a_refused_token_is_not_remembered() -> None:
    verifier = CountingVerifier()
    authorize = cognito_authorize({POOL_ID: verifier})
    forged = jwt.encode(
        {"sub": "x", "iss": ISSUER, "token_use": "id", "exp": int(time.time()) + 600},
        rsa.generate_private_key(public_exponent=65537, key_size=2048),
        algorithm="RS256",
        headers={"kid": "k1"},
    )
    for _ in range(2):
        with pytest.raises(TokenError):
            authorize(forged, AUTHORIZER)
    assert verifier.calls == 2

"""Cognito JWT verification as the REST authorizer and AppSync's user-pool mode do it."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm

from local.aws.provision import provision
from local.aws.server import LocalAws
from local.cognito.tokens import ID_OR_ACCESS_TOKEN, CognitoTokenVerifier, TokenError, issuer_for
from local.template import load_assembly

REGION = "eu-west-1"
POOL_ID = "eu-west-1_TestPool"
CLIENT_ID = "client123"
ISSUER = f"https://cognito-idp.{REGION}.amazonaws.com/{POOL_ID}"
PRIVATE_KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)
OTHER_KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)
JWKS = {"keys": [{**RSAAlgorithm.to_jwk(PRIVATE_KEY.public_key(), as_dict=True), "kid": "k1"}]}


def mint(key: Any = PRIVATE_KEY, headers: dict[str, Any] | None = None, **overrides: Any) -> str:
    now = int(time.time())
    claims = {
        "sub": "user-1",
        "iss": ISSUER,
        "aud": CLIENT_ID,
        "token_use": "id",
        "iat": now,
        "exp": now + 3600,
        **overrides,
    }
    claims = {name: value for name, value in claims.items() if value is not None}
    return jwt.encode(claims, key, algorithm="RS256", headers={"kid": "k1", **(headers or {})})


@pytest.fixture
def verifier() -> CognitoTokenVerifier:
    return CognitoTokenVerifier(REGION, POOL_ID, jwks=JWKS)


def test_issuer_has_the_cognito_form() -> None:
    assert issuer_for(REGION, POOL_ID) == ISSUER


def test_a_valid_id_token_gives_its_claims(verifier: CognitoTokenVerifier) -> None:
    assert verifier.verify(mint())["sub"] == "user-1"


def test_an_expired_token_is_refused(verifier: CognitoTokenVerifier) -> None:
    token = mint(exp=int(time.time()) - 5)
    with pytest.raises(TokenError, match="expired"):
        verifier.verify(token)


def test_a_token_of_another_pool_is_refused(verifier: CognitoTokenVerifier) -> None:
    token = mint(iss=f"https://cognito-idp.{REGION}.amazonaws.com/eu-west-1_Other")
    with pytest.raises(TokenError, match="not issued by"):
        verifier.verify(token)


def test_a_token_signed_by_another_key_is_refused(verifier: CognitoTokenVerifier) -> None:
    with pytest.raises(TokenError, match="invalid"):
        verifier.verify(mint(key=OTHER_KEY))


def test_a_tampered_payload_is_refused(verifier: CognitoTokenVerifier) -> None:
    # GIVEN a genuine token whose payload is swapped for another user's
    header, _, signature = mint().split(".")
    forged_payload = mint(sub="user-2").split(".")[1]
    with pytest.raises(TokenError, match="invalid"):
        verifier.verify(f"{header}.{forged_payload}.{signature}")


def test_an_unknown_kid_is_refused(verifier: CognitoTokenVerifier) -> None:
    with pytest.raises(TokenError, match="no key 'k2'"):
        verifier.verify(mint(headers={"kid": "k2"}))


def test_hs256_is_refused_even_when_keyed_with_the_public_key(
    verifier: CognitoTokenVerifier,
) -> None:
    token = jwt.encode(
        {"iss": ISSUER, "token_use": "id", "exp": int(time.time()) + 60},
        "a-secret-that-is-long-enough-for-hs256!",
        algorithm="HS256",
        headers={"kid": "k1"},
    )
    with pytest.raises(TokenError, match="'HS256' is not accepted"):
        verifier.verify(token)


def test_an_unsigned_token_is_refused(verifier: CognitoTokenVerifier) -> None:
    token = jwt.encode({"iss": ISSUER, "token_use": "id"}, None, algorithm="none")
    with pytest.raises(TokenError, match="'none' is not accepted"):
        verifier.verify(token)


def test_garbage_is_refused(verifier: CognitoTokenVerifier) -> None:
    with pytest.raises(TokenError, match="not a JWT"):
        verifier.verify("not-a-token")


def test_the_rest_authorizer_refuses_access_tokens(verifier: CognitoTokenVerifier) -> None:
    token = mint(token_use="access", aud=None, client_id=CLIENT_ID)
    with pytest.raises(TokenError, match="token_use 'access'"):
        verifier.verify(token)


def test_appsync_accepts_access_tokens(verifier: CognitoTokenVerifier) -> None:
    token = mint(token_use="access", aud=None, client_id=CLIENT_ID)
    claims = verifier.verify(token, token_uses=ID_OR_ACCESS_TOKEN)
    assert claims["client_id"] == CLIENT_ID


def test_a_token_without_token_use_is_refused(verifier: CognitoTokenVerifier) -> None:
    with pytest.raises(TokenError, match="token_use"):
        verifier.verify(mint(token_use=None))


def test_client_pattern_checks_aud_of_id_tokens(verifier: CognitoTokenVerifier) -> None:
    with pytest.raises(TokenError, match="app client 'client123'"):
        verifier.verify(mint(), client_id_pattern="other-client")


def test_client_pattern_checks_client_id_of_access_tokens(
    verifier: CognitoTokenVerifier,
) -> None:
    token = mint(token_use="access", aud=None, client_id="client999")
    with pytest.raises(TokenError, match="app client 'client999'"):
        verifier.verify(token, token_uses=ID_OR_ACCESS_TOKEN, client_id_pattern="client12.")


def test_leeway_is_capped_at_a_minute() -> None:
    with pytest.raises(ValueError, match="leeway"):
        CognitoTokenVerifier(REGION, POOL_ID, jwks=JWKS, leeway_seconds=300)


@pytest.fixture(scope="module")
def moto_pool() -> Iterator[tuple[LocalAws, str, str]]:
    assembly = load_assembly(Path(__file__).parent / "fixtures" / "cdk.out")
    api = "TodoGraphqlApiC0FFEE01"
    known = {api: {"Arn": f"arn:aws:appsync:{REGION}:123456789012:apis/x"}}
    with LocalAws(REGION) as aws:
        resources = provision(assembly, aws.endpoint, REGION, known)
        yield aws, resources.user_pool_id, resources.user_pool_client_id


def sign_in(aws: LocalAws, pool_id: str, client_id: str, email: str) -> dict[str, str]:
    cognito = aws.client("cognito-idp")
    password = "Correct-Horse-42-Battery"
    cognito.admin_create_user(UserPoolId=pool_id, Username=email, MessageAction="SUPPRESS")
    cognito.admin_set_user_password(
        UserPoolId=pool_id, Username=email, Password=password, Permanent=True
    )
    return cognito.initiate_auth(
        ClientId=client_id,
        AuthFlow="USER_PASSWORD_AUTH",
        AuthParameters={"USERNAME": email, "PASSWORD": password},
    )["AuthenticationResult"]


def test_moto_tokens_verify_with_the_jwks_fetched_from_the_endpoint(
    moto_pool: tuple[LocalAws, str, str],
) -> None:
    # GIVEN a user signed in through local Cognito
    aws, pool_id, client_id = moto_pool
    tokens = sign_in(aws, pool_id, client_id, "bob@example.com")
    verifier = CognitoTokenVerifier(REGION, pool_id, endpoint=aws.endpoint)
    # WHEN both tokens are verified the way AppSync does
    id_claims = verifier.verify(tokens["IdToken"], client_id_pattern=client_id)
    access_claims = verifier.verify(
        tokens["AccessToken"], token_uses=ID_OR_ACCESS_TOKEN, client_id_pattern=client_id
    )
    # THEN both name the same user
    assert id_claims["email"] == "bob@example.com"
    assert id_claims["sub"] == access_claims["sub"]

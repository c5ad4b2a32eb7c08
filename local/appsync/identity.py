"""Who is calling the local AppSync: the auth modes, the caller, and ctx.identity.

Request-level auth (auth.py) turns a request into a Caller; the executor checks each field
against the caller's mode and the schema's directives; resolvers see the caller as
`util.authType()` and `ctx.identity`, in the shapes of AppSync's resolver context reference
("Identity" for Cognito user pools, for IAM and for AWS Lambda authorization).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any

COGNITO = "AMAZON_COGNITO_USER_POOLS"

IAM = "AWS_IAM"

API_KEY = "API_KEY"

LAMBDA = "AWS_LAMBDA"

OIDC = "OPENID_CONNECT"

# The directive that admits each auth mode on a field or type.
MODE_DIRECTIVES = {
    "aws_cognito_user_pools": COGNITO,
    "aws_iam": IAM,
    "aws_api_key": API_KEY,
    "aws_oidc": OIDC,
    "aws_lambda": LAMBDA,
}


class AuthType(StrEnum):
    """What `util.authType()` answers for each AppSync authorization mode."""

    USER_POOL = "User Pool Authorization"
    IAM = "IAM Authorization"
    API_KEY = "API Key Authorization"
    OIDC = "Open ID Connect Authorization"
    LAMBDA = "Lambda Authorization"

    @classmethod
    def from_mode(cls, mode: str) -> AuthType:
        """The util.authType() answer for an AppSync authenticationType name (e.g. AWS_IAM)."""
        return _AUTH_TYPE_BY_MODE[mode]


_AUTH_TYPE_BY_MODE = {
    COGNITO: AuthType.USER_POOL,
    IAM: AuthType.IAM,
    API_KEY: AuthType.API_KEY,
    OIDC: AuthType.OIDC,
    LAMBDA: AuthType.LAMBDA,
}


@dataclass(frozen=True)
class Caller:
    """Who made a request, as established by request-level auth."""

    mode: str  # COGNITO, IAM, API_KEY or LAMBDA
    identity: dict[str, Any] | None  # ctx.identity as resolvers see it (None for an API key)
    principal_arn: str | None = None  # IAM only: the role (or user) the signature belongs to
    groups: tuple[str, ...] = ()  # Cognito only
    # Lambda only: the (type, field) pairs the authorizer's deniedFields name; they resolve
    # to null with an Unauthorized error whatever the schema's directives say.
    denied_fields: frozenset[tuple[str, str]] = frozenset()


def cognito_identity(claims: dict[str, Any], source_ip: list[str]) -> dict[str, Any]:
    """ctx.identity for a caller authorized by a Cognito user pool ID token."""
    return {
        "sub": claims["sub"],
        "issuer": claims.get("iss"),
        "username": claims.get("cognito:username", claims.get("username")),
        "claims": claims,
        "sourceIp": source_ip,
        "defaultAuthStrategy": "ALLOW",
        "groups": claims.get("cognito:groups"),
    }


def iam_identity(
    account_id: str, user_arn: str, username: str, source_ip: list[str]
) -> dict[str, Any]:
    """ctx.identity for a SigV4-signed caller (no Cognito identity pool involved)."""
    return {
        "accountId": account_id,
        "userArn": user_arn,
        "username": username,
        "sourceIp": source_ip,
        "cognitoIdentityPoolId": None,
        "cognitoIdentityId": None,
        "cognitoIdentityAuthType": None,
        "cognitoIdentityAuthProvider": None,
    }


def cognito_caller(claims: dict[str, Any], source_ip: str) -> Caller:
    groups = tuple(claims.get("cognito:groups") or ())
    identity = cognito_identity(claims, [source_ip])
    return Caller(mode=COGNITO, identity=identity, groups=groups)


def iam_caller(principal: dict[str, Any], source_ip: str) -> Caller:
    identity = iam_identity(
        principal.get("account_id") or "",
        principal.get("arn") or "",
        principal.get("user_id") or principal.get("access_key_id") or "",
        [source_ip],
    )
    return Caller(mode=IAM, identity=identity, principal_arn=principal.get("arn"))


def lambda_caller(
    resolver_context: dict[str, Any], denied_fields: frozenset[tuple[str, str]]
) -> Caller:
    """A caller a Lambda authorizer admitted: ctx.identity is `{resolverContext}` (resolver
    context reference, "Identity": AWS Lambda authorization), nothing else."""
    return Caller(
        mode=LAMBDA, identity={"resolverContext": resolver_context}, denied_fields=denied_fields
    )

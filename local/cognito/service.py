"""Cognito's sign-in operations as AWS behaves, over moto's user pools.

moto stores the pools, clients, users and groups; it does not verify the SRP password proof,
ignores `PreventUserExistenceErrors`, `ExplicitAuthFlows` and the client's token lifetimes, puts
few claims in the tokens, and has no `GetTokensFromRefreshToken` or `RevokeToken`. This module
answers those operations itself (API reference: InitiateAuth, RespondToAuthChallenge,
GetTokensFromRefreshToken, RevokeToken), reading and updating moto's models in this process,
and registers the tokens it issues with moto so its other operations (GetUser, GlobalSignOut)
accept and revoke them as usual.

Not emulated: MFA challenges at sign-in (a user with MFA set up is refused with a message
saying so), devices, custom auth and choice-based (USER_AUTH) sign-in.
"""

from __future__ import annotations

import json
import secrets
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from joserfc import jwt
from moto.cognitoidp.models import CognitoIdpUser, CognitoIdpUserPool, UserStatus
from moto.core.exceptions import JsonRESTError

from local.cognito import srp
from local.cognito.errors import (
    WRONG_CREDENTIALS,
    CognitoError,
    invalid_parameter,
    not_authorized,
    resource_not_found,
    user_not_found,
)

SECONDS = {"seconds": 1, "minutes": 60, "hours": 3600, "days": 86400}
# CreateUserPoolClient defaults: 1 hour for ID and access tokens, 30 days for refresh tokens.
DEFAULT_VALIDITY = {
    "IdToken": (1, "hours"),
    "AccessToken": (1, "hours"),
    "RefreshToken": (30, "days"),
}
VALIDITY_PROPERTY = {
    "IdToken": "IdTokenValidity",
    "AccessToken": "AccessTokenValidity",
    "RefreshToken": "RefreshTokenValidity",
}
ACCESS_SCOPE = "aws.cognito.signin.user.admin"
# The flow named in InitiateAuth -> the ExplicitAuthFlows entry that allows it.
FLOW_PERMISSION = {
    "USER_SRP_AUTH": "ALLOW_USER_SRP_AUTH",
    "USER_PASSWORD_AUTH": "ALLOW_USER_PASSWORD_AUTH",
    "REFRESH_TOKEN_AUTH": "ALLOW_REFRESH_TOKEN_AUTH",
    "REFRESH_TOKEN": "ALLOW_REFRESH_TOKEN_AUTH",
}
REFRESH_RECORDS = "local_refresh_tokens"  # attribute kept on moto's pool object
BOOLEAN_CLAIMS = {"email_verified", "phone_number_verified"}

PoolLookup = Callable[[], Iterator[CognitoIdpUserPool]]


@dataclass
class RefreshRecord:
    expires_at: float
    auth_time: int
    access_tokens: list[str] = field(default_factory=list)


@dataclass
class Pending:
    """A sign-in waiting for RespondToAuthChallenge (Session -> this)."""

    challenge_name: str
    pool_id: str
    client_id: str
    username: str | None  # None: a decoy for a user who does not exist
    expires_at: float
    srp: srp.Challenge | None = None
    srp_a: int = 0  # the client's public value A, sent with InitiateAuth


class CognitoService:
    """The operations moto gets wrong, answered from moto's state."""

    def __init__(self, pools: PoolLookup, clock: Callable[[], float] = time.time) -> None:
        self._pools = pools
        self._clock = clock
        self._pending: dict[str, Pending] = {}
        self._lock = threading.RLock()
        self.operations: dict[str, Callable[[dict[str, Any]], dict[str, Any]]] = {
            "InitiateAuth": self.initiate_auth,
            "RespondToAuthChallenge": self.respond_to_auth_challenge,
            "GetTokensFromRefreshToken": self.get_tokens_from_refresh_token,
            "RevokeToken": self.revoke_token,
        }

    # -- InitiateAuth ----------------------------------------------------------------------

    def initiate_auth(self, request: dict[str, Any]) -> dict[str, Any]:
        pool, client = self._client(_required(request, "ClientId"))
        flow = _required(request, "AuthFlow")
        parameters = request.get("AuthParameters") or {}
        if flow not in FLOW_PERMISSION:
            raise invalid_parameter(f"{flow} flow is not supported by the local Cognito.")
        allowed = client.extended_config.get("ExplicitAuthFlows")
        if allowed and FLOW_PERMISSION[flow] not in allowed:
            raise invalid_parameter(f"{flow} flow not enabled for this client")
        with self._lock:
            if flow == "USER_SRP_AUTH":
                return self._start_srp(pool, client, parameters)
            if flow == "USER_PASSWORD_AUTH":
                return self._password_auth(pool, client, parameters)
            token = parameters.get("REFRESH_TOKEN")
            if not token:
                raise invalid_parameter("Missing required parameter REFRESH_TOKEN")
            return {"AuthenticationResult": self._refresh(pool, client, token, rotate=False)}

    def _start_srp(self, pool: Any, client: Any, parameters: dict[str, str]) -> dict[str, Any]:
        username = _parameter(parameters, "USERNAME")
        try:
            srp_a = int(_parameter(parameters, "SRP_A"), 16)
        except ValueError:
            srp_a = 0
        if srp_a % srp.N == 0:
            raise invalid_parameter("SRP_A is not valid")
        user = self._user(pool, client, username)
        if user is None:
            # PreventUserExistenceErrors: a challenge like any other, which no password answers.
            challenge = srp.start(pool.id, username, secrets.token_urlsafe(32))
            user_id = username
        else:
            _check_enabled(user)
            challenge = srp.start(pool.id, user.username, user.password or "")
            user_id = user.username
        # Cognito sends no Session with this challenge: SECRET_BLOCK carries the sign-in state.
        secret_block = challenge.parameters["SECRET_BLOCK"]
        self._remember(
            "PASSWORD_VERIFIER",
            pool,
            client,
            user.username if user else None,
            challenge,
            key=secret_block,
            srp_a=srp_a,
        )
        return {
            "ChallengeName": "PASSWORD_VERIFIER",
            "ChallengeParameters": {
                **challenge.parameters,
                "USERNAME": user_id,
                "USER_ID_FOR_SRP": user_id,
            },
        }

    def _password_auth(self, pool: Any, client: Any, parameters: dict[str, str]) -> dict[str, Any]:
        username = _parameter(parameters, "USERNAME")
        password = _parameter(parameters, "PASSWORD")
        user = self._user(pool, client, username)
        if user is None:
            raise not_authorized()
        if not secrets.compare_digest((user.password or "").encode(), password.encode()):
            raise not_authorized()
        _check_enabled(user)
        return self._after_password(pool, client, user)

    def _after_password(self, pool: Any, client: Any, user: CognitoIdpUser) -> dict[str, Any]:
        """The password is right: a new-password challenge, or tokens."""
        if user.status == UserStatus.UNCONFIRMED:
            raise CognitoError("UserNotConfirmedException", "User is not confirmed.")
        if user.status == UserStatus.RESET_REQUIRED:
            raise CognitoError(
                "PasswordResetRequiredException", "Password reset required for the user"
            )
        if user.status == UserStatus.FORCE_CHANGE_PASSWORD:
            session = self._remember("NEW_PASSWORD_REQUIRED", pool, client, user.username)
            attributes = {
                a["Name"]: a["Value"] for a in user.attributes if a["Name"] not in ("sub",)
            }
            return {
                "ChallengeName": "NEW_PASSWORD_REQUIRED",
                "Session": session,
                "ChallengeParameters": {
                    "USER_ID_FOR_SRP": user.username,
                    "requiredAttributes": "[]",
                    "userAttributes": json.dumps(attributes),
                },
            }
        if user.software_token_mfa_enabled or user.sms_mfa_enabled:
            raise invalid_parameter(
                "MFA at sign-in is not emulated by the local Cognito; "
                "sign in with a user without MFA."
            )
        return {
            "ChallengeParameters": {},
            "AuthenticationResult": self._sign_in(pool, client, user),
        }

    # -- RespondToAuthChallenge ------------------------------------------------------------

    def respond_to_auth_challenge(self, request: dict[str, Any]) -> dict[str, Any]:
        pool, client = self._client(_required(request, "ClientId"))
        name = _required(request, "ChallengeName")
        responses = request.get("ChallengeResponses") or {}
        key = request.get("Session")
        if name == "PASSWORD_VERIFIER":
            key = responses.get("PASSWORD_CLAIM_SECRET_BLOCK")
        with self._lock:
            pending = self._pending.pop(str(key), None)
            if (
                pending is None
                or pending.expires_at < self._clock()
                or pending.client_id != client.id
            ):
                raise not_authorized("Invalid session for the user, session is expired.")
            if pending.challenge_name != name:
                raise invalid_parameter(
                    f"Incorrect challenge name: expected {pending.challenge_name}"
                )
            if name == "PASSWORD_VERIFIER":
                return self._password_verifier(pool, client, pending, responses)
            return self._new_password(pool, client, pending, responses)

    def _password_verifier(
        self, pool: Any, client: Any, pending: Pending, responses: dict[str, str]
    ) -> dict[str, Any]:
        assert pending.srp is not None
        signature = _parameter(responses, "PASSWORD_CLAIM_SIGNATURE")
        secret_block = _parameter(responses, "PASSWORD_CLAIM_SECRET_BLOCK")
        timestamp = _parameter(responses, "TIMESTAMP")
        user = pool.users.get(pending.username) if pending.username else None
        verified = srp.verify(pending.srp, pending.srp_a, secret_block, timestamp, signature)
        if user is None or not verified:
            raise not_authorized()
        return self._after_password(pool, client, user)

    def _new_password(
        self, pool: Any, client: Any, pending: Pending, responses: dict[str, str]
    ) -> dict[str, Any]:
        new_password = _parameter(responses, "NEW_PASSWORD")
        user = pool.users.get(pending.username)
        if user is None:
            raise not_authorized()
        try:
            pool.backend._validate_password(pool.id, new_password)
        except JsonRESTError as error:
            raise CognitoError(error.error_type, error.message) from None
        user.password = new_password
        user.status = UserStatus.CONFIRMED
        return {
            "ChallengeParameters": {},
            "AuthenticationResult": self._sign_in(pool, client, user),
        }

    # -- refresh and revoke ----------------------------------------------------------------

    def get_tokens_from_refresh_token(self, request: dict[str, Any]) -> dict[str, Any]:
        pool, client = self._client(_required(request, "ClientId"))
        token = _required(request, "RefreshToken")
        with self._lock:
            rotation = client.extended_config.get("RefreshTokenRotation") or {}
            rotate = rotation.get("Feature") == "ENABLED"
            return {"AuthenticationResult": self._refresh(pool, client, token, rotate=rotate)}

    def revoke_token(self, request: dict[str, Any]) -> dict[str, Any]:
        pool, client = self._client(_required(request, "ClientId"))
        token = _required(request, "Token")
        if client.extended_config.get("EnableTokenRevocation") is False:
            raise CognitoError(
                "UnsupportedOperationException", "Token revocation is not enabled for this client"
            )
        with self._lock:
            issued = pool.refresh_tokens.get(token)
            if issued is None:
                return {}  # unknown or already revoked: nothing to do, and nothing disclosed
            if issued[0] != client.id:
                raise CognitoError("UnauthorizedException", "Invalid client for this token")
            pool.refresh_tokens[token] = None
            record = _records(pool).pop(token, None)
            for access_token in record.access_tokens if record else []:
                pool.access_tokens.pop(access_token, None)
                pool.id_tokens.pop(access_token, None)
        return {}

    def _refresh(self, pool: Any, client: Any, token: str, *, rotate: bool) -> dict[str, Any]:
        issued = pool.refresh_tokens.get(token)
        if issued is None:
            raise not_authorized(
                "Refresh Token has been revoked"
                if token in pool.refresh_tokens
                else "Invalid Refresh Token"
            )
        client_id, username, origin_jti = issued
        record = _records(pool).get(token)
        if client_id != client.id or pool.users.get(username) is None:
            raise not_authorized("Invalid Refresh Token")
        if record is not None and record.expires_at < self._clock():
            raise not_authorized("Refresh Token has expired")
        user = pool.users[username]
        _check_enabled(user)
        auth_time = record.auth_time if record else int(self._clock())
        result = self._tokens(pool, client, user, origin_jti, auth_time, record)
        if rotate:
            pool.refresh_tokens[token] = None
            result["RefreshToken"] = self._new_refresh_token(pool, client, user, auth_time)
        return result

    # -- tokens ----------------------------------------------------------------------------

    def _sign_in(self, pool: Any, client: Any, user: CognitoIdpUser) -> dict[str, Any]:
        auth_time = int(self._clock())
        refresh_token = self._new_refresh_token(pool, client, user, auth_time)
        _, _, origin_jti = pool.refresh_tokens[refresh_token]
        record = _records(pool)[refresh_token]
        result = self._tokens(pool, client, user, origin_jti, auth_time, record)
        result["RefreshToken"] = refresh_token
        return result

    def _new_refresh_token(
        self, pool: Any, client: Any, user: CognitoIdpUser, auth_time: int
    ) -> str:
        token = secrets.token_urlsafe(96)
        pool.refresh_tokens[token] = (client.id, user.username, str(uuid.uuid4()))
        expires = self._clock() + _validity(client, "RefreshToken")
        _records(pool)[token] = RefreshRecord(expires_at=expires, auth_time=auth_time)
        return token

    def _tokens(
        self,
        pool: Any,
        client: Any,
        user: CognitoIdpUser,
        origin_jti: str,
        auth_time: int,
        record: RefreshRecord | None,
    ) -> dict[str, Any]:
        now = int(self._clock())
        common: dict[str, Any] = {
            "sub": user.id,
            "iss": f"https://cognito-idp.{pool.region}.amazonaws.com/{pool.id}",
            "origin_jti": origin_jti,
            "event_id": str(uuid.uuid4()),
            "auth_time": auth_time,
            "iat": now,
        }
        groups = sorted(group.group_name for group in user.groups)
        if groups:
            common["cognito:groups"] = groups
        access_seconds = _validity(client, "AccessToken")
        access_claims = {
            **common,
            "token_use": "access",
            "scope": ACCESS_SCOPE,
            "client_id": client.id,
            "username": user.username,
            "exp": now + access_seconds,
            "jti": str(uuid.uuid4()),
        }
        id_claims = {
            **_attribute_claims(user, client),
            **common,
            "token_use": "id",
            "aud": client.id,
            "cognito:username": user.username,
            "exp": now + _validity(client, "IdToken"),
            "jti": str(uuid.uuid4()),
        }
        access_token = _sign(pool, access_claims)
        id_token = _sign(pool, id_claims)
        pool.access_tokens[access_token] = (client.id, user.username)
        pool.id_tokens[id_token] = (client.id, user.username)
        if record is not None:
            record.access_tokens.extend([access_token, id_token])
        return {
            "AccessToken": access_token,
            "ExpiresIn": access_seconds,
            "TokenType": "Bearer",
            "IdToken": id_token,
        }

    # -- lookups ---------------------------------------------------------------------------

    def _client(self, client_id: str) -> tuple[Any, Any]:
        for pool in self._pools():
            client = pool.clients.get(client_id)
            if client is not None:
                return pool, client
        raise resource_not_found(f"User pool client {client_id} does not exist.")

    def _user(self, pool: Any, client: Any, username: str) -> CognitoIdpUser | None:
        """The user signing in as `username`, or None when the client may not say so."""
        user = _find_user(pool, username)
        if user is None and client.extended_config.get("PreventUserExistenceErrors") != "ENABLED":
            raise user_not_found()
        return user

    def _remember(
        self,
        challenge_name: str,
        pool: Any,
        client: Any,
        username: str | None,
        challenge: srp.Challenge | None = None,
        key: str | None = None,
        srp_a: int = 0,
    ) -> str:
        now = self._clock()
        for session in [s for s, p in self._pending.items() if p.expires_at < now]:
            del self._pending[session]
        session = key or secrets.token_urlsafe(128)
        minutes = int(client.extended_config.get("AuthSessionValidity") or 3)
        self._pending[session] = Pending(
            challenge_name, pool.id, client.id, username, now + 60 * minutes, challenge, srp_a
        )
        return session


def _find_user(pool: Any, username: str) -> CognitoIdpUser | None:
    """By username or sign-in alias; case-insensitively unless the pool says otherwise."""
    user: CognitoIdpUser | None = pool._get_user(username)
    if user is not None:
        return user
    case_sensitive = (pool.extended_config.get("UsernameConfiguration") or {}).get(
        "CaseSensitive", True
    )
    if case_sensitive:
        return None
    wanted = username.lower()
    aliases = pool.extended_config.get("UsernameAttributes") or []
    for candidate in pool.users.values():
        values = [candidate.username] + [candidate.attribute_lookup.get(a) for a in aliases]
        if wanted in [v.lower() for v in values if isinstance(v, str)]:
            return candidate  # type: ignore[no-any-return]
    return None


def _check_enabled(user: CognitoIdpUser) -> None:
    if not user.enabled:
        raise not_authorized("User is disabled.")


def _attribute_claims(user: CognitoIdpUser, client: Any) -> dict[str, Any]:
    """The user's attributes the client may read, as ID token claims."""
    readable = client.extended_config.get("ReadAttributes")
    claims: dict[str, Any] = {}
    for attribute in user.attributes:
        name, value = attribute["Name"], attribute["Value"]
        if name == "sub" or (readable and name not in readable):
            continue
        claims[name] = value == "true" if name in BOOLEAN_CLAIMS else value
    return claims


def _validity(client: Any, token: str) -> int:
    config = client.extended_config
    default_value, default_unit = DEFAULT_VALIDITY[token]
    value = config.get(VALIDITY_PROPERTY[token])
    unit = (config.get("TokenValidityUnits") or {}).get(token)
    if value is None:
        value, unit = default_value, unit or default_unit
    return int(value) * SECONDS[unit or default_unit]


def _records(pool: Any) -> dict[str, RefreshRecord]:
    records = getattr(pool, REFRESH_RECORDS, None)
    if records is None:
        records = {}
        setattr(pool, REFRESH_RECORDS, records)
    return records  # type: ignore[no-any-return]


def _sign(pool: Any, claims: dict[str, Any]) -> str:
    key = pool.json_web_key
    return str(jwt.encode({"alg": "RS256", "kid": key.kid}, claims, key))


def _required(request: dict[str, Any], name: str) -> str:
    value = request.get(name)
    if not isinstance(value, str) or not value:
        raise invalid_parameter(
            f"1 validation error detected: Value at '{name}' failed to satisfy constraint: "
            "Member must not be null"
        )
    return value


def _parameter(parameters: dict[str, Any], name: str) -> str:
    value = parameters.get(name)
    if not isinstance(value, str) or not value:
        raise invalid_parameter(f"Missing required parameter {name}")
    return value


__all__ = ["WRONG_CREDENTIALS", "CognitoService"]

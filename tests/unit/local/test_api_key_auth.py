"""API key authorization (AppSync developer guide, "Configuring authorization and
authentication to secure your GraphQL APIs", API_KEY authorization): the key travels in the
`x-api-key` header, keys come from AWS::AppSync::ApiKey with an expiry, and only fields (or
types) carrying `@aws_api_key` admit it when API_KEY is not the default mode."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest

from local.appsync.auth import AuthFailure, AuthRequest, RequestAuthenticator
from local.appsync.executor import AppSyncExecutor
from local.appsync.identity import API_KEY, COGNITO, IAM, Caller
from local.appsync.specs import DataSourceSpec, ResolverSpec

SCHEMA = """
type Note @aws_api_key @aws_cognito_user_pools { id: ID! text: String }
type Query {
  publicNote(id: ID!): Note @aws_api_key
  privateNote(id: ID!): Note
}
"""
PRELUDE = (
    Path(__file__).resolve().parents[3] / "local" / "appsync" / "prelude.graphql"
).read_text()


def authenticator(keys: dict[str, float]) -> RequestAuthenticator:
    def no_jwt(token: str) -> dict[str, Any]:
        raise ValueError("no tokens in this test")

    def no_sigv4(*_: Any) -> dict[str, Any]:
        raise ValueError("no signatures in this test")

    return RequestAuthenticator(frozenset([COGNITO, IAM, API_KEY]), no_jwt, no_sigv4, keys)


def authenticate(auth: RequestAuthenticator, headers: dict[str, str]) -> Caller:
    return auth.authenticate(AuthRequest("POST", "/graphql", "", headers, b"{}", "127.0.0.1"))


def test_a_valid_key_is_an_api_key_caller_with_no_identity():
    caller = authenticate(authenticator({"da2-good": time.time() + 60}), {"x-api-key": "da2-good"})
    assert (caller.mode, caller.identity) == (API_KEY, None)


@pytest.mark.parametrize("key", ["da2-unknown", "da2-expired", ""])
def test_an_unknown_or_expired_key_is_refused_like_appsync(key):
    auth = authenticator({"da2-expired": time.time() - 1})
    with pytest.raises(AuthFailure) as failure:
        authenticate(auth, {"x-api-key": key} if key else {})
    message = str(failure.value)
    expected = "Valid authorization header not provided." if not key else ""
    assert message == (expected or "You are not authorized to make this call.")


def test_a_key_is_ignored_when_the_api_has_no_api_key_mode():
    auth = RequestAuthenticator(frozenset([COGNITO]), lambda t: {}, lambda *a: {}, {"k": 9e12})
    with pytest.raises(AuthFailure, match="Valid authorization header not provided"):
        authenticate(auth, {"x-api-key": "k"})


def executor() -> AppSyncExecutor:
    note = ({"id": "1", "text": "hello"}, [])
    source = DataSourceSpec("none", "NONE")
    resolvers = {
        ("Query", name): ResolverSpec("Query", name, "UNIT", "code", source)
        for name in ("publicNote", "privateNote")
    }
    return AppSyncExecutor(
        SCHEMA,
        PRELUDE,
        default_mode=COGNITO,
        additional_modes=(IAM, API_KEY),
        resolvers=resolvers,
        run_resolver=lambda *_: note,
        policy_check=lambda *_: False,
    )


def test_an_api_key_caller_reaches_only_fields_marked_for_api_keys():
    api_key = Caller(API_KEY, None)
    public = executor().execute('{ publicNote(id: "1") { id text } }', None, None, api_key)
    private = executor().execute('{ privateNote(id: "1") { id } }', None, None, api_key)
    assert public == {"data": {"publicNote": {"id": "1", "text": "hello"}}}
    assert private["data"] == {"privateNote": None}
    assert private["errors"][0]["errorType"] == "Unauthorized"

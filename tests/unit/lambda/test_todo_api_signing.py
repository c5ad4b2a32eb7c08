"""The SigV4 signature the function sends, checked against botocore's independent signer.

botocore is used here only: the function itself never imports it (cold start).
"""

from __future__ import annotations

import datetime as real_datetime
import importlib
import json
import types

import botocore.auth
import pytest
import requests
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials as BotoCredentials
from todo_api import documents
from todo_api.appsync import Credentials, aws4auth_signer

URL = "https://example1234567890.appsync-api.eu-west-1.amazonaws.com/graphql"
CREDENTIALS = Credentials(
    access_key="ASIAEXAMPLEKEYID0001",
    secret_key="wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
    token="IQoJb3JpZ2luX2VjEXAMPLE//session-token==",
)
INSTANT = real_datetime.datetime(2025, 11, 26, 10, 30, 45, tzinfo=real_datetime.UTC)


@pytest.fixture
def frozen_clocks(monkeypatch: pytest.MonkeyPatch) -> None:
    """Both signers read the same instant."""

    class Frozen(real_datetime.datetime):
        @classmethod
        def now(cls, tz=None):  # type: ignore[override]
            return INSTANT

    signer_module = importlib.import_module("requests_aws4auth.aws4auth")
    shim = types.SimpleNamespace(datetime=Frozen, timezone=real_datetime.timezone)
    monkeypatch.setattr(signer_module, "datetime", shim)
    monkeypatch.setattr(botocore.auth, "get_current_datetime", lambda: INSTANT)


def sign_like_the_function(body: bytes) -> requests.PreparedRequest:
    request = requests.Request(
        "POST", URL, data=body, headers={"Content-Type": "application/json"}
    ).prepare()
    return aws4auth_signer(CREDENTIALS, "eu-west-1")(request)


def sign_with_botocore(signed_by_function: requests.PreparedRequest) -> AWSRequest:
    """Sign the same method, URL, body and signed headers with botocore's SigV4Auth."""
    signed_names = _signed_headers(signed_by_function.headers["Authorization"])
    headers = {
        name: value
        for name, value in signed_by_function.headers.items()
        if name.lower() in signed_names and name.lower() not in ("x-amz-date", "host")
    }
    request = AWSRequest(method="POST", url=URL, data=signed_by_function.body, headers=headers)
    boto_credentials = BotoCredentials(
        CREDENTIALS.access_key, CREDENTIALS.secret_key, CREDENTIALS.token
    )
    botocore.auth.SigV4Auth(boto_credentials, "appsync", "eu-west-1").add_auth(request)
    return request


def _signed_headers(authorization: str) -> set[str]:
    part = authorization.split("SignedHeaders=")[1].split(",")[0]
    return set(part.split(";"))


def _signature(authorization: str) -> str:
    return authorization.split("Signature=")[1]


def graphql_body() -> bytes:
    payload = {
        "query": documents.CREATE_TODO.document,
        "operationName": documents.CREATE_TODO.name,
        "variables": {"input": {"owner": "user-1", "title": "Thé ✓", "completed": False}},
    }
    return json.dumps(payload, separators=(",", ":")).encode()


def test_aws4auth_and_botocore_produce_the_same_signature(frozen_clocks):
    # GIVEN the request the function sends, signed by requests-aws4auth at a fixed instant
    ours = sign_like_the_function(graphql_body())

    # WHEN botocore signs the same request with the same credentials at the same instant
    theirs = sign_with_botocore(ours)

    # THEN both signatures, and the headers they cover, are identical
    assert _signature(ours.headers["Authorization"]) == _signature(theirs.headers["Authorization"])
    assert _signed_headers(ours.headers["Authorization"]) == _signed_headers(
        theirs.headers["Authorization"]
    )
    assert ours.headers["x-amz-date"] == theirs.headers["X-Amz-Date"] == "20251126T103045Z"


def test_the_session_token_is_sent_and_signed(frozen_clocks):
    ours = sign_like_the_function(graphql_body())

    assert ours.headers["X-Amz-Security-Token"] == CREDENTIALS.token
    assert "x-amz-security-token" in _signed_headers(ours.headers["Authorization"])


def test_the_credential_scope_names_appsync_and_the_region(frozen_clocks):
    ours = sign_like_the_function(graphql_body())

    assert (
        f"Credential={CREDENTIALS.access_key}/20251126/eu-west-1/appsync/aws4_request"
        in ours.headers["Authorization"]
    )


def test_a_different_body_gives_a_different_signature(frozen_clocks):
    first = sign_like_the_function(graphql_body())
    second = sign_like_the_function(graphql_body().replace(b"user-1", b"user-2"))

    assert _signature(first.headers["Authorization"]) != _signature(second.headers["Authorization"])

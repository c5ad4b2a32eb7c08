"""SigV4 verification, checked against botocore's SigV4Auth as the independent signer."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from local.aws.sigv4 import Identity, SignatureError, verify_request

REGION = "eu-west-1"
HOST = "127.0.0.1:4010"
BODY = b'{"query":"query { getTodo(id: \\"1\\") { id } }"}'
ROLE_ARN = "arn:aws:iam::123456789012:role/TodoFunctionRole"
SESSION = Identity(
    access_key_id="ASIAEXAMPLEKEY000001",
    secret_access_key="session-secret",
    session_token="session-token",
    arn="arn:aws:sts::123456789012:assumed-role/TodoFunctionRole/local",
    account_id="123456789012",
    role_arn=ROLE_ARN,
    expiration=datetime.now(UTC) + timedelta(hours=1),
)
USER = Identity(
    access_key_id="AKIAEXAMPLEKEY000002",
    secret_access_key="user-secret",
    session_token=None,
    arn="arn:aws:iam::123456789012:user/dev",
    account_id="123456789012",
)
KNOWN = {identity.access_key_id: identity for identity in (SESSION, USER)}


def signed(
    identity: Identity = SESSION,
    *,
    secret: str | None = None,
    token: str | None = None,
    path: str = "/graphql",
    query: str = "",
    body: bytes = BODY,
    extra_headers: dict[str, str] | None = None,
    service: str = "appsync",
    region: str = REGION,
) -> AWSRequest:
    """A request signed by botocore, as the Lambda's requests-aws4auth or boto would."""
    url = f"http://{HOST}{path}" + (f"?{query}" if query else "")
    headers = {"Content-Type": "application/json", **(extra_headers or {})}
    request = AWSRequest(method="POST", url=url, data=body, headers=headers)
    credentials = Credentials(
        identity.access_key_id,
        secret or identity.secret_access_key,
        token if token is not None else identity.session_token,
    )
    SigV4Auth(credentials, service, region).add_auth(request)
    return request


def verify(
    request: AWSRequest,
    *,
    body: bytes | None = None,
    headers: dict[str, str] | None = None,
    path: str | None = None,
    now: datetime | None = None,
) -> Identity:
    """Verify as the local AppSync endpoint does, with what arrived on the wire."""
    sent: dict[str, Any] = {"Host": HOST, **dict(request.headers.items())}
    split = request.url.split("?", 1)
    return verify_request(
        method=request.method,
        path=path or "/" + split[0].split("/", 3)[3],
        query_string=split[1] if len(split) > 1 else "",
        headers={**sent, **(headers or {})},
        body=request.body if body is None else body,
        region=REGION,
        service="appsync",
        lookup=KNOWN.get,
        now=now,
    )


def test_a_request_signed_with_session_credentials_is_verified() -> None:
    assert verify(signed()).arn == SESSION.arn


def test_the_principal_carries_no_secret() -> None:
    principal = verify(signed()).principal()
    assert principal["arn"] == SESSION.arn
    assert principal["role_arn"] == ROLE_ARN
    assert "session-secret" not in principal.values()
    assert "session-token" not in principal.values()


def test_a_request_signed_by_an_iam_user_is_verified() -> None:
    assert verify(signed(USER)).arn == USER.arn


def test_header_names_are_case_insensitive() -> None:
    # GIVEN the signed request's headers, all in upper case as a proxy might send them
    request = signed()
    shouted = {name.upper(): value for name, value in request.headers.items()}
    identity = verify_request(
        method="POST",
        path="/graphql",
        query_string="",
        headers={**shouted, "HOST": HOST},
        body=BODY,
        region=REGION,
        service="appsync",
        lookup=KNOWN.get,
    )
    assert identity.arn == SESSION.arn


def test_a_query_string_is_part_of_the_signature() -> None:
    request = signed(query="b=2&a=hello%20world")
    assert verify(request).arn == SESSION.arn


def test_a_path_needing_encoding_is_verified() -> None:
    request = signed(path="/graph%20ql/x")
    assert verify(request).arn == SESSION.arn


def test_a_wrong_secret_fails() -> None:
    with pytest.raises(SignatureError, match="does not match"):
        verify(signed(secret="guessed"))


def test_a_tampered_body_fails() -> None:
    request = signed()
    with pytest.raises(SignatureError, match="does not match"):
        verify(request, body=BODY.replace(b'\\"1\\"', b'\\"2\\"'))


def test_a_tampered_body_with_a_declared_content_hash_fails() -> None:
    request = signed(extra_headers={"X-Amz-Content-Sha256": hashlib.sha256(BODY).hexdigest()})
    assert verify(request).arn == SESSION.arn
    with pytest.raises(SignatureError, match="X-Amz-Content-Sha256"):
        verify(request, body=b"{}")


def test_a_tampered_signed_header_fails() -> None:
    with pytest.raises(SignatureError, match="does not match"):
        verify(signed(), headers={"Content-Type": "text/plain"})


def test_a_stale_date_fails() -> None:
    later = datetime.now(UTC) + timedelta(minutes=6)
    with pytest.raises(SignatureError, match="Signature expired"):
        verify(signed(), now=later)


def test_a_future_date_fails() -> None:
    earlier = datetime.now(UTC) - timedelta(minutes=6)
    with pytest.raises(SignatureError, match="Signature not yet current"):
        verify(signed(), now=earlier)


def test_a_date_within_the_skew_window_passes() -> None:
    later = datetime.now(UTC) + timedelta(minutes=4)
    assert verify(signed(), now=later).arn == SESSION.arn


def test_session_credentials_without_the_token_fail() -> None:
    request = signed()
    del request.headers["X-Amz-Security-Token"]
    with pytest.raises(SignatureError, match="X-Amz-Security-Token"):
        verify(request)


def test_a_foreign_session_token_fails() -> None:
    with pytest.raises(SignatureError, match="security token does not match"):
        verify(signed(token="stolen-from-elsewhere"))


def test_expired_temporary_credentials_fail() -> None:
    expired = Identity(**{**SESSION.__dict__, "expiration": datetime.now(UTC)})
    request = signed(expired)
    with pytest.raises(SignatureError, match="expired"):
        verify_request(
            method="POST",
            path="/graphql",
            query_string="",
            headers={"Host": HOST, **dict(request.headers.items())},
            body=BODY,
            region=REGION,
            service="appsync",
            lookup={SESSION.access_key_id: expired}.get,
        )


def test_a_signature_for_another_service_fails() -> None:
    with pytest.raises(SignatureError, match="service 'execute-api'"):
        verify(signed(service="execute-api"))


def test_a_signature_for_another_region_fails() -> None:
    with pytest.raises(SignatureError, match="region 'us-east-1'"):
        verify(signed(region="us-east-1"))


def test_an_unsigned_host_fails() -> None:
    # GIVEN a signature whose SignedHeaders leave out host
    request = signed()
    authorization = request.headers["Authorization"].replace("host;", "")
    with pytest.raises(SignatureError, match="'host' must be signed"):
        verify(request, headers={"Authorization": authorization})


def test_an_unknown_access_key_fails() -> None:
    stranger = Identity(**{**USER.__dict__, "access_key_id": "AKIASTRANGER00000000"})
    with pytest.raises(SignatureError, match="unknown access key"):
        verify(signed(stranger))


def test_a_missing_authorization_header_fails() -> None:
    request = signed()
    del request.headers["Authorization"]
    with pytest.raises(SignatureError, match="no Authorization header"):
        verify(request)

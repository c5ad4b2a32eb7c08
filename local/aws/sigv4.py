"""Verify AWS Signature Version 4 on incoming requests, as AppSync does in IAM mode.

The canonical request is rebuilt from what arrived (method, raw path, query, signed headers,
the SHA-256 of the body), the signing key is derived from the secret the credentials lookup
returns, and the signatures are compared in constant time.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from urllib.parse import quote, unquote

ALGORITHM = "AWS4-HMAC-SHA256"
# AppSync answers "Signature expired: ... (... - 5 min.)" and "Signature not yet current:
# ... (... + 5 min.)" outside this window.
MAX_CLOCK_SKEW = timedelta(minutes=5)
AMZ_DATE_FORMAT = "%Y%m%dT%H%M%SZ"
REQUIRED_SIGNED_HEADERS = ("host", "x-amz-date")


@dataclass(frozen=True)
class Identity:
    """The owner of an access key, as the credentials lookup reports it."""

    access_key_id: str
    secret_access_key: str = field(repr=False)
    session_token: str | None = field(repr=False)
    arn: str  # arn:aws:sts::ACCOUNT:assumed-role/ROLE/SESSION, or the IAM user ARN
    account_id: str
    role_arn: str | None = None  # the IAM role behind temporary credentials
    expiration: datetime | None = None  # aware, UTC
    user_id: str | None = None  # "<RoleId>:<session>" for a role session, the user id otherwise

    def principal(self) -> dict[str, str | None]:
        """The verified caller without its secrets, for ctx.identity and policy lookups."""
        return {
            "arn": self.arn,
            "account_id": self.account_id,
            "user_id": self.user_id,
            "access_key_id": self.access_key_id,
            "role_arn": self.role_arn,
        }


CredentialsLookup = Callable[[str], Identity | None]


class SignatureError(Exception):
    """The request is not signed by credentials we know; the message says why (for logs)."""


@dataclass(frozen=True)
class _Authorization:
    access_key_id: str
    date: str
    region: str
    service: str
    signed_headers: tuple[str, ...]
    signature: str

    @property
    def scope(self) -> str:
        return f"{self.date}/{self.region}/{self.service}/aws4_request"


def verify_request(
    *,
    method: str,
    path: str,
    query_string: str,
    headers: Mapping[str, str] | Iterable[tuple[str, str]],
    body: bytes,
    region: str,
    service: str,
    lookup: CredentialsLookup,
    now: datetime | None = None,
) -> Identity:
    """Return the identity that signed the request, or raise SignatureError.

    `path` is the path as sent, still percent-encoded; `query_string` is the raw query.
    """
    header_values = _header_values(headers)
    auth = _parse_authorization(header_values.get("authorization"))
    _check_scope(auth, region, service)
    amz_date = _check_date(header_values, auth, now or datetime.now(UTC))
    identity = lookup(auth.access_key_id)
    if identity is None:
        raise SignatureError(f"unknown access key {auth.access_key_id}")
    _check_credentials(identity, header_values, now or datetime.now(UTC))
    payload_hash = _payload_hash(header_values, body)
    canonical = canonical_request(
        method, path, query_string, header_values, auth.signed_headers, payload_hash
    )
    expected = _signature(identity.secret_access_key, auth, amz_date, canonical)
    if not hmac.compare_digest(expected, auth.signature):
        raise SignatureError("signature does not match")
    return identity


def canonical_request(
    method: str,
    path: str,
    query_string: str,
    header_values: Mapping[str, str],
    signed_headers: Iterable[str],
    payload_hash: str,
) -> str:
    names = list(signed_headers)
    missing = [name for name in names if name not in header_values]
    if missing:
        raise SignatureError(f"signed header(s) missing from the request: {missing}")
    canonical_headers = "".join(f"{name}:{_fold(header_values[name])}\n" for name in names)
    return "\n".join(
        [
            method.upper(),
            canonical_uri(path),
            canonical_query(query_string),
            canonical_headers,
            ";".join(names),
            payload_hash,
        ]
    )


def canonical_uri(path: str) -> str:
    """Dot segments removed, then each segment encoded once more (all services but S3)."""
    segments: list[str] = []
    for segment in path.split("/"):
        if segment == "..":
            if segments:
                segments.pop()
        elif segment not in (".", ""):
            segments.append(segment)
    normalized = "/" + "/".join(segments)
    if path.endswith("/") and normalized != "/":
        normalized += "/"
    return quote(normalized, safe="/~")


def canonical_query(query_string: str) -> str:
    pairs = []
    for pair in query_string.split("&"):
        if not pair:
            continue
        key, _, value = pair.partition("=")
        pairs.append((_encode(unquote(key)), _encode(unquote(value))))
    return "&".join(f"{key}={value}" for key, value in sorted(pairs))


def _encode(text: str) -> str:
    return quote(text, safe="-_.~")


def _fold(value: str) -> str:
    return " ".join(value.split())


def _header_values(headers: Mapping[str, str] | Iterable[tuple[str, str]]) -> dict[str, str]:
    items = headers.items() if isinstance(headers, Mapping) else headers
    values: dict[str, list[str]] = {}
    for name, value in items:
        values.setdefault(name.lower(), []).append(_fold(value))
    return {name: ",".join(parts) for name, parts in values.items()}


def _parse_authorization(header: str | None) -> _Authorization:
    if not header:
        raise SignatureError("no Authorization header")
    algorithm, _, rest = header.strip().partition(" ")
    if algorithm != ALGORITHM:
        raise SignatureError(f"unsupported signing algorithm {algorithm!r}")
    fields: dict[str, str] = {}
    for part in rest.split(","):
        key, sep, value = part.strip().partition("=")
        if sep:
            fields[key] = value
    try:
        credential, signed, signature = (
            fields["Credential"],
            fields["SignedHeaders"],
            fields["Signature"],
        )
    except KeyError as missing:
        raise SignatureError(f"Authorization header lacks {missing.args[0]}") from None
    scope = credential.split("/")
    if len(scope) != 5 or scope[4] != "aws4_request":
        raise SignatureError(f"malformed credential scope {credential!r}")
    return _Authorization(
        access_key_id=scope[0],
        date=scope[1],
        region=scope[2],
        service=scope[3],
        signed_headers=tuple(signed.split(";")),
        signature=signature,
    )


def _check_scope(auth: _Authorization, region: str, service: str) -> None:
    if auth.region != region:
        raise SignatureError(f"credential scope region {auth.region!r}, expected {region!r}")
    if auth.service != service:
        raise SignatureError(f"credential scope service {auth.service!r}, expected {service!r}")
    for name in REQUIRED_SIGNED_HEADERS:
        if name not in auth.signed_headers:
            raise SignatureError(f"header {name!r} must be signed")


def _check_date(headers: Mapping[str, str], auth: _Authorization, now: datetime) -> str:
    amz_date = headers.get("x-amz-date", "")
    try:
        signed_at = datetime.strptime(amz_date, AMZ_DATE_FORMAT).replace(tzinfo=UTC)
    except ValueError:
        raise SignatureError(f"malformed X-Amz-Date {amz_date!r}") from None
    if amz_date[:8] != auth.date:
        raise SignatureError("credential scope date differs from X-Amz-Date")
    current = now.strftime(AMZ_DATE_FORMAT)
    if signed_at < now - MAX_CLOCK_SKEW:
        earliest = (now - MAX_CLOCK_SKEW).strftime(AMZ_DATE_FORMAT)
        raise SignatureError(
            f"Signature expired: {amz_date} is now earlier than {earliest} ({current} - 5 min.)"
        )
    if signed_at > now + MAX_CLOCK_SKEW:
        latest = (now + MAX_CLOCK_SKEW).strftime(AMZ_DATE_FORMAT)
        raise SignatureError(
            f"Signature not yet current: {amz_date} is still later than {latest}"
            f" ({current} + 5 min.)"
        )
    return amz_date


def _check_credentials(identity: Identity, headers: Mapping[str, str], now: datetime) -> None:
    token = headers.get("x-amz-security-token")
    if identity.session_token is None:
        if token is not None:
            raise SignatureError("security token sent with long-term credentials")
        return
    if token is None:
        raise SignatureError("temporary credentials need X-Amz-Security-Token")
    if not hmac.compare_digest(token, identity.session_token):
        raise SignatureError("security token does not match the access key")
    if identity.expiration is not None and identity.expiration <= now:
        raise SignatureError("temporary credentials have expired")


def _payload_hash(headers: Mapping[str, str], body: bytes) -> str:
    computed = hashlib.sha256(body).hexdigest()
    declared = headers.get("x-amz-content-sha256")
    if declared is not None and declared != computed:
        raise SignatureError("X-Amz-Content-Sha256 does not match the body")
    return computed


def _signature(secret: str, auth: _Authorization, amz_date: str, canonical: str) -> str:
    string_to_sign = "\n".join(
        [ALGORITHM, amz_date, auth.scope, hashlib.sha256(canonical.encode()).hexdigest()]
    )
    key = _hmac(f"AWS4{secret}".encode(), auth.date)
    for part in (auth.region, auth.service, "aws4_request"):
        key = _hmac(key, part)
    return hmac.new(key, string_to_sign.encode(), hashlib.sha256).hexdigest()


def _hmac(key: bytes, message: str) -> bytes:
    return hmac.new(key, message.encode(), hashlib.sha256).digest()

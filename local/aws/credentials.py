"""Credentials in the local account: STS credentials for a role, and who an access key is.

Both read moto's STS and IAM backends in this process, so a signature check (sigv4.py) learns
the secret, the session token and the principal behind an access key without a request.
"""

from __future__ import annotations

from datetime import UTC
from typing import Any

from moto.iam.models import get_account_id_from, iam_backends
from moto.sts.models import sts_backends

from local.aws.server import PARTITION, client
from local.aws.sigv4 import Identity


def assume_role_credentials(
    endpoint: str,
    role_arn: str,
    region: str = "us-east-1",
    session_name: str = "local",
    duration_seconds: int = 3600,
) -> tuple[str, str, str]:
    """Temporary credentials for `role_arn` from local STS: (access key, secret, token)."""
    response = client("sts", endpoint, region).assume_role(
        RoleArn=role_arn, RoleSessionName=session_name, DurationSeconds=duration_seconds
    )
    credentials = response["Credentials"]
    return (
        credentials["AccessKeyId"],
        credentials["SecretAccessKey"],
        credentials["SessionToken"],
    )


def credentials_lookup(access_key_id: str) -> Identity | None:
    """Who an access key belongs to, read from moto's in-process STS and IAM backends."""
    account_id = get_account_id_from(access_key_id)
    assumed = sts_backends[account_id][PARTITION].get_assumed_role_from_access_key(access_key_id)
    if assumed is not None:
        return Identity(
            access_key_id=access_key_id,
            secret_access_key=assumed.secret_access_key,
            session_token=assumed.session_token,
            arn=assumed.arn,
            account_id=account_id,
            role_arn=assumed.role_arn,
            expiration=assumed.expiration.replace(tzinfo=UTC),
            user_id=_assumed_role_user_id(assumed),
        )
    iam = iam_backends[account_id][PARTITION]
    key = iam.access_keys.get(access_key_id)
    if key is None or key.user_name is None or key.status != "Active":
        return None
    user = iam.users.get(key.user_name)
    if user is None:
        return None
    return Identity(
        access_key_id=access_key_id,
        secret_access_key=key.secret_access_key,
        session_token=None,
        arn=user.arn,
        account_id=account_id,
        user_id=user.id,
    )


def _assumed_role_user_id(assumed: Any) -> str:
    try:
        return str(assumed.user_id)  # "<RoleId>:<session name>", as AWS reports it
    except Exception:  # the role does not exist in IAM
        return str(assumed.session_name)

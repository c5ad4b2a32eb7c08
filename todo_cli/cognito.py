"""Cognito calls: sign in (USER_PASSWORD_AUTH), refresh, and the admin helper to add users."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from todo_cli.config import StackConfig
from todo_cli.errors import CliError
from todo_cli.session import Session, load_session, save_session

ADMINS_GROUP = "admins"
LOCAL_CREDENTIALS = {"aws_access_key_id": "local", "aws_secret_access_key": "local"}
_CLIENT_CONFIG = Config(connect_timeout=5, read_timeout=30, retries={"max_attempts": 2})


def cognito_client(config: StackConfig) -> Any:
    """A cognito-idp client; against the local stack it uses its endpoint (and dummy keys)."""
    options: dict[str, Any] = {"region_name": config.region, "config": _CLIENT_CONFIG}
    if config.aws_endpoint:
        options["endpoint_url"] = config.aws_endpoint
        if boto3.session.Session().get_credentials() is None:
            options.update(LOCAL_CREDENTIALS)
    return boto3.client("cognito-idp", **options)


def sign_in(config: StackConfig, email: str, password: str) -> Session:
    result = _call(
        lambda: cognito_client(config).initiate_auth(
            ClientId=config.user_pool_client_id,
            AuthFlow="USER_PASSWORD_AUTH",
            AuthParameters={"USERNAME": email, "PASSWORD": password},
        )
    )
    if "AuthenticationResult" not in result:
        challenge = result.get("ChallengeName", "an unknown challenge")
        raise CliError(f"Cognito asks for {challenge}; this CLI handles password sign-in only")
    return _session(email, result["AuthenticationResult"], refresh_token=None)


def refresh(config: StackConfig, session: Session) -> Session:
    if not session.refresh_token:
        raise CliError("the session has expired: run `todo signin` again")
    result = _call(
        lambda: cognito_client(config).initiate_auth(
            ClientId=config.user_pool_client_id,
            AuthFlow="REFRESH_TOKEN_AUTH",
            AuthParameters={"REFRESH_TOKEN": session.refresh_token},
        )
    )
    return _session(session.email, result["AuthenticationResult"], session.refresh_token)


def current_session(config: StackConfig, path: Path) -> Session:
    """The saved session at `path`, refreshed (and saved again) when its tokens expired."""
    session = load_session(path)
    if session.expired:
        session = refresh(config, session)
        save_session(path, session)
    return session


def create_user(config: StackConfig, email: str, password: str, admin: bool) -> None:
    """AdminCreateUser (no invitation), a permanent password, and `admins` if asked."""
    client = cognito_client(config)
    pool = config.user_pool_id
    _call(
        lambda: client.admin_create_user(
            UserPoolId=pool,
            Username=email,
            UserAttributes=[
                {"Name": "email", "Value": email},
                {"Name": "email_verified", "Value": "true"},
            ],
            MessageAction="SUPPRESS",
        )
    )
    _call(
        lambda: client.admin_set_user_password(
            UserPoolId=pool, Username=email, Password=password, Permanent=True
        )
    )
    if admin:
        _call(
            lambda: client.admin_add_user_to_group(
                UserPoolId=pool, Username=email, GroupName=ADMINS_GROUP
            )
        )


def _session(email: str, result: dict[str, Any], refresh_token: str | None) -> Session:
    return Session(
        email=email,
        id_token=result["IdToken"],
        access_token=result["AccessToken"],
        refresh_token=result.get("RefreshToken", refresh_token),
        expires_at=time.time() + int(result.get("ExpiresIn", 3600)),
    )


def _call(operation: Any) -> Any:
    try:
        return operation()
    except ClientError as error:
        details = error.response.get("Error", {})
        raise CliError(f"{details.get('Code', 'Error')}: {details.get('Message', error)}") from None
    except BotoCoreError as error:
        raise CliError(f"Cognito: {error}") from None

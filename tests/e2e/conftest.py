"""Fixtures for the end-to-end tests: one local stack per test session, users on demand."""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from typing import Any

import pytest
from botocore.credentials import Credentials
from e2e_support import PASSWORD, RunningStack, User, role_credentials


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "tests/e2e/" in str(item.path).replace("\\", "/"):
            item.add_marker(pytest.mark.e2e)


@pytest.fixture(scope="session")
def stack() -> Iterator[RunningStack]:
    running = RunningStack()
    yield running
    running.close()


@pytest.fixture(scope="session")
def make_user(stack: RunningStack) -> Any:
    cognito = stack.aws("cognito-idp")
    pool = stack.outputs["UserPoolId"]
    client_id = stack.outputs["UserPoolClientId"]

    def make(admin: bool = False) -> User:
        email = f"user-{secrets.token_hex(4)}@example.com"
        cognito.admin_create_user(
            UserPoolId=pool,
            Username=email,
            UserAttributes=[
                {"Name": "email", "Value": email},
                {"Name": "email_verified", "Value": "true"},
            ],
            MessageAction="SUPPRESS",
        )
        cognito.admin_set_user_password(
            UserPoolId=pool, Username=email, Password=PASSWORD, Permanent=True
        )
        if admin:
            cognito.admin_add_user_to_group(UserPoolId=pool, Username=email, GroupName="admins")
        tokens = cognito.initiate_auth(
            ClientId=client_id,
            AuthFlow="USER_PASSWORD_AUTH",
            AuthParameters={"USERNAME": email, "PASSWORD": PASSWORD},
        )["AuthenticationResult"]
        user = cognito.get_user(AccessToken=tokens["AccessToken"])
        sub = next(a["Value"] for a in user["UserAttributes"] if a["Name"] == "sub")
        return User(stack, email, sub, tokens["IdToken"], tokens["AccessToken"])

    return make


@pytest.fixture
def alice(make_user: Any) -> User:
    return make_user()


@pytest.fixture
def bob(make_user: Any) -> User:
    return make_user()


@pytest.fixture
def function_role(stack: RunningStack) -> Credentials:
    return role_credentials(stack, stack.outputs["TodoFunctionRoleArn"])

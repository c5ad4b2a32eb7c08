"""Fixtures for the end-to-end tests: one local stack per test session, users on demand."""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from typing import Any

import pytest
from botocore.credentials import Credentials
from e2e_support import RunningStack, User, role_credentials

from tests.stack_clients import sign_in_new_user


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

    def make(admin: bool = False) -> User:
        email = f"user-{secrets.token_hex(4)}@example.com"
        attributes = {"email": email, "email_verified": "true"}
        group = "admins" if admin else None
        sub, tokens = sign_in_new_user(cognito, stack.outputs, email, attributes, group)
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

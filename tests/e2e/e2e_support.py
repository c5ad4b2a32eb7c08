"""Clients and helpers for the end-to-end tests: the synthesized stack (cdk.out) running locally.

The stack runs in this process on its own event loop thread, so tests can also reach what a
deployed stack would never show (the run's token-signing key, to mint an expired token).
Clients talk to it only over HTTP on 127.0.0.1, exactly as they would to AWS.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import boto3
import pytest
import requests
from botocore.credentials import Credentials

from local.background import BackgroundStack
from local.stack import Settings
from tests import stack_clients
from tests.stack_clients import DUMMY

# re-exported: the tests import it from here, with the rest of their helpers
from tests.stack_clients import PASSWORD as PASSWORD

ROOT = Path(__file__).resolve().parents[2]
CDK_OUT = Path(os.environ.get("E2E_CDK_OUT", ROOT / "cdk.out"))
STACK_NAME = "TodoApp-dev"
REGION = "us-east-1"
T = TypeVar("T")
TODO_FIELDS = "id owner title completed version createdAt updatedAt"
# Index reads (GET /items, listTodos) see writes this late, as DynamoDB's GSIs may: no test
# may rely on reading its own write through the byOwner index (see `eventually`).
INDEX_DELAY_MS = 300


def eventually(check: Callable[[], T], timeout: float = 5.0) -> T:
    """Run `check` (which asserts) until it passes: what a client does after a write it wants
    to see through the eventually consistent byOwner index."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            return check()
        except AssertionError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.05)


def after_index_delay() -> None:
    """Wait until every write so far has reached the indexes, so an absence means something."""
    time.sleep(INDEX_DELAY_MS / 1000 + 0.1)


class RunningStack(BackgroundStack):
    """The local stack on a background loop; `outputs` is what local-outputs.json holds."""

    def __init__(self) -> None:
        if not (CDK_OUT / f"{STACK_NAME}.template.json").exists():
            pytest.fail("cdk.out has no TodoApp-dev template: run `make synth` (make test does)")
        super().__init__(
            Settings(
                cdk_out=CDK_OUT,
                stack_name=STACK_NAME,
                region=REGION,
                index_delay_ms=INDEX_DELAY_MS,
            )
        )

    def aws(self, service: str) -> Any:
        return boto3.client(
            service, endpoint_url=self.outputs["AwsEndpoint"], region_name=REGION, **DUMMY
        )

    @property
    def signing_key(self) -> Any:
        return self.stack.signing_key


@dataclass
class User:
    """A signed-in Cognito user with a REST session and direct AppSync access."""

    stack: RunningStack
    email: str
    sub: str
    id_token: str
    access_token: str
    rest: requests.Session = field(default_factory=requests.Session)

    def __post_init__(self) -> None:
        self.rest.headers["Authorization"] = self.id_token

    def url(self, path: str) -> str:
        return self.stack.outputs["RestApiUrl"].rstrip("/") + path

    def create(self, title: str, **extra: Any) -> dict[str, Any]:
        response = self.rest.post(self.url("/items"), json={"title": title, **extra}, timeout=10)
        assert response.status_code == 201, response.text
        return response.json()

    def list_all(self, **params: Any) -> list[dict[str, Any]]:
        """Every page of GET /items."""
        items: list[dict[str, Any]] = []
        token = None
        while True:
            query = {**params, **({"nextToken": token} if token else {})}
            response = self.rest.get(self.url("/items"), params=query, timeout=10)
            assert response.status_code == 200, response.text
            page = response.json()
            items.extend(page["items"])
            token = page["nextToken"]
            if not token:
                return items

    def graphql(self, query: str, variables: dict[str, Any] | None = None) -> requests.Response:
        return graphql(self.stack, query, variables, {"Authorization": self.id_token})


def graphql(
    stack: RunningStack,
    query: str,
    variables: dict[str, Any] | None = None,
    headers: dict[str, str] | None = None,
) -> requests.Response:
    return stack_clients.post_graphql(stack.outputs["GraphQLUrl"], query, variables, headers)


def sigv4_headers(
    stack: RunningStack,
    credentials: Credentials,
    body: str,
    *,
    region: str = REGION,
    service: str = "appsync",
) -> dict[str, str]:
    """Headers botocore's signer (independent of the handler's) puts on a GraphQL POST."""
    url = stack.outputs["GraphQLUrl"]
    return stack_clients.sigv4_headers(url, credentials, body, region, service)


def role_credentials(stack: RunningStack, role_arn: str) -> Credentials:
    """Credentials for `role_arn` from the stack's local STS, for botocore's signer."""
    return stack_clients.role_credentials(stack.outputs, role_arn, REGION, session_name="e2e")

"""Fixtures for the Lambda's unit tests.

The function reads its configuration once, at import, so the environment is set here before
anything imports `todo_api`; lambda_src/ (the asset root) goes on sys.path the same way."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

LAMBDA_SRC = Path(__file__).resolve().parents[3] / "lambda_src"

FUNCTION_ENV = {
    "GRAPHQL_URL": "https://example1234567890.appsync-api.eu-west-1.amazonaws.com/graphql",
    "AWS_REGION": "eu-west-1",
    "POWERTOOLS_SERVICE_NAME": "todo-api",
    "POWERTOOLS_METRICS_NAMESPACE": "TodoApp",
    "POWERTOOLS_TRACE_DISABLED": "true",
    "IDEMPOTENCY_TABLE_NAME": "IdempotencyTable",
    "CORS_ALLOW_ORIGIN": "*",
}
for _name, _value in FUNCTION_ENV.items():
    os.environ.setdefault(_name, _value)
if str(LAMBDA_SRC) not in sys.path:
    sys.path.insert(0, str(LAMBDA_SRC))

from todo_api import handler  # noqa: E402
from todo_api_fakes import FakeTodoClient  # noqa: E402


@pytest.fixture
def fake_client() -> Iterator[FakeTodoClient]:
    """A fresh fake data client installed in the handler for one test."""
    client = FakeTodoClient()
    handler.use_client(client)
    yield client
    handler.use_client(None)

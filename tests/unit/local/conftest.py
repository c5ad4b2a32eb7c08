"""Shared fixtures of the local runner's unit tests."""

from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from moto import mock_aws

from tests.unit.todo_table import create_todo_table

TODO_TABLE = "Todos"


@pytest.fixture
def todo_table_client(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """A DynamoDB client on an in-process moto holding an empty todo table named Todos."""
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
        monkeypatch.setenv(name, "testing")
    with mock_aws():
        client = boto3.client("dynamodb", region_name="us-east-1")
        create_todo_table(client, TODO_TABLE)
        yield client

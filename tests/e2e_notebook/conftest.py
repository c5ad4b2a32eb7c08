"""One local run of the notebook example stack for the whole session."""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from typing import Any

import pytest
from notebook_support import NotebookStack, Writer, sign_up


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "tests/e2e_notebook/" in str(item.path).replace("\\", "/"):
            item.add_marker(pytest.mark.e2e)


@pytest.fixture(scope="session")
def notebook_stack() -> Iterator[NotebookStack]:
    running = NotebookStack()
    yield running
    running.close()


@pytest.fixture(scope="session")
def make_writer(notebook_stack: NotebookStack) -> Any:
    return lambda: sign_up(notebook_stack, f"writer-{secrets.token_hex(4)}@example.com")


@pytest.fixture
def writer(make_writer: Any) -> Writer:
    return make_writer()


@pytest.fixture
def notebook(writer: Writer) -> dict[str, Any]:
    response = writer.graphql(
        "mutation ($t: String!) { createNotebook(title: $t) { id owner title noteCount } }",
        {"t": "Field notes"},
    )
    body = response.json()
    assert "errors" not in body, body
    return dict(body["data"]["createNotebook"])

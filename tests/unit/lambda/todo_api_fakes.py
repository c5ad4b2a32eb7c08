"""Test doubles and helpers for the Lambda's unit tests (imported by tests and conftest).

`conftest.py` sets the function's environment and puts lambda_src/ on sys.path first."""

from __future__ import annotations

import copy
import json
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from todo_api import handler
from todo_api.errors import NotFound
from todo_api.models import Todo, TodoPage

EVENTS = Path(__file__).resolve().parents[2] / "events"

ALICE = "2f1c6a38-7f5e-4b8e-9d6a-1c2b3d4e5f60"  # the sub in the events' claims
BOB = "5b6c7d8e-9f0a-4b1c-8d2e-3f4a5b6c7d8e"
ADMIN = "9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d"
TODO_ID = "7d3e9a52-1b4c-4f7e-8a2d-5c6b7e8f9a01"  # the id in the events' paths
STAMP = "2025-11-26T10:00:00.000Z"


def make_todo(todo_id: str = TODO_ID, owner: str = ALICE, **changes: Any) -> Todo:
    todo = Todo(
        id=todo_id,
        owner=owner,
        title="Buy milk",
        completed=False,
        version=1,
        created_at=STAMP,
        updated_at=STAMP,
    )
    return replace(todo, **changes)


@dataclass
class FakeTodoClient:
    """An in-memory `TodoClient`: records each call; `fail_with` makes every call raise."""

    todos: dict[str, Todo] = field(default_factory=dict)
    calls: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    fail_with: Exception | None = None

    def add(self, todo: Todo) -> Todo:
        self.todos[todo.id] = todo
        return todo

    def _record(self, name: str, **arguments: Any) -> None:
        self.calls.append((name, arguments))
        if self.fail_with is not None:
            raise self.fail_with

    def calls_to(self, name: str) -> list[dict[str, Any]]:
        return [arguments for called, arguments in self.calls if called == name]

    def get_todo(self, todo_id: str) -> Todo | None:
        self._record("get_todo", todo_id=todo_id)
        return self.todos.get(todo_id)

    def list_todos(self, owner: str | None, limit: int, next_token: str | None) -> TodoPage:
        self._record("list_todos", owner=owner, limit=limit, next_token=next_token)
        mine = [todo for todo in self.todos.values() if owner is None or todo.owner == owner]
        return TodoPage(tuple(mine[:limit]), "next-page" if len(mine) > limit else None)

    def create_todo(self, owner: str, title: str, completed: bool) -> Todo:
        self._record("create_todo", owner=owner, title=title, completed=completed)
        return self.add(
            make_todo(f"new-{len(self.todos) + 1}", owner, title=title, completed=completed)
        )

    def update_todo(
        self,
        todo_id: str,
        expected_version: int,
        title: str | None = None,
        completed: bool | None = None,
    ) -> Todo:
        self._record(
            "update_todo",
            todo_id=todo_id,
            expected_version=expected_version,
            title=title,
            completed=completed,
        )
        old = self.todos[todo_id]
        new = replace(
            old,
            title=old.title if title is None else title,
            completed=old.completed if completed is None else completed,
            version=old.version + 1,
        )
        return self.add(new)

    def delete_todo(self, todo_id: str, expected_version: int | None = None) -> Todo:
        self._record("delete_todo", todo_id=todo_id, expected_version=expected_version)
        if todo_id not in self.todos:
            raise NotFound()
        return self.todos.pop(todo_id)


@dataclass(frozen=True)
class HttpResult:
    status: int
    headers: dict[str, str]
    text: str

    @property
    def json(self) -> Any:
        return json.loads(self.text)


class LambdaContext:
    function_name = "todo-api-function"
    function_version = "$LATEST"
    memory_limit_in_mb = 256
    invoked_function_arn = "arn:aws:lambda:eu-west-1:123456789012:function:todo-api-function"
    aws_request_id = "5f0e1d2c-3b4a-4c5d-8e6f-7a8b9c0d1e2f"

    def get_remaining_time_in_millis(self) -> int:
        return 10_000


def load_event(name: str) -> dict[str, Any]:
    return copy.deepcopy(json.loads((EVENTS / name).read_text()))


def invoke(event: dict[str, Any]) -> HttpResult:
    response = handler.lambda_handler(event, LambdaContext())
    headers = {
        name: values[-1] for name, values in (response.get("multiValueHeaders") or {}).items()
    }
    headers.update(response.get("headers") or {})
    return HttpResult(response["statusCode"], headers, response.get("body") or "")

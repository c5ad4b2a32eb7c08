"""What each REST operation means, as pure functions over the models and a client.

The function calls AppSync as its own IAM role, which may read and change any todo. It acts
as a deputy for the REST caller, so the owner checks live here: the owner of a new todo is
always the caller's `sub`, and another user's todo is answered exactly like a missing one.
"""

from __future__ import annotations

from typing import Protocol

from todo_api.errors import Forbidden, NotFound
from todo_api.models import Caller, ListQuery, NewTodo, Todo, TodoChanges, TodoPage


class TodoClient(Protocol):
    """The data operations the logic needs; `appsync.AppSyncClient` is the real one."""

    def get_todo(self, todo_id: str) -> Todo | None: ...

    def list_todos(self, owner: str | None, limit: int, next_token: str | None) -> TodoPage: ...

    def create_todo(self, owner: str, title: str, completed: bool) -> Todo: ...

    def update_todo(
        self,
        todo_id: str,
        expected_version: int,
        title: str | None = None,
        completed: bool | None = None,
    ) -> Todo: ...

    def delete_todo(self, todo_id: str, expected_version: int | None = None) -> Todo: ...


def list_todos(client: TodoClient, caller: Caller, query: ListQuery) -> TodoPage:
    if query.all_owners and not caller.is_admin:
        raise Forbidden("Listing every owner's todos is for the admins group only.")
    owner = None if query.all_owners else caller.sub
    return client.list_todos(owner=owner, limit=query.limit, next_token=query.next_token)


def get_todo(client: TodoClient, caller: Caller, todo_id: str) -> Todo:
    todo = client.get_todo(todo_id)
    if todo is None or todo.owner != caller.sub:
        raise NotFound()
    return todo


def create_todo(client: TodoClient, caller: Caller, new: NewTodo) -> Todo:
    return client.create_todo(owner=caller.sub, title=new.title, completed=new.completed)


def update_todo(client: TodoClient, caller: Caller, todo_id: str, changes: TodoChanges) -> Todo:
    # Owners never change, so a todo that is the caller's now is still theirs at the update.
    get_todo(client, caller, todo_id)
    return client.update_todo(
        todo_id,
        expected_version=changes.version,
        title=changes.title,
        completed=changes.completed,
    )


def delete_todo(
    client: TodoClient, caller: Caller, todo_id: str, expected_version: int | None
) -> None:
    get_todo(client, caller, todo_id)
    client.delete_todo(todo_id, expected_version=expected_version)

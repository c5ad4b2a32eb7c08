"""The GraphQL documents the function sends to AppSync.

Every operation selects the Todo through the one `TodoFields` fragment. AppSync delivers to a
subscriber only the fields the triggering mutation selected, so a mutation that forgot a field
would silently blank it in every subscribed client: one fragment makes that impossible.
"""

from __future__ import annotations

from dataclasses import dataclass

TODO_FIELDS = "fragment TodoFields on Todo { id owner title completed version createdAt updatedAt }"


@dataclass(frozen=True)
class Operation:
    name: str  # the operation name, also used in logs and traces
    field: str  # the root field whose value the caller wants
    document: str
    is_mutation: bool


def _operation(
    name: str, field: str, signature: str, selection: str, *, mutation: bool
) -> Operation:
    keyword = "mutation" if mutation else "query"
    document = f"{keyword} {name}{signature} {{ {selection} }}\n{TODO_FIELDS}"
    return Operation(name=name, field=field, document=document, is_mutation=mutation)


GET_TODO = _operation(
    "GetTodo",
    "getTodo",
    "($id: ID!)",
    "getTodo(id: $id) { ...TodoFields }",
    mutation=False,
)

LIST_TODOS = _operation(
    "ListTodos",
    "listTodos",
    "($owner: String, $limit: Int, $nextToken: String)",
    "listTodos(owner: $owner, limit: $limit, nextToken: $nextToken) "
    "{ items { ...TodoFields } nextToken }",
    mutation=False,
)

CREATE_TODO = _operation(
    "CreateTodo",
    "createTodo",
    "($input: CreateTodoInput!)",
    "createTodo(input: $input) { ...TodoFields }",
    mutation=True,
)

UPDATE_TODO = _operation(
    "UpdateTodo",
    "updateTodo",
    "($input: UpdateTodoInput!)",
    "updateTodo(input: $input) { ...TodoFields }",
    mutation=True,
)

DELETE_TODO = _operation(
    "DeleteTodo",
    "deleteTodo",
    "($input: DeleteTodoInput!)",
    "deleteTodo(input: $input) { ...TodoFields }",
    mutation=True,
)

ALL_OPERATIONS = (GET_TODO, LIST_TODOS, CREATE_TODO, UPDATE_TODO, DELETE_TODO)

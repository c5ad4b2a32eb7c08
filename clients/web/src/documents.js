// GraphQL documents of the clients. Every one selects all Todo fields, as the Lambda's do, so
// subscribers receive whole todos.
const TODO = 'id owner title completed version createdAt updatedAt';

export const listTodos = `query ListTodos($limit: Int, $nextToken: String) {
  listTodos(limit: $limit, nextToken: $nextToken) { items { ${TODO} } nextToken }
}`;

export const createTodo = `mutation CreateTodo($input: CreateTodoInput!) {
  createTodo(input: $input) { ${TODO} }
}`;

export const onCreateTodo = `subscription OnCreateTodo($owner: String!) {
  onCreateTodo(owner: $owner) { ${TODO} }
}`;

export const onUpdateTodo = `subscription OnUpdateTodo($owner: String!) {
  onUpdateTodo(owner: $owner) { ${TODO} }
}`;

export const onDeleteTodo = `subscription OnDeleteTodo($owner: String!) {
  onDeleteTodo(owner: $owner) { ${TODO} }
}`;

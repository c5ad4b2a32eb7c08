// The GraphQL shapes the resolvers read, written as TypeScript types so `tsc --checkJs` and the
// type-aware AppSync lint rules know that, for example, a title is a string (and so catch a
// string method the APPSYNC_JS runtime lacks). They mirror schema/schema.graphql;
// tests/unit/resolvers/test_type_check.py fails if the two drift apart.

export type Todo = {
  id: string;
  owner: string;
  title: string;
  completed: boolean;
  version: number;
  createdAt: string;
  updatedAt: string;
};

export type TodoConnection = { items: Todo[]; nextToken: string | null };

export type CreateTodoInput = { owner: string; title: string; completed?: boolean | null };
export type UpdateTodoInput = {
  id: string;
  title?: string | null;
  completed?: boolean | null;
  expectedVersion: number;
};
export type DeleteTodoInput = { id: string; expectedVersion?: number | null };

export type GetTodoArgs = { id: string };
export type ListTodosArgs = { owner?: string | null; limit?: number | null; nextToken?: string | null };
export type CreateTodoArgs = { input: CreateTodoInput };
export type UpdateTodoArgs = { input: UpdateTodoInput };
export type DeleteTodoArgs = { input: DeleteTodoInput };
export type OwnerArgs = { owner: string };

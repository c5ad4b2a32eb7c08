/**
 * First step of updateTodo and deleteTodo: load the todo and decide whether the caller
 * may change it. Missing -> NotFound; a Cognito user touching another user's todo ->
 * Unauthorized; a stale expectedVersion -> ConflictError. The loaded todo is stashed.
 */
import { util } from '@aws-appsync/utils';

/**
 * @param {import('@aws-appsync/utils').Context<
 *   import('../graphql-types').UpdateTodoArgs | import('../graphql-types').DeleteTodoArgs>} ctx
 */
export function request(ctx) {
  return {
    operation: 'GetItem',
    key: util.dynamodb.toMapValues({ id: ctx.args.input.id }),
    consistentRead: true,
  };
}

/**
 * @param {import('@aws-appsync/utils').Context<
 *   import('../graphql-types').UpdateTodoArgs | import('../graphql-types').DeleteTodoArgs,
 *   Record<string, any>, any, any, import('../graphql-types').Todo | null>} ctx
 */
export function response(ctx) {
  if (ctx.error) {
    util.error(ctx.error.message, ctx.error.type);
  }
  const todo = ctx.result;
  if (!todo) {
    util.error('Todo not found', 'NotFound');
  }
  const caller = /** @type {{ sub?: string }} */ (ctx.identity);
  if (util.authType() !== 'IAM Authorization' && todo.owner !== caller.sub) {
    util.unauthorized();
  }
  const expected = ctx.args.input.expectedVersion ?? null;
  if (expected !== null && expected !== todo.version) {
    util.error(`Version conflict: expected ${expected}, found ${todo.version}`, 'ConflictError');
  }
  ctx.stash.todo = todo;
  return todo;
}

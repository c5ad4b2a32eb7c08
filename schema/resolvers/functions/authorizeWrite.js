/**
 * First step of updateTodo and deleteTodo: load the todo and decide whether the caller
 * may change it. Missing -> NotFound; a Cognito user touching another user's todo ->
 * Unauthorized; a stale expectedVersion -> ConflictError. The loaded todo is stashed.
 */
import { util } from '@aws-appsync/utils';

export function request(ctx) {
  return {
    operation: 'GetItem',
    key: util.dynamodb.toMapValues({ id: ctx.args.input.id }),
    consistentRead: true,
  };
}

export function response(ctx) {
  if (ctx.error) {
    util.error(ctx.error.message, ctx.error.type);
  }
  const todo = ctx.result;
  if (util.isNull(todo)) {
    util.error('Todo not found', 'NotFound');
  }
  if (util.authType() !== 'IAM Authorization' && todo.owner !== ctx.identity.sub) {
    util.unauthorized();
  }
  const expected = ctx.args.input.expectedVersion;
  if (!util.isNull(expected) && expected !== todo.version) {
    util.error(`Version conflict: expected ${expected}, found ${todo.version}`, 'ConflictError');
  }
  ctx.stash.todo = todo;
  return todo;
}

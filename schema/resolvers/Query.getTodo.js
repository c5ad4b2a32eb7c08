/**
 * Query.getTodo: one todo by id.
 *
 * IAM callers (the REST Lambda) may read any todo. Cognito users may read only their own:
 * another user's todo resolves to null with an Unauthorized error. A missing id is null.
 */
import { util } from '@aws-appsync/utils';

/** @param {import('@aws-appsync/utils').Context<import('./graphql-types').GetTodoArgs>} ctx */
export function request(ctx) {
  return {
    operation: 'GetItem',
    key: util.dynamodb.toMapValues({ id: ctx.args.id }),
    // The function reads right after it writes (PATCH and DELETE read first): a strongly
    // consistent read never returns the version before the last write.
    consistentRead: true,
  };
}

/**
 * @param {import('@aws-appsync/utils').Context<
 *   import('./graphql-types').GetTodoArgs, Record<string, any>, any, any,
 *   import('./graphql-types').Todo | null>} ctx
 */
export function response(ctx) {
  if (ctx.error) {
    util.error(ctx.error.message, ctx.error.type);
  }
  const todo = ctx.result;
  if (!todo) {
    return null;
  }
  const caller = /** @type {{ sub?: string }} */ (ctx.identity);
  if (util.authType() !== 'IAM Authorization' && todo.owner !== caller.sub) {
    util.unauthorized();
  }
  return todo;
}

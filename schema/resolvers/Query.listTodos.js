/**
 * Query.listTodos: a page of todos, newest first when listed per owner.
 *
 * Cognito users list their own todos only (a query on the byOwner index, so `limit` counts
 * their own items); asking for another owner is refused. IAM callers list one owner when
 * `owner` is given, otherwise every todo (a paginated scan).
 *
 * byOwner is a global secondary index, so its reads are eventually consistent: a todo written
 * a moment ago may not be listed yet.
 */
import { util } from '@aws-appsync/utils';

const DEFAULT_LIMIT = 20;
const MAX_LIMIT = 100;

/** @param {import('@aws-appsync/utils').Context<import('./graphql-types').ListTodosArgs>} ctx */
export function request(ctx) {
  const owner = ctx.args.owner ?? null;
  const nextToken = ctx.args.nextToken ?? null;
  const limit = ctx.args.limit ?? DEFAULT_LIMIT;
  if (limit < 1 || limit > MAX_LIMIT) {
    util.error(`limit must be between 1 and ${MAX_LIMIT}`, 'ValidationError');
  }
  if (util.authType() === 'IAM Authorization') {
    if (owner === null) {
      return { operation: 'Scan', limit, nextToken };
    }
    return queryByOwner(owner, limit, nextToken);
  }
  const caller = /** @type {{ sub: string }} */ (ctx.identity);
  if (owner !== null && owner !== caller.sub) {
    util.unauthorized();
  }
  return queryByOwner(caller.sub, limit, nextToken);
}

/** @param {import('@aws-appsync/utils').Context} ctx */
export function response(ctx) {
  if (ctx.error && ctx.error.type === 'DynamoDB:UserIllegalArgumentException') {
    // What AppSync reports for a nextToken it did not issue (or one for another query).
    util.error('nextToken is not valid for this list', 'ValidationError');
  }
  if (ctx.error) {
    util.error(ctx.error.message, ctx.error.type);
  }
  return { items: ctx.result.items, nextToken: ctx.result.nextToken ?? null };
}

/**
 * @param {string} owner
 * @param {number} limit
 * @param {string | null} nextToken
 */
function queryByOwner(owner, limit, nextToken) {
  return {
    operation: 'Query',
    index: 'byOwner',
    query: {
      expression: '#owner = :owner',
      expressionNames: { '#owner': 'owner' },
      expressionValues: util.dynamodb.toMapValues({ ':owner': owner }),
    },
    scanIndexForward: false,
    limit,
    nextToken,
  };
}

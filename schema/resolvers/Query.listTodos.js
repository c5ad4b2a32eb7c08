/**
 * Query.listTodos: a page of todos, newest first when listed per owner.
 *
 * Cognito users list their own todos only (a query on the byOwner index, so `limit` counts
 * their own items); asking for another owner is refused. IAM callers list one owner when
 * `owner` is given, otherwise every todo (a paginated scan).
 */
import { util } from '@aws-appsync/utils';

const DEFAULT_LIMIT = 20;
const MAX_LIMIT = 100;

export function request(ctx) {
  const { owner, nextToken } = ctx.args;
  const limit = ctx.args.limit ?? DEFAULT_LIMIT;
  if (limit < 1 || limit > MAX_LIMIT) {
    util.error(`limit must be between 1 and ${MAX_LIMIT}`, 'ValidationError');
  }
  if (util.authType() === 'IAM Authorization') {
    if (util.isNull(owner)) {
      return { operation: 'Scan', limit, nextToken };
    }
    return queryByOwner(owner, limit, nextToken);
  }
  if (!util.isNull(owner) && owner !== ctx.identity.sub) {
    util.unauthorized();
  }
  return queryByOwner(ctx.identity.sub, limit, nextToken);
}

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

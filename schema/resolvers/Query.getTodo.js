/**
 * Query.getTodo: one todo by id.
 *
 * IAM callers (the REST Lambda) may read any todo. Cognito users may read only their own:
 * another user's todo resolves to null with an Unauthorized error. A missing id is null.
 */
import { util } from '@aws-appsync/utils';

export function request(ctx) {
  return {
    operation: 'GetItem',
    key: util.dynamodb.toMapValues({ id: ctx.args.id }),
    // The function reads right after it writes (PATCH and DELETE read first): a strongly
    // consistent read never returns the version before the last write.
    consistentRead: true,
  };
}

export function response(ctx) {
  if (ctx.error) {
    util.error(ctx.error.message, ctx.error.type);
  }
  const todo = ctx.result;
  if (util.isNull(todo)) {
    return null;
  }
  if (!callerIsIam() && todo.owner !== ctx.identity.sub) {
    util.unauthorized();
  }
  return todo;
}

/** Only the Lambda's IAM role may see every owner's todos; anything else is owner-scoped. */
function callerIsIam() {
  return util.authType() === 'IAM Authorization';
}

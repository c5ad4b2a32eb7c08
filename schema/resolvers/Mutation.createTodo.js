/**
 * Mutation.createTodo: server-only. The schema admits only IAM (@aws_iam), so Cognito users
 * never reach this resolver; it checks the auth type again so that a schema edit alone cannot
 * open creation to callers whose input the REST Lambda has not validated. The title rule is
 * enforced here too, so even an IAM caller that skips the Lambda cannot store a title the
 * REST API would refuse.
 */
import { util } from '@aws-appsync/utils';

/** The REST API's title rule: trimmed, 1 to MAX_TITLE_LENGTH characters, no control characters. */
const MAX_TITLE_LENGTH = 256;

/** @param {import('@aws-appsync/utils').Context<import('./graphql-types').CreateTodoArgs>} ctx */
export function request(ctx) {
  if (util.authType() !== 'IAM Authorization') {
    util.unauthorized();
  }
  const { owner, title } = ctx.args.input;
  const now = util.time.nowISO8601();
  return {
    operation: 'PutItem',
    key: util.dynamodb.toMapValues({ id: util.autoId() }),
    attributeValues: util.dynamodb.toMapValues({
      owner,
      title: checkedTitle(title),
      completed: ctx.args.input.completed ?? false,
      version: 1,
      createdAt: now,
      updatedAt: now,
    }),
    condition: { expression: 'attribute_not_exists(id)' },
  };
}

/** @param {import('@aws-appsync/utils').Context} ctx */
export function response(ctx) {
  if (ctx.error) {
    util.error(ctx.error.message, ctx.error.type);
  }
  return ctx.result;
}

/**
 * Returns the trimmed title or fails with ValidationError. Characters are compared as strings
 * (UTF-16 code units), which the runtime supports; `charCodeAt` it does not. A low surrogate
 * completes the character its high surrogate began, so it is not counted again.
 *
 * @param {string} title
 */
function checkedTitle(title) {
  const trimmed = title.trim();
  let characters = 0;
  for (const unit of trimmed.split('')) {
    if (unit < '\u0020' || (unit >= '\u007f' && unit <= '\u009f')) {
      util.error('title must not contain control characters', 'ValidationError');
    }
    if (unit < '\udc00' || unit > '\udfff') {
      characters += 1;
    }
  }
  if (characters < 1 || characters > MAX_TITLE_LENGTH) {
    util.error(`title must be 1 to ${MAX_TITLE_LENGTH} characters after trimming`, 'ValidationError');
  }
  return trimmed;
}

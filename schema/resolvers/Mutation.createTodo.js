/**
 * Mutation.createTodo: server-only. The schema allows only IAM (@aws_iam); the resolver
 * checks again so a schema edit alone cannot open creation to end users, whose input the
 * REST Lambda would not have validated. The title rule is checked here as well, so a caller
 * that skips the Lambda still cannot store a title the REST API would refuse.
 */
import { util } from '@aws-appsync/utils';

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

export function response(ctx) {
  if (ctx.error) {
    util.error(ctx.error.message, ctx.error.type);
  }
  return ctx.result;
}

/**
 * The REST API's title rule, enforced here too because Cognito users may call this mutation
 * directly: trimmed, 1 to 256 characters, no control characters. Returns the trimmed title.
 */
function checkedTitle(title) {
  const trimmed = title.trim();
  let characters = 0;
  for (const unit of trimmed.split('')) {
    const code = unit.charCodeAt(0);
    if (code < 0x20 || (code >= 0x7f && code <= 0x9f)) {
      util.error('title must not contain control characters', 'ValidationError');
    }
    if (code < 0xdc00 || code > 0xdfff) {
      characters += 1; // a low surrogate completes the character its high one began
    }
  }
  if (characters < 1 || characters > 256) {
    util.error('title must be 1 to 256 characters after trimming', 'ValidationError');
  }
  return trimmed;
}

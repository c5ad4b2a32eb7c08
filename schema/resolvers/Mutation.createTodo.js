/**
 * Mutation.createTodo: server-only. The schema allows only IAM (@aws_iam); the resolver
 * checks again so a schema edit alone cannot open creation to end users, whose input the
 * REST Lambda would not have validated.
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
      title,
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

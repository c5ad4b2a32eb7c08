/**
 * Second step of updateTodo: set the given fields and bump the version, only if the stored
 * version is still the expected one (so a concurrent writer gets ConflictError).
 */
import { util } from '@aws-appsync/utils';

/** The REST API's title rule: trimmed, 1 to MAX_TITLE_LENGTH characters, no control characters. */
const MAX_TITLE_LENGTH = 256;

/** @param {import('@aws-appsync/utils').Context<import('../graphql-types').UpdateTodoArgs>} ctx */
export function request(ctx) {
  const { id, expectedVersion } = ctx.args.input;
  const title = ctx.args.input.title ?? null;
  const completed = ctx.args.input.completed ?? null;
  const assignments = ['#version = #version + :one', '#updatedAt = :now'];
  /** @type {Record<string, string>} */
  const names = { '#version': 'version', '#updatedAt': 'updatedAt' };
  /** @type {Record<string, unknown>} */
  const values = { ':one': 1, ':now': util.time.nowISO8601() };
  if (title !== null) {
    assignments.push('#title = :title');
    names['#title'] = 'title';
    values[':title'] = checkedTitle(title);
  }
  if (completed !== null) {
    assignments.push('#completed = :completed');
    names['#completed'] = 'completed';
    values[':completed'] = completed;
  }
  return {
    operation: 'UpdateItem',
    key: util.dynamodb.toMapValues({ id }),
    update: {
      expression: `SET ${assignments.join(', ')}`,
      expressionNames: names,
      expressionValues: util.dynamodb.toMapValues(values),
    },
    condition: {
      expression: 'attribute_exists(id) AND #storedVersion = :expected',
      expressionNames: { '#storedVersion': 'version' },
      expressionValues: util.dynamodb.toMapValues({ ':expected': expectedVersion }),
    },
  };
}

/** @param {import('@aws-appsync/utils').Context} ctx */
export function response(ctx) {
  const { error } = ctx;
  if (error && error.type === 'DynamoDB:ConditionalCheckFailedException') {
    util.error('The todo was changed or deleted by another request', 'ConflictError');
  }
  if (error) {
    util.error(error.message, error.type);
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

/**
 * Second step of updateTodo: set the given fields and bump the version, only if the stored
 * version is still the expected one (so a concurrent writer gets ConflictError).
 */
import { util } from '@aws-appsync/utils';

export function request(ctx) {
  const { id, title, completed, expectedVersion } = ctx.args.input;
  const assignments = ['#version = #version + :one', '#updatedAt = :now'];
  const names = { '#version': 'version', '#updatedAt': 'updatedAt' };
  const values = { ':one': 1, ':now': util.time.nowISO8601() };
  if (!util.isNull(title)) {
    assignments.push('#title = :title');
    names['#title'] = 'title';
    values[':title'] = checkedTitle(title);
  }
  if (!util.isNull(completed)) {
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

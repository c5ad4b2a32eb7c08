/**
 * Second step of deleteTodo: delete the todo, only if it still exists and, when
 * expectedVersion is given, still has that version (otherwise ConflictError).
 *
 * If another request deleted the todo after authorizeWrite loaded it, the condition fails, and
 * AppSync, finding no item, treats the delete as done with nothing to return: that is
 * NotFound for this caller, never an empty success.
 */
import { util } from '@aws-appsync/utils';

/** @param {import('@aws-appsync/utils').Context<import('../graphql-types').DeleteTodoArgs>} ctx */
export function request(ctx) {
  const { id } = ctx.args.input;
  return {
    operation: 'DeleteItem',
    key: util.dynamodb.toMapValues({ id }),
    condition: deleteCondition(ctx.args.input.expectedVersion ?? null),
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
  if (!ctx.result) {
    util.error('Todo not found', 'NotFound');
  }
  return ctx.result;
}

/** @param {number | null} expectedVersion */
function deleteCondition(expectedVersion) {
  if (expectedVersion === null) {
    return { expression: 'attribute_exists(id)' };
  }
  return {
    expression: 'attribute_exists(id) AND #storedVersion = :expected',
    expressionNames: { '#storedVersion': 'version' },
    expressionValues: util.dynamodb.toMapValues({ ':expected': expectedVersion }),
  };
}

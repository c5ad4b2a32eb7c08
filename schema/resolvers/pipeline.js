/**
 * Before and after steps of the updateTodo and deleteTodo pipelines. The work happens in
 * functions/: authorizeWrite, then updateTodo or deleteTodo. The field resolves to the
 * last function's result.
 */
export function request() {
  return {};
}

/** @param {import('@aws-appsync/utils').Context} ctx */
export function response(ctx) {
  return ctx.prev.result;
}

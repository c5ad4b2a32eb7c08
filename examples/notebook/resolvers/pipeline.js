/**
 * Before and after steps shared by the pipelines (addNote, summarize): the functions in
 * functions/ do the work and the field resolves to the last function's result.
 */
export function request() {
  return {};
}

/** @param {import('@aws-appsync/utils').Context} ctx */
export function response(ctx) {
  return ctx.prev.result;
}

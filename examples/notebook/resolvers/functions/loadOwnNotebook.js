/**
 * addNote, step 1: read the notebook and refuse callers who do not own it. The next step
 * finds the notebook in ctx.prev.result.
 */
import { util } from '@aws-appsync/utils';
import * as ddb from '@aws-appsync/utils/dynamodb';

/** @param {import('@aws-appsync/utils').Context<{ notebookId: string }>} ctx */
export function request(ctx) {
  return ddb.get({ key: { id: ctx.args.notebookId }, consistentRead: true });
}

/** @param {import('@aws-appsync/utils').Context<{ notebookId: string }>} ctx */
export function response(ctx) {
  if (ctx.error) {
    util.error(ctx.error.message, ctx.error.type);
  }
  const caller = /** @type {import('@aws-appsync/utils').AppSyncIdentityCognito} */ (ctx.identity);
  if (!ctx.result) {
    util.error(`Notebook ${ctx.args.notebookId} not found`, 'NotFound');
  }
  if (ctx.result.owner !== caller.sub) {
    util.unauthorized();
  }
  return ctx.result;
}

/** Mutation.createNotebook: a new, empty notebook owned by the signed-in user. */
import { util } from '@aws-appsync/utils';
import * as ddb from '@aws-appsync/utils/dynamodb';

/** @typedef {{ id: string, owner: string, title: string, noteCount: number }} Notebook */

/** @param {import('@aws-appsync/utils').Context<{ title: string }>} ctx */
export function request(ctx) {
  const title = ctx.args.title.trim();
  if (title.length === 0 || title.length > 100) {
    util.error('title must be 1 to 100 characters', 'ValidationError');
  }
  const caller = /** @type {import('@aws-appsync/utils').AppSyncIdentityCognito} */ (ctx.identity);
  /** @type {import('@aws-appsync/utils/dynamodb').PutInput<Notebook>} */
  const put = {
    key: { id: util.autoId() },
    item: { owner: caller.sub, title, noteCount: 0 },
    condition: { id: { attributeExists: false } },
  };
  return ddb.put(put);
}

/** @param {import('@aws-appsync/utils').Context} ctx */
export function response(ctx) {
  if (ctx.error) {
    util.error(ctx.error.message, ctx.error.type);
  }
  return ctx.result;
}

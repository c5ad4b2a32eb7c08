/** Query.getNotebook: one notebook by id from the Notebooks table (null when absent). */
import { util } from '@aws-appsync/utils';
import * as ddb from '@aws-appsync/utils/dynamodb';

/** @param {import('@aws-appsync/utils').Context<{ id: string }>} ctx */
export function request(ctx) {
  return ddb.get({ key: { id: ctx.args.id } });
}

/** @param {import('@aws-appsync/utils').Context} ctx */
export function response(ctx) {
  if (ctx.error) {
    util.error(ctx.error.message, ctx.error.type);
  }
  return ctx.result;
}

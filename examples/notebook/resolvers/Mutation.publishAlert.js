/** Mutation.publishAlert: pub/sub through the NONE data source; onAlert subscribers get it. */
import { util } from '@aws-appsync/utils';

/**
 * @param {import('@aws-appsync/utils').Context<{ notebookId: string, severity: number, message: string }>} ctx
 */
export function request(ctx) {
  if (ctx.args.severity < 0 || ctx.args.severity > 10) {
    util.error('severity must be 0 to 10', 'ValidationError');
  }
  return { payload: ctx.args };
}

/** @param {import('@aws-appsync/utils').Context} ctx */
export function response(ctx) {
  return ctx.result;
}

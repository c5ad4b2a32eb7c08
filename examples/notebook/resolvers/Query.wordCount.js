/** Query.wordCount: asks the Lambda function to count (an Invoke from APPSYNC_JS). */
import { util } from '@aws-appsync/utils';

/** @param {import('@aws-appsync/utils').Context<{ text: string }>} ctx */
export function request(ctx) {
  return { operation: 'Invoke', payload: { action: 'wordCount', text: ctx.args.text } };
}

/** @param {import('@aws-appsync/utils').Context} ctx */
export function response(ctx) {
  if (ctx.error) {
    util.error(ctx.error.message, ctx.error.type);
  }
  return ctx.result;
}

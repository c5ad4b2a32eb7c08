/** summarize, step 1: the notebook's notes, for the Lambda function that summarizes them. */
import { util } from '@aws-appsync/utils';
import * as ddb from '@aws-appsync/utils/dynamodb';

/** @param {import('@aws-appsync/utils').Context<{ notebookId: string }>} ctx */
export function request(ctx) {
  return ddb.query({ query: { notebookId: { eq: ctx.args.notebookId } }, limit: 100 });
}

/** @param {import('@aws-appsync/utils').Context} ctx */
export function response(ctx) {
  if (ctx.error) {
    util.error(ctx.error.message, ctx.error.type);
  }
  return ctx.result.items;
}

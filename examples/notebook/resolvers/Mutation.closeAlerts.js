/**
 * Mutation.closeAlerts: unsubscribes every onAlert subscription of the notebook (their
 * invalidation filter, set in Subscription.onAlert.js, matches this payload).
 */
import { extensions } from '@aws-appsync/utils';

/** @param {import('@aws-appsync/utils').Context<{ notebookId: string }>} ctx */
export function request(ctx) {
  return { payload: ctx.args.notebookId };
}

/** @param {import('@aws-appsync/utils').Context<{ notebookId: string }>} ctx */
export function response(ctx) {
  extensions.invalidateSubscriptions({
    subscriptionField: 'onAlert',
    payload: { notebookId: ctx.args.notebookId },
  });
  return ctx.result;
}

/**
 * Subscription.onAlert: enhanced filtering. A subscriber gets the alerts of its notebook whose
 * severity is at least minSeverity (0 when not given); closeAlerts for the notebook ends the
 * subscription.
 */
import { extensions, util } from '@aws-appsync/utils';

export function request() {
  return { payload: null };
}

/** @param {import('@aws-appsync/utils').Context<{ notebookId: string, minSeverity?: number | null }>} ctx */
export function response(ctx) {
  const minSeverity = ctx.args.minSeverity ?? 0;
  extensions.setSubscriptionFilter(
    util.transform.toSubscriptionFilter({
      notebookId: { eq: ctx.args.notebookId },
      severity: { ge: minSeverity },
    }),
  );
  extensions.setSubscriptionInvalidationFilter(
    util.transform.toSubscriptionFilter({ notebookId: { eq: ctx.args.notebookId } }),
  );
  return null;
}

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
  if (minSeverity < 0 || minSeverity > 10) {
    util.error('minSeverity must be 0 to 10', 'ValidationError');
  }
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

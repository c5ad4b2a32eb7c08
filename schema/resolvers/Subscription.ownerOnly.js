/**
 * onCreateTodo, onUpdateTodo, onDeleteTodo (NONE data source): runs when a client
 * subscribes. A user may subscribe only to their own todos: `owner` must be their own sub.
 * Other auth modes are refused too (the schema already allows only Cognito here).
 */
import { util } from '@aws-appsync/utils';

/** @param {import('@aws-appsync/utils').Context<import('./graphql-types').OwnerArgs>} ctx */
export function request(ctx) {
  const isUserPool = util.authType() === 'User Pool Authorization';
  const caller = /** @type {{ sub?: string }} */ (ctx.identity);
  if (!isUserPool || ctx.args.owner !== caller.sub) {
    util.unauthorized();
  }
  return { payload: null };
}

/** A subscription resolver returns null: events are delivered from the mutation's result. */
export function response() {
  return null;
}

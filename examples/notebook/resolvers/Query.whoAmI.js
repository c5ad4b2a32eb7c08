/**
 * Query.whoAmI: who a Lambda authorizer said the caller is. Its answer's resolverContext is
 * ctx.identity.resolverContext; util.authType() names the mode ("Lambda Authorization").
 */
import { util } from '@aws-appsync/utils';

export function request() {
  return { payload: null };
}

/** @param {import('@aws-appsync/utils').Context} ctx */
export function response(ctx) {
  const identity = /** @type {import('@aws-appsync/utils').AppSyncIdentityLambda} */ (
    ctx.identity
  );
  const { reader, role } = identity.resolverContext;
  return { name: reader, role, authType: util.authType() };
}

"""The notebook API's Lambda authorizer (AppSync's AWS_LAMBDA authorization mode).

AppSync calls it with the request's `Authorization` header as `authorizationToken` (after the
API's IdentityValidationExpression matched it) and reads back whether the caller may go on.
Tokens here are a stand-in for what a real authorizer would verify (an opaque session id,
a third-party JWT): `reader-<name>` may use every field marked `@aws_lambda`; `guest-<name>`
too, except wordCount (it runs a function); any other token is refused.

What the answer carries, as the AppSync developer guide ("AWS_LAMBDA authorization") lists it:
- isAuthorized: whether AppSync goes on (false: HTTP 401 UnauthorizedException);
- resolverContext: what resolvers see as ctx.identity.resolverContext;
- deniedFields: fields that resolve to null with an Unauthorized error for this caller, as a
  field ARN (used here) or as `Type.field`;
- ttlOverride: how long AppSync may reuse this answer for the same token.
"""

from __future__ import annotations

import os
from typing import Any

ROLES = ("reader", "guest")
ANSWER_TTL_S = 60


def handler(event: dict[str, Any], _context: Any) -> dict[str, Any]:
    role, _, name = str(event["authorizationToken"]).partition("-")
    if role not in ROLES or not name:
        return {"isAuthorized": False}
    return {
        "isAuthorized": True,
        "resolverContext": {"reader": name, "role": role},
        "deniedFields": denied_fields(role, event["requestContext"]),
        "ttlOverride": ANSWER_TTL_S,
    }


def denied_fields(role: str, request: dict[str, Any]) -> list[str]:
    if role != "guest":
        return []
    region, account, api_id = os.environ["AWS_REGION"], request["accountId"], request["apiId"]
    return [f"arn:aws:appsync:{region}:{account}:apis/{api_id}/types/Query/fields/wordCount"]

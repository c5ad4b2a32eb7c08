"""AppSync's real-time WebSocket protocol on the local GraphQL endpoint (`GET /graphql` or
`GET /graphql/realtime`, upgrade).

As documented in "Building a real-time WebSocket client in AWS AppSync":
- subprotocol `graphql-ws`; the authorization header object arrives base64-encoded in the URL
  query (`?header=...&payload=e30=`), base64url-encoded as a `header-...` subprotocol, or as
  plain HTTP headers. It names the GraphQL endpoint's `host`; for IAM it is a SigV4 signature
  of `POST <graphql path>/connect` with body `{}` (the GraphQL path, also when the socket was
  opened at `<graphql path>/realtime`);
- `connection_init` -> `connection_ack` with `payload.connectionTimeoutMs`, then `ka` messages;
  messages sent before the ack are ignored;
- `start` (`id`, `payload.data`: the JSON string of query and variables,
  `payload.extensions.authorization`: the same header object, for IAM signed over `data` as a
  `POST <graphql path>`) -> `start_ack`, then `data` messages; `stop` -> `complete`;
- failures: `connection_error` (then close) while connecting, `error` for a message.

Auth is the HTTP endpoint's (`RequestAuthenticator`), at connect and again at every `start`.

- endpoint.py: accepts connections and keeps track of them;
- connection.py: one connection's state machine (init, start, stop, keep-alive, close), writing
  through one bounded queue: a consumer that cannot keep up is closed instead of buffering;
- handshake.py: the authorization header object decoded and authenticated, at connect and start;
- subscribe.py: a `start` made into a subscription: parsed, authorized, its resolver run;
- messages.py: the protocol's messages and error entries.
"""

from local.appsync.realtime.connection import RealtimeSettings
from local.appsync.realtime.endpoint import RealtimeEndpoint

__all__ = ["RealtimeEndpoint", "RealtimeSettings"]

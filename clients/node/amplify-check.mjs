// Amplify JS v6, unmodified, against the stack named by OUTPUTS (local-outputs.json).
// Run by tests/e2e/test_clients_end_to_end.py, which creates the user and passes:
//   OUTPUTS, EMAIL, PASSWORD, and IAM credentials of the Lambda's role (ROLE_ACCESS_KEY_ID,
//   ROLE_SECRET_ACCESS_KEY, ROLE_SESSION_TOKEN) for the iam auth mode.
// Node 20 has no global WebSocket; Amplify opens `new WebSocket(url, protocols)`, so `ws` is
// put there, as Amplify's docs say for Node. TLS trust comes from NODE_EXTRA_CA_CERTS.
import assert from 'node:assert/strict';
import { performance } from 'node:perf_hooks';
import WebSocket from 'ws';
import { Amplify } from 'aws-amplify';
import { fetchAuthSession, signIn, signOut } from 'aws-amplify/auth';
import { cognitoUserPoolsTokenProvider } from 'aws-amplify/auth/cognito';
import { generateClient } from 'aws-amplify/api';
import { amplifyConfig } from '../web/src/config.js';
import { createTodo, listTodos, onCreateTodo } from '../web/src/documents.js';
import { apiConnected, roleCredentialsProvider } from './amplify-support.mjs';
import {
  loadOutputs,
  packageVersion,
  report,
  required,
  restCreate,
  withTimeout,
} from './outputs.mjs';

globalThis.WebSocket = WebSocket;
const EVENTS = 5;
const EVENT_TIMEOUT_MS = 10_000; // generous: the test asserts arrival, latency is reported

const outputs = loadOutputs();
const email = required('EMAIL');
const password = required('PASSWORD');
const config = amplifyConfig(outputs);
// The iam mode signs with whatever credentials the credentials provider gives; a server-side
// Node app supplies its own role's (there is no identity pool in this stack).
cognitoUserPoolsTokenProvider.setAuthConfig(config.Auth);
Amplify.configure(config, {
  Auth: {
    tokenProvider: cognitoUserPoolsTokenProvider,
    credentialsProvider: roleCredentialsProvider(),
  },
});
const client = generateClient();
const result = { checks: [] };
const passed = (name) => result.checks.push(name);

// -- sign-in (USER_SRP_AUTH is Amplify's default flow) -------------------------------------
await assert.rejects(signIn({ username: email, password: `${password}-wrong` }), (error) => {
  assert.equal(error.name, 'NotAuthorizedException');
  assert.equal(error.message, 'Incorrect username or password.');
  return true;
});
passed('wrong password refused');
const signedIn = await signIn({ username: email, password });
assert.equal(signedIn.isSignedIn, true);
assert.equal(signedIn.nextStep.signInStep, 'DONE');
const session = await fetchAuthSession();
const idClaims = session.tokens.idToken.payload;
assert.equal(idClaims.email, email);
assert.equal(idClaims.email_verified, true);
const sub = idClaims.sub;
passed('SRP sign-in');

// -- GraphQL in both auth modes --------------------------------------------------------------
const listed = await client.graphql({ query: listTodos, variables: { limit: 10 } });
assert.ok(Array.isArray(listed.data.listTodos.items));
passed('userPool query');
const created = await client.graphql({
  query: createTodo,
  variables: { input: { owner: sub, title: 'created with iam' } },
  authMode: 'iam',
});
assert.equal(created.data.createTodo.owner, sub);
assert.equal(created.data.createTodo.version, 1);
passed('iam mutation');
await assert.rejects(
  client.graphql({ query: createTodo, variables: { input: { owner: sub, title: 'x' } } }),
  (error) => {
    assert.equal(error.errors[0].errorType, 'Unauthorized');
    return true;
  },
);
passed('userPool mutation refused per field');
// A request-level 401: Amplify names the error from the x-amzn-ErrorType header (core
// clients/serde/json.ts), and reports "Unauthorized" only when that name is UnauthorizedException
// (api-graphql utils/errors/repackageAuthError.ts); without the header it is an UnknownError.
await assert.rejects(
  client.graphql({ query: listTodos, authMode: 'lambda', authToken: 'not-a-token' }),
  (error) => {
    result.requestLevelError = error.errors[0].message;
    assert.equal(result.requestLevelError, 'Unauthorized');
    return true;
  },
);
passed('request-level 401 named Unauthorized');

// -- a subscription receives what REST (Lambda -> AppSync) creates ---------------------------
const connected = apiConnected();
const waiting = new Map();
const subscription = client
  .graphql({ query: onCreateTodo, variables: { owner: sub } })
  .subscribe({
    next: ({ data }) => waiting.get(data.onCreateTodo.title)?.(performance.now()),
    error: (error) => console.error('subscription error', JSON.stringify(error)),
  });
await withTimeout(connected, EVENT_TIMEOUT_MS, 'subscription connection');
result.latencyMs = [];
for (let i = 0; i < EVENTS; i += 1) {
  const title = `live ${i} ${Date.now()}`;
  const arrived = new Promise((resolve) => waiting.set(title, resolve));
  const sent = performance.now();
  const todo = await restCreate(outputs, session.tokens.idToken.toString(), title);
  assert.equal(todo.owner, sub);
  const at = await withTimeout(arrived, EVENT_TIMEOUT_MS, `event for "${title}"`);
  result.latencyMs.push(Math.round((at - sent) * 10) / 10);
}
subscription.unsubscribe();
passed('subscription receives REST-created todos');

// -- token refresh (GetTokensFromRefreshToken) and sign-out (RevokeToken) --------------------
const refreshed = await fetchAuthSession({ forceRefresh: true });
assert.notEqual(refreshed.tokens.accessToken.toString(), session.tokens.accessToken.toString());
assert.equal(refreshed.tokens.idToken.payload.sub, sub);
const again = await client.graphql({ query: listTodos });
assert.ok(again.data.listTodos.items.length >= EVENTS);
passed('token refresh');
result.accessTokenBeforeSignOut = refreshed.tokens.accessToken.toString();
await signOut();
const after = await fetchAuthSession();
assert.equal(after.tokens, undefined);
passed('sign-out');

result.version = packageVersion('aws-amplify');
report(result);
process.exit(0);

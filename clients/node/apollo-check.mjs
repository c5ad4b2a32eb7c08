// Apollo Client with AWS's AppSync links (aws-appsync-auth-link, aws-appsync-subscription-link),
// unmodified, wired as their README shows, against the stack named by OUTPUTS.
// Run by tests/e2e/test_clients_end_to_end.py, which passes OUTPUTS, a user's ID_TOKEN and the
// Lambda role's credentials (ROLE_ACCESS_KEY_ID, ROLE_SECRET_ACCESS_KEY, ROLE_SESSION_TOKEN).
// The subscription link opens `new WebSocket(url, protocols)`; Node 20 has none, so `ws` is
// put there. TLS trust comes from NODE_EXTRA_CA_CERTS.
// The packages are loaded through their CommonJS entry points: the ES module build of
// aws-appsync-auth-link 4.0.2 imports its @aws-crypto/sha256-js 1.x dependency as a namespace,
// which Node cannot give named exports ("Sha256 is not a constructor" on the first IAM request).
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { performance } from 'node:perf_hooks';
import WebSocket from 'ws';
import { createTodo, listTodos, onCreateTodo } from '../web/src/documents.js';
import {
  loadOutputs,
  packageVersion,
  report,
  required,
  restCreate,
  roleCredentials,
  withTimeout,
} from './outputs.mjs';

const require = createRequire(import.meta.url);
const { ApolloClient, ApolloLink, HttpLink, InMemoryCache, gql } = require('@apollo/client');
const { AUTH_TYPE, createAuthLink } = require('aws-appsync-auth-link');
const { createSubscriptionHandshakeLink } = require('aws-appsync-subscription-link');
const { BaseHttpLink } = require('@apollo/client/link/http');

globalThis.WebSocket = WebSocket;
const EVENTS = 5;
const EVENT_TIMEOUT_MS = 10_000;

const outputs = loadOutputs();
const idToken = required('ID_TOKEN');
const url = outputs.GraphQLUrl;
const region = outputs.Region;
const sub = JSON.parse(Buffer.from(idToken.split('.')[1], 'base64url')).sub;

// Apollo 4's HttpLink adds `extensions.clientLibrary` to the body after the auth link has signed
// it, so AppSync refuses IAM requests made through it ("The request signature we calculated
// does not match"; awslabs/aws-mobile-appsync-sdk-js#773). The workaround given there is
// BaseHttpLink, which sends the body as signed. Both are checked below.
function apollo(auth, HttpLinkClass = HttpLink) {
  const httpLink = new HttpLinkClass({ uri: url });
  const link = ApolloLink.from([
    createAuthLink({ url, region, auth }),
    createSubscriptionHandshakeLink({ url, region, auth }, httpLink),
  ]);
  return new ApolloClient({ link, cache: new InMemoryCache() });
}

const user = apollo({ type: AUTH_TYPE.AMAZON_COGNITO_USER_POOLS, jwtToken: idToken });
const iam = { type: AUTH_TYPE.AWS_IAM, credentials: roleCredentials() };
const server = apollo(iam, BaseHttpLink);
const result = { checks: [] };
const passed = (name) => result.checks.push(name);

const listed = await user.query({ query: gql(listTodos), variables: { limit: 10 } });
assert.ok(Array.isArray(listed.data.listTodos.items));
passed('userPool query');
const created = await server.mutate({
  mutation: gql(createTodo),
  variables: { input: { owner: sub, title: 'created by apollo with iam' } },
});
assert.equal(created.data.createTodo.owner, sub);
passed('iam mutation');
await assert.rejects(
  apollo(iam).mutate({
    mutation: gql(createTodo),
    variables: { input: { owner: sub, title: 'body changed after signing' } },
  }),
  (error) => {
    assert.equal(error.statusCode, 401);
    assert.match(error.bodyText, /signature we calculated does not match/);
    return true;
  },
);
passed('iam body changed after signing refused');

// The link reports no "subscribed" moment, so todos are created until one arrives; the
// latencies are measured after that.
const waiting = new Map();
const subscription = user
  .subscribe({ query: gql(onCreateTodo), variables: { owner: sub } })
  .subscribe({
    next: ({ data }) => waiting.get(data?.onCreateTodo?.title)?.(performance.now()),
    error: (error) => console.error('subscription error', error),
  });
async function createAndWait(title, timeoutMs) {
  const arrived = new Promise((resolve) => waiting.set(title, resolve));
  const sent = performance.now();
  await restCreate(outputs, idToken, title);
  return (await withTimeout(arrived, timeoutMs, `event for "${title}"`)) - sent;
}
let warm = false;
for (let attempt = 0; attempt < 20 && !warm; attempt += 1) {
  warm = await createAndWait(`warm-up ${attempt}`, 500).then(() => true, () => false);
}
assert.ok(warm, 'the subscription never delivered a REST-created todo');
result.latencyMs = [];
for (let i = 0; i < EVENTS; i += 1) {
  const ms = await createAndWait(`apollo live ${i} ${Date.now()}`, EVENT_TIMEOUT_MS);
  result.latencyMs.push(Math.round(ms * 10) / 10);
}
subscription.unsubscribe();
passed('subscription receives REST-created todos');

result.versions = Object.fromEntries(
  ['@apollo/client', 'aws-appsync-auth-link', 'aws-appsync-subscription-link'].map((name) => [
    name,
    packageVersion(name),
  ]),
);
report(result);
process.exit(0);

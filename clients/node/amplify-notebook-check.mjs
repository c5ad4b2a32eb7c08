// Amplify JS v6, unmodified, against the notebook example (examples/notebook) run with --tls:
// the API key, Lambda authorizer and IAM modes, and a subscription authorized by the Lambda
// authorizer that receives what an IAM caller publishes (enhanced filter: minSeverity).
// Run by tests/e2e_notebook/test_notebook_clients.py with OUTPUTS (the notebook's outputs
// file) and the publisher role's credentials (ROLE_ACCESS_KEY_ID, ROLE_SECRET_ACCESS_KEY,
// ROLE_SESSION_TOKEN). TLS trust comes from NODE_EXTRA_CA_CERTS.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import WebSocket from 'ws';
import { Amplify } from 'aws-amplify';
import { generateClient } from 'aws-amplify/api';
import { apiConnected, roleCredentialsProvider } from './amplify-support.mjs';
import { packageVersion, report, required, withTimeout } from './outputs.mjs';

globalThis.WebSocket = WebSocket; // Node 20 has no global WebSocket; Amplify's docs add `ws`
const EVENT_TIMEOUT_MS = 10_000;

const [outputs] = Object.values(JSON.parse(readFileSync(required('OUTPUTS'), 'utf8')));
Amplify.configure(
  {
    API: {
      GraphQL: {
        endpoint: outputs.GraphQLUrl,
        region: outputs.Region,
        defaultAuthMode: 'apiKey',
        apiKey: outputs.ApiKey,
      },
    },
  },
  {
    Auth: {
      // The iam mode signs with what this provider gives: a backend's own role here.
      credentialsProvider: roleCredentialsProvider(),
    },
  },
);
const client = generateClient();
const result = { checks: [], version: packageVersion('aws-amplify') };
const passed = (name) => result.checks.push(name);

const WHO_AM_I = 'query { whoAmI { name role authType } }';
const WORD_COUNT = 'query ($t: String!) { wordCount(text: $t) { words } }';
const PUBLISH = `mutation ($n: ID!, $s: Int!, $m: String!) {
  publishAlert(notebookId: $n, severity: $s, message: $m) { notebookId severity message }
}`;
const ON_ALERT = `subscription ($n: ID!, $min: Int) {
  onAlert(notebookId: $n, minSeverity: $min) { notebookId severity message }
}`;

// -- the API key (the default mode) ----------------------------------------------------------
const counted = await client.graphql({ query: WORD_COUNT, variables: { t: 'three short words' } });
assert.equal(counted.data.wordCount.words, 3);
passed('apiKey query');

// -- the Lambda authorizer: authMode 'lambda' sends authToken as the Authorization header ----
const reader = await client.graphql({ query: WHO_AM_I, authMode: 'lambda', authToken: 'reader-ann' });
assert.deepEqual(reader.data.whoAmI, { name: 'ann', role: 'reader', authType: 'Lambda Authorization' });
passed('lambda query');
const guest = await client
  .graphql({ query: WORD_COUNT, variables: { t: 'x' }, authMode: 'lambda', authToken: 'guest-bo' })
  .then(
    () => assert.fail('a denied field answered'),
    (failure) => failure,
  );
assert.equal(guest.data.wordCount, null);
assert.equal(guest.errors[0].errorType, 'Unauthorized');
passed('lambda deniedFields');
await assert.rejects(
  client.graphql({ query: WHO_AM_I, authMode: 'lambda', authToken: 'writer-bob' }),
  (failure) => {
    assert.equal(failure.errors[0].message, 'Unauthorized'); // Amplify's name for a 401
    return true;
  },
);
passed('lambda refusal');

// -- a subscription authorized by the Lambda authorizer; the publisher signs with IAM -------
const notebookId = `nb-${Date.now()}`;
const connected = apiConnected();
const received = [];
let arrived;
const third = new Promise((resolve) => {
  arrived = resolve;
});
const subscription = client
  .graphql({
    query: ON_ALERT,
    variables: { n: notebookId, min: 2 },
    authMode: 'lambda',
    authToken: 'reader-ann',
  })
  .subscribe({
    next: ({ data }) => {
      received.push(data.onAlert);
      if (data.onAlert.message === 'third') arrived();
    },
    error: (error) => console.error('subscription error', JSON.stringify(error)),
  });
await withTimeout(connected, EVENT_TIMEOUT_MS, 'subscription connection');
for (const [severity, message] of [[3, 'first'], [1, 'below the filter'], [2, 'third']]) {
  const published = await client.graphql({
    query: PUBLISH,
    variables: { n: notebookId, s: severity, m: message },
    authMode: 'iam',
  });
  assert.equal(published.data.publishAlert.message, message);
}
passed('iam mutation');
await withTimeout(third, EVENT_TIMEOUT_MS, 'the third alert');
subscription.unsubscribe();
assert.deepEqual(
  received.map((alert) => alert.message),
  ['first', 'third'],
);
passed('lambda subscription, filtered');
report(result);
